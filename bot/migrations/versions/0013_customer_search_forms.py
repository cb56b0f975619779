"""Customers' names in the forms search finds them by: Simplified key, pinyin, initials

Adds the columns (indexed) and fills them for the customers already there, with the same
function the bot uses when a name is written (bot.parsing.search_forms.name_forms).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from bot.parsing.search_forms import name_forms

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(
            sa.Column("search_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch.add_column(
            sa.Column("name_pinyin", sqlmodel.sql.sqltypes.AutoString(length=1200), nullable=True)
        )
        batch.add_column(
            sa.Column("name_initials", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch.create_index(batch.f("ix_customer_search_key"), ["search_key"], unique=False)
        batch.create_index(batch.f("ix_customer_name_pinyin"), ["name_pinyin"], unique=False)
        batch.create_index(batch.f("ix_customer_name_initials"), ["name_initials"], unique=False)
    fill_search_forms()


def fill_search_forms() -> None:
    """Write the search forms of every customer's name, a batch of rows at a time."""
    customer = sa.table(
        "customer",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("search_key", sa.String),
        sa.column("name_pinyin", sa.String),
        sa.column("name_initials", sa.String),
    )
    connection = op.get_bind()
    update = (
        customer.update()
        .where(customer.c.id == sa.bindparam("row_id"))
        .values(
            search_key=sa.bindparam("key"),
            name_pinyin=sa.bindparam("pinyin"),
            name_initials=sa.bindparam("initials"),
        )
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(customer.c.id, customer.c.name)
            .where(customer.c.id > last_id)
            .order_by(customer.c.id)
            .limit(FILL_BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row_id, name in rows:
            forms = name_forms(name)
            values.append(
                {
                    "row_id": row_id,
                    "key": forms.key,
                    "pinyin": forms.pinyin,
                    "initials": forms.initials,
                }
            )
        connection.execute(update, values)
        last_id = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.drop_index(batch.f("ix_customer_name_initials"))
        batch.drop_index(batch.f("ix_customer_name_pinyin"))
        batch.drop_index(batch.f("ix_customer_search_key"))
        batch.drop_column("name_initials")
        batch.drop_column("name_pinyin")
        batch.drop_column("search_key")
