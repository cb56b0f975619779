"""Approvals and finance: requests to change a customer's terms, decided by the manager and
then by finance (the new ``finance`` role needs no schema change: roles are a plain string)

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "terms_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=16), nullable=False),
        sa.Column("old_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("new_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("manager_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("manager_decided_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("manager_approved", sa.Boolean(), nullable=True),
        sa.Column("finance_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("finance_decided_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("finance_approved", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["manager_decided_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["finance_decided_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_terms_request_customer_id", "terms_request", ["customer_id"], unique=False)
    op.create_index(
        "ix_terms_request_requested_by_id", "terms_request", ["requested_by_id"], unique=False
    )
    op.create_index(
        "ix_terms_request_state_created_at",
        "terms_request",
        ["state", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_terms_request_state_created_at", table_name="terms_request")
    op.drop_index("ix_terms_request_requested_by_id", table_name="terms_request")
    op.drop_index("ix_terms_request_customer_id", table_name="terms_request")
    op.drop_table("terms_request")
