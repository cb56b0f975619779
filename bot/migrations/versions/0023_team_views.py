"""Team views (/funnel and /team): indexes for what they count by period and by tier

The funnel's forecast sums each open stage's deals by expected close date from the index alone,
``deal(stage_key, expected_close, owner_id, currency, amount)``; won and lost in a period go
through ``deal(closed_at)``; a rep's new deals in a period through ``deal(created_at)``; /team's
tier-A customers per owner through ``customer(tier, owner_id)``. Only indexes are added: no
table is rebuilt (on SQLite that would drop the search triggers of 0014).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 15:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_deal_forecast",
        "deal",
        ["stage_key", "expected_close", "owner_id", "currency", "amount"],
        unique=False,
    )
    op.create_index("ix_deal_closed_at", "deal", ["closed_at"], unique=False)
    op.create_index("ix_deal_created_at", "deal", ["created_at"], unique=False)
    op.create_index("ix_customer_tier_owner_id", "customer", ["tier", "owner_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customer_tier_owner_id", table_name="customer")
    op.drop_index("ix_deal_created_at", table_name="deal")
    op.drop_index("ix_deal_closed_at", table_name="deal")
    op.drop_index("ix_deal_forecast", table_name="deal")
