"""Invite and contact-link codes stored as their SHA-256 (issue 15): the database keeps no code
that would open a link. Codes already issued keep working: each row's code is replaced by its
hash, and the bot looks codes up by hash. A code is recognised by its prefix (``i_`` or ``c_``),
so running this on rows already hashed changes nothing. There is no way back: a downgrade
leaves the hashes (unused links then no longer open).

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-28 19:05:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"invite": "i_", "contact_link": "c_"}


def upgrade() -> None:
    connection = op.get_bind()
    for table, prefix in TABLES.items():
        rows = connection.execute(
            sa.text(f"SELECT id, code FROM {table} WHERE code LIKE :prefix"),
            {"prefix": prefix + "%"},
        ).all()
        for row_id, code in rows:
            connection.execute(
                sa.text(f"UPDATE {table} SET code = :code WHERE id = :id"),
                {"code": hashlib.sha256(code.encode()).hexdigest(), "id": row_id},
            )


def downgrade() -> None:
    pass  # a hash cannot be turned back into its code
