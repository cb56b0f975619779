"""Customer search, second part: the customers changed and touched last, through indexes

``recent_customers`` (the /visit list) takes the visible customers changed last with a LIMIT:
an index of ``customer.updated_at`` for a director, of ``(owner_id, updated_at)`` for a rep;
and the person's newest touches (whom they touched last) through ``touch(author_id,
created_at)``. Only indexes are added: no table is rebuilt (on SQLite that would drop the
search triggers of 0014).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customer_updated_at", "customer", ["updated_at"], unique=False)
    op.create_index(
        "ix_customer_owner_updated_at", "customer", ["owner_id", "updated_at"], unique=False
    )
    op.create_index(
        "ix_touch_author_created_at", "touch", ["author_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_touch_author_created_at", table_name="touch")
    op.drop_index("ix_customer_owner_updated_at", table_name="customer")
    op.drop_index("ix_customer_updated_at", table_name="customer")
