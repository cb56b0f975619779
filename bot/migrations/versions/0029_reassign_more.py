"""Reassignment moves quotes too: the keys of quote-expiry warnings name whom they were written
for (``quote_expiry:<quote>:<user>``), so a quote handed to another rep writes theirs anew; the
keys of the rows already written get the same suffix here, so nothing is sent twice after the
upgrade.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-28 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYED_BY_OWNER = "('quote_expiry')"  # outbox kinds whose key now ends with ":<user>"


def upgrade() -> None:
    op.execute(
        "UPDATE outbox SET key = key || ':' || CAST(user_id AS VARCHAR(20)) "
        f"WHERE kind IN {KEYED_BY_OWNER} AND user_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE outbox SET key = substr(key, 1, length(key) - length(CAST(user_id AS VARCHAR(20)))"
        f" - 1) WHERE kind IN {KEYED_BY_OWNER} AND user_id IS NOT NULL"
    )
