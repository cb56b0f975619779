"""Pipeline stages an admin names (issue 14): ``pipeline_stage.name``, the name everyone sees
in every language instead of the built-in one (None: the built-in name). Added in place: on
SQLite rebuilding ``pipeline_stage`` would break the foreign keys that point at it.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "pipeline_stage",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("pipeline_stage", "name")
