"""Company settings an admin overrides in /settings (quiet hours, quote discount limits, the
windows for people's own brief and digest times), and each person's own brief and digest time.

``company_setting`` holds one row per overridden setting (no row: the environment value).
``user`` gets two nullable columns, added and dropped in place (no table rebuild on SQLite;
``customer`` is not touched).

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-28 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_setting",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("key"),
    )
    for name in ("brief_time", "digest_time"):
        op.add_column(
            "user", sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True)
        )


def downgrade() -> None:
    op.drop_table("company_setting")
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): rebuilding ``user`` would break the
    # foreign keys that point at it.
    op.drop_column("user", "digest_time")
    op.drop_column("user", "brief_time")
