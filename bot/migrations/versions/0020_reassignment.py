"""Reassignment: a follow-up may be handed to another person than its touch's author, and the
keys of payment reminders and stale-deal alerts name whom they were written for.

``touch.follow_up_owner_id`` (None: the author does it) with an index for the open follow-ups
of a person they were handed to. Payment reminders and stale-deal alerts now carry their
recipient in their outbox key (``payment_due:<instalment>:<offset>:<user>``,
``stale_deal:<deal>:<quiet since>:<user>``), so handing the collection or the deal to someone
else writes theirs anew; the keys of the rows already written get the same suffix here, so
nothing is sent twice after the upgrade.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYED_BY_OWNER = "('payment_due', 'stale_deal')"  # outbox kinds whose key now ends with ":<user>"


def upgrade() -> None:
    with op.batch_alter_table("touch", schema=None) as batch:
        batch.add_column(sa.Column("follow_up_owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_touch_follow_up_owner", "user", ["follow_up_owner_id"], ["id"])
    op.create_index(
        "ix_touch_follow_up_owner_open",
        "touch",
        ["follow_up_owner_id", "follow_up_done_at", "follow_up_at"],
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
    op.drop_index("ix_touch_follow_up_owner_open", table_name="touch")
    with op.batch_alter_table("touch", schema=None) as batch:
        batch.drop_constraint("fk_touch_follow_up_owner", type_="foreignkey")
        batch.drop_column("follow_up_owner_id")
