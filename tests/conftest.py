"""Shared fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema when
TEST_DATABASE_URL is set), a settable clock, and the real bot running against the emulator."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.settings import Settings, load_settings

ADMIN_ID = 900001

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


class FakeClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@contextmanager
def fresh_database_url(directory: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in ``directory``, or a new PostgreSQL schema
    dropped afterwards."""
    if not POSTGRES_URL:
        yield f"sqlite:///{directory / 'salesbot.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin_engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(tmp_path) as url:
        yield url


def settings_for(database_url: str) -> Settings:
    """The settings every end-to-end test runs with."""
    return load_settings(
        DATABASE_URL=database_url,
        ADMIN_TELEGRAM_IDS=str(ADMIN_ID),
        DEFAULT_TIMEZONE="Asia/Shanghai",
        TELEGRAM_BOT_TOKEN=None,
        OUTBOX_CHAT_INTERVAL="0",  # no real pause between two messages to one chat in tests
        OUTBOX_MAX_PER_SECOND="1000",  # the rate limiter is tested on its own (test_outbox)
    )


def database_url_for_env(url: str) -> str:
    """The URL as an environment variable may carry it (percent-encoding kept)."""
    return url if "options" not in url else url.replace(" ", quote(" "))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def deps(settings: Settings, db: Database, clock: FakeClock) -> Deps:
    return Deps(settings=settings, db=db, clock=clock)


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    emu = BotAPIEmulator()
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def bot(deps: Deps, emulator: BotAPIEmulator) -> AsyncIterator[LocalBot]:
    local = LocalBot(deps, emulator)
    app = await local.start()
    yield local
    await local.stop()
    assert app.handler_errors == [], f"handlers failed: {app.handler_errors!r}"
    assert emulator.rejections == [], f"the Bot API refused: {emulator.rejections!r}"
