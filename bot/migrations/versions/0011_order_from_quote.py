"""The quote an order bills; every change of a deal's value with who and when

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sales_order") as batch:
        batch.add_column(sa.Column("quote_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sales_order_quote_id_quote", "quote", ["quote_id"], ["id"])
    op.create_table(
        "deal_value_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("old_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("old_currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("new_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("new_currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by_contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["changed_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["deal_id"], ["deal.id"]),
        sa.ForeignKeyConstraint(["quote_id"], ["quote.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_deal_value_change_deal_id"), "deal_value_change", ["deal_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deal_value_change_deal_id"), table_name="deal_value_change")
    op.drop_table("deal_value_change")
    with op.batch_alter_table("sales_order") as batch:
        batch.drop_constraint("fk_sales_order_quote_id_quote", type_="foreignkey")
        batch.drop_column("quote_id")
