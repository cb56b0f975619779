"""Alembic environment: runs migrations on the engine handed over by ``bot.db``.

Run by hand with ``alembic -c bot/migrations/alembic.ini upgrade head`` (reads DATABASE_URL).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)
from models.customers import described_by_the_models

config = context.config
target_metadata = SQLModel.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    from bot.db import create_db_engine
    from bot.settings import load_settings

    return create_db_engine(load_settings().database_url)


def run_migrations() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # The search index of migration 0014 (FTS5 tables, pg_trgm indexes) is not in
            # the models: autogenerate leaves it alone.
            include_name=described_by_the_models,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
