"""Due work bounded at a million customers, second part

A partial index of the orders with money still due (by payment owner): the payment reminders,
the morning brief and the digest's overdue payments start from the unpaid orders, not from every
order. Only an index is added: no table is rebuilt (on SQLite that would drop the search
triggers of 0014).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNPAID = "paid_total < total"


def upgrade() -> None:
    op.create_index(
        "ix_sales_order_unpaid",
        "sales_order",
        ["payment_owner_id"],
        unique=False,
        sqlite_where=sa.text(UNPAID),
        postgresql_where=sa.text(UNPAID),
    )


def downgrade() -> None:
    op.drop_index("ix_sales_order_unpaid", table_name="sales_order")
