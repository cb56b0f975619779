"""Where a customer is (issue 16): ``customer.latitude`` and ``longitude``, set from a location
the rep shares on the card or from the first check-in at a visit, and indexes for "customers
near me" (a bounding box on an index, then the exact distance): on both for those who see
everyone's customers, and on the owner and both for a rep's own (a manager's team: one range
per member).

A plain ADD COLUMN on both databases: a batch copy of the table on SQLite would drop the
search triggers of migration 0014.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-29 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("customer", sa.Column("longitude", sa.Float(), nullable=True))
    op.create_index("ix_customer_latitude_longitude", "customer", ["latitude", "longitude"])
    op.create_index(
        "ix_customer_owner_latitude_longitude", "customer", ["owner_id", "latitude", "longitude"]
    )


def downgrade() -> None:
    op.drop_index("ix_customer_owner_latitude_longitude", table_name="customer")
    op.drop_index("ix_customer_latitude_longitude", table_name="customer")
    op.drop_column("customer", "longitude")
    op.drop_column("customer", "latitude")
