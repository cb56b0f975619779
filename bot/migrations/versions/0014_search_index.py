"""Customer search in the database: derived search columns and a trigram index

Adds ``customer.phone_digits`` and ``customer.search_chars`` (see models/customers.py), fills
them for the customers already there a batch at a time, and indexes the search forms of the
name and the phone's digits for substring and similarity queries:

- SQLite: an FTS5 table ``customer_search`` (tokenizer ``trigram``) with ``customer`` as its
  external content, kept in step by three triggers, and its vocabulary ``customer_search_vocab``
  (how many names hold each trigram);
- PostgreSQL: the ``pg_trgm`` extension and a GIN ``gin_trgm_ops`` index per column.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from models.customers import (
    SEARCH_CHARS_LENGTH,
    SEARCH_FTS_TABLE,
    SEARCH_INDEXED_COLUMNS,
    phone_digits,
    search_chars,
    trigram_index_name,
)


def prefix_index_name(column: str) -> str:
    """The name of the PostgreSQL B-tree index for ``LIKE 'q%'`` on ``customer.<column>``."""
    return f"ix_customer_{column}_prefix"


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_BATCH = 1000
PREFIX_COLUMNS = ("search_key", "name_pinyin", "name_initials")
FTS_TABLE = SEARCH_FTS_TABLE
INDEXED_COLUMNS = SEARCH_INDEXED_COLUMNS
_COLUMNS = ", ".join(INDEXED_COLUMNS)
_NEW = ", ".join(f"new.{name}" for name in INDEXED_COLUMNS)
_OLD = ", ".join(f"old.{name}" for name in INDEXED_COLUMNS)
SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"""
        CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON customer BEGIN
            INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) VALUES (new.id, {_NEW});
        END""",
    f"{FTS_TABLE}_delete": f"""
        CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON customer BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {_COLUMNS})
            VALUES ('delete', old.id, {_OLD});
        END""",
    f"{FTS_TABLE}_update": f"""
        CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF {_COLUMNS} ON customer BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {_COLUMNS})
            VALUES ('delete', old.id, {_OLD});
            INSERT INTO {FTS_TABLE} (rowid, {_COLUMNS}) VALUES (new.id, {_NEW});
        END""",
}


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(
            sa.Column("phone_digits", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "search_chars",
                sqlmodel.sql.sqltypes.AutoString(length=SEARCH_CHARS_LENGTH),
                nullable=True,
            )
        )
    fill_derived_columns()
    if op.get_bind().dialect.name == "postgresql":
        schema = create_postgres_trigram_extension(op.get_bind())
        for name in INDEXED_COLUMNS:
            op.execute(
                f"CREATE INDEX {trigram_index_name(name)} ON customer "
                f'USING gin ({name} "{schema}".gin_trgm_ops)'
            )
        for name in PREFIX_COLUMNS:  # LIKE 'q%' whatever the database's collation
            op.execute(
                f"CREATE INDEX {prefix_index_name(name)} ON customer ({name} text_pattern_ops)"
            )
    else:
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_COLUMNS}, content='customer', "
            "content_rowid='id', tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
        op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE}_vocab USING fts5vocab({FTS_TABLE}, 'row')")
        for trigger in SQLITE_TRIGGERS.values():
            op.execute(trigger)


def create_postgres_trigram_extension(connection: sa.Connection) -> str:
    """The schema pg_trgm lives in, creating it when the database has none yet: in ``public``
    where that may be written, so that it outlives a schema of its own dropped later (the tests
    give each test one), else in the current schema."""
    where = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )
    schema = connection.execute(where).scalar()
    if schema is None:
        public_writable = connection.execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') "
                "AND has_schema_privilege('public', 'CREATE')"
            )
        ).scalar()
        target = (
            "public"
            if public_writable
            else connection.execute(sa.text("SELECT current_schema()")).scalar()
        )
        connection.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "{target}"'))
        schema = connection.execute(where).scalar()
    return str(schema)


def fill_derived_columns() -> None:
    """Write ``phone_digits`` and ``search_chars`` of every customer, a batch at a time."""
    customer = sa.table(
        "customer",
        sa.column("id", sa.Integer),
        sa.column("phone", sa.String),
        sa.column("search_key", sa.String),
        sa.column("phone_digits", sa.String),
        sa.column("search_chars", sa.String),
    )
    connection = op.get_bind()
    update = (
        customer.update()
        .where(customer.c.id == sa.bindparam("row_id"))
        .values(phone_digits=sa.bindparam("digits"), search_chars=sa.bindparam("chars"))
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(customer.c.id, customer.c.phone, customer.c.search_key)
            .where(customer.c.id > last_id)
            .order_by(customer.c.id)
            .limit(FILL_BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                {"row_id": row_id, "digits": phone_digits(phone), "chars": search_chars(key)}
                for row_id, phone, key in rows
            ],
        )
        last_id = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXED_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS {trigram_index_name(name)}")
        for name in PREFIX_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS {prefix_index_name(name)}")
        # The extension stays: other tables or databases' users may rely on it.
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}_vocab")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("search_chars")
        batch.drop_column("phone_digits")
