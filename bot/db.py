"""The database: engine set-up (SQLite pragmas), migrations at start-up, and unit of work.

Every change goes through ``Database.session()``: one short transaction, committed when the block
ends without an error and rolled back otherwise; its changes are recorded in the change history
(``bot.services.history``) stamped by the database's clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.failures import note_saved
from bot.services.history import use_clock
from models import utcnow

if TYPE_CHECKING:  # Alembic is imported only when there is something to migrate
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
NUMBERED_MIGRATION = re.compile(r"^(\d{4})_\w+\.py$")


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL journalling, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def newest_numbered_migration() -> str | None:
    """The head revision when every migration file is named after its revision ``NNNN_…``
    (the project's rule), read from the file names alone; None when a file breaks the rule."""
    names = [path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py")]
    numbers = [match.group(1) for match in map(NUMBERED_MIGRATION.match, names) if match]
    if not numbers or len(numbers) != len(names) or len(set(numbers)) != len(numbers):
        return None
    return max(numbers)


def upgrade_schema(engine: Engine) -> str:
    """Bring the schema to the newest migration; return the revision it is now at.

    A database already at the newest revision is left alone without loading Alembic (most
    starts): one query on ``alembic_version``."""
    newest = newest_numbered_migration()
    if newest is not None and current_revision(engine) == newest:
        return newest
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(engine)
    command.upgrade(config, "head")
    head = ScriptDirectory.from_config(config).get_current_head()
    return head or "base"


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no schema yet)."""
    with engine.connect() as connection:
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:
            return None
    return str(rows[0][0]) if len(rows) == 1 else None


def describe_url(url: str) -> str:
    """The URL as it may appear in a log line: without a password."""
    return make_url(url).render_as_string(hide_password=True)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


class Database:
    """The engine plus a factory of short transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self.clock: Callable[[], datetime] = utcnow  # the application's, set by ``Deps``

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            use_clock(session, self.clock)
            try:
                yield session
                session.commit()
                if session.info.pop("wrote", False):
                    note_saved()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self) -> str:
        return upgrade_schema(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
