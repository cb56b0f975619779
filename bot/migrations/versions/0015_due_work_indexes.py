"""Indexes for due work: what the scheduler, /today and the digest look up is found by index

Adds ``deal.last_activity_at`` (the latest of the deal's creation, its last stage move and the
last live touch on its customer), fills it for the deals already there a batch at a time, and
indexes it; indexes open follow-ups by due time (overall and per author), contacts by birthday,
deals by owner and close date and for the funnel, orders by delivery and quotes by validity.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_BATCH = 5000

INDEXES = [
    ("touch", "ix_touch_open_follow_up", ["follow_up_done_at", "follow_up_at"]),
    ("touch", "ix_touch_author_open_follow_up", ["author_id", "follow_up_done_at", "follow_up_at"]),
    ("contact", "ix_contact_birthday", ["birth_month", "birth_day"]),
    ("deal", "ix_deal_owner_id_expected_close", ["owner_id", "expected_close"]),
    ("deal", "ix_deal_funnel", ["stage_key", "owner_id", "currency", "amount"]),
    ("sales_order", "ix_sales_order_delivered_at", ["delivered_at"]),
    ("quote", "ix_quote_status_valid_until", ["status", "valid_until"]),
]


def upgrade() -> None:
    with op.batch_alter_table("deal") as batch:
        batch.add_column(sa.Column("last_activity_at", models.base.UTCDateTime(), nullable=True))
    fill_last_activity()
    # Left nullable in the schema: making it NOT NULL would copy the deal table on SQLite, which
    # fails with foreign keys on (quotes, orders and moves refer to deals). The services always
    # write it; the model says so.
    with op.batch_alter_table("deal") as batch:
        batch.create_index(
            "ix_deal_stage_key_last_activity_at", ["stage_key", "last_activity_at"], unique=False
        )
        batch.create_index(
            "ix_deal_owner_id_last_activity_at", ["owner_id", "last_activity_at"], unique=False
        )
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def fill_last_activity() -> None:
    """Each deal's last activity, as the stale-deal alerts worked it out before: a batch of
    deals at a time."""
    connection = op.get_bind()
    latest = "max" if connection.dialect.name == "sqlite" else "greatest"
    update = sa.text(
        f"""
        UPDATE deal SET last_activity_at = {latest}(
            created_at,
            COALESCE(
                (SELECT max(touch.created_at) FROM touch
                 WHERE touch.customer_id = deal.customer_id AND touch.deleted_at IS NULL),
                created_at
            ),
            COALESCE(
                (SELECT max(deal_stage_change.changed_at) FROM deal_stage_change
                 WHERE deal_stage_change.deal_id = deal.id),
                created_at
            )
        )
        WHERE deal.id > :low AND deal.id <= :high
        """
    )
    highest = connection.execute(sa.text("SELECT max(id) FROM deal")).scalar() or 0
    for low in range(0, highest, FILL_BATCH):
        connection.execute(update, {"low": low, "high": low + FILL_BATCH})


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("deal") as batch:
        batch.drop_index("ix_deal_owner_id_last_activity_at")
        batch.drop_index("ix_deal_stage_key_last_activity_at")
        batch.drop_column("last_activity_at")
