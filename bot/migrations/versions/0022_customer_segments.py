"""Customer segments: the computed tier beside the one set by hand, the RFM score, the
lifecycle stage, the newest order, when they were computed and when a tier-A customer lapsed
(bot/services/segments.py), and the indexes /segments and the nightly computation read through.

``customer.tier`` stays the tier that applies; the tiers people set before this migration were
set by hand, so they become ``manual_tier`` too. Only nullable columns and indexes are added:
no table is rebuilt (on SQLite that would drop the search triggers of 0014).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from models.base import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("manual_tier", sqlmodel.sql.sqltypes.AutoString(length=1)),
    ("computed_tier", sqlmodel.sql.sqltypes.AutoString(length=1)),
    ("rfm", sqlmodel.sql.sqltypes.AutoString(length=3)),
    ("lifecycle", sqlmodel.sql.sqltypes.AutoString(length=8)),
    ("last_order_at", UTCDateTime()),
    ("segmented_at", UTCDateTime()),
    ("winback_at", UTCDateTime()),
)
INDEXES = (
    ("ix_customer_tier_name", ["tier", "name"]),
    ("ix_customer_lifecycle_name", ["lifecycle", "name"]),
    ("ix_customer_owner_tier", ["owner_id", "tier"]),
    ("ix_customer_owner_lifecycle", ["owner_id", "lifecycle"]),
    ("ix_customer_segmented_at", ["segmented_at"]),
    ("ix_customer_winback_at", ["winback_at"]),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("customer", sa.Column(name, type_, nullable=True))
    op.execute("UPDATE customer SET manual_tier = tier WHERE tier IS NOT NULL")
    for name, columns in INDEXES:
        op.create_index(name, "customer", columns, unique=False)


def downgrade() -> None:
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="customer")
    for name, _type in reversed(COLUMNS):
        op.drop_column("customer", name)
