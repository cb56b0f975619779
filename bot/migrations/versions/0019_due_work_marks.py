"""Due work, third part: how far each reminder producer has looked

``producer_mark`` holds, per producer, the instant its last tick covered (everything due up to
then is in the outbox) and when it last looked at the whole catch-up window. A tick then reads
only what fell due since the one before (``bot.reminders.scheduler``).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "producer_mark",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("covered_until", UTCDateTime(), nullable=False),
        sa.Column("swept_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("producer_mark")
