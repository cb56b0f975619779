"""Customers' timeframe, a contact asked for their birthday once, every change to either

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(
            sa.Column("timeframe", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("birthday_asked_at", models.base.UTCDateTime(), nullable=True))
    op.create_table(
        "record_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["changed_by_contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["changed_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_record_change_customer_id"), "record_change", ["customer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_record_change_customer_id"), table_name="record_change")
    op.drop_table("record_change")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("birthday_asked_at")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("timeframe")
