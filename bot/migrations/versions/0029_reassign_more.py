"""Reassignment moves more: contacts' questions are kept until answered (``contact_question``),
so a customer handed to another rep brings its open questions to them; and the keys of
quote-expiry warnings name whom they were written for (``quote_expiry:<quote>:<user>``), so a
quote handed to another rep writes theirs anew; the keys of the rows already written get the
same suffix here, so nothing is sent twice after the upgrade.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-28 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYED_BY_OWNER = "('quote_expiry')"  # outbox kinds whose key now ends with ":<user>"


def upgrade() -> None:
    op.create_table(
        "contact_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("answered_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["answered_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_contact_question_open",
        "contact_question",
        ["contact_id", "answered_at"],
        unique=False,
    )
    op.execute(
        "UPDATE outbox SET key = key || ':' || CAST(user_id AS VARCHAR(20)) "
        f"WHERE kind IN {KEYED_BY_OWNER} AND user_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE outbox SET key = substr(key, 1, length(key) - length(CAST(user_id AS VARCHAR(20)))"
        f" - 1) WHERE kind IN {KEYED_BY_OWNER} AND user_id IS NOT NULL"
    )
    op.drop_index("ix_contact_question_open", table_name="contact_question")
    op.drop_table("contact_question")
