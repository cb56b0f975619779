"""The schema: migrations build exactly what the models describe; instants and money round-trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel, select

from bot.db import Database, current_revision
from models import Customer, Team, User
from models.base import UTCDateTime
from models.customers import described_by_the_models


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": described_by_the_models}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    assert current_revision(db.engine) is not None


def test_upgrade_is_idempotent(db: Database) -> None:
    before = current_revision(db.engine)
    assert db.upgrade() == before


def test_instants_come_back_aware_in_utc(db: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    created = datetime(2026, 3, 1, 8, 30, tzinfo=shanghai)
    with db.session() as session:
        session.add(Team(name="North", created_at=created))
    with db.session() as session:
        team = session.exec(select(Team)).one()
    assert team.created_at == created
    assert team.created_at.tzinfo is not None and team.created_at.utcoffset() == timedelta(0)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), sqlite.dialect())


def test_money_is_decimal(db: Database) -> None:
    with db.session() as session:
        owner = User(telegram_id=1, full_name="O", timezone="UTC", role="rep")  # type: ignore[arg-type]
        session.add(owner)
        session.flush()
        assert owner.id is not None
        session.add(Customer(name="C", owner_id=owner.id, credit_limit=Decimal("12345.67")))
    with db.session() as session:
        customer = session.exec(select(Customer)).one()
    assert customer.credit_limit == Decimal("12345.67")
    assert isinstance(customer.credit_limit, Decimal)
    assert customer.created_at.tzinfo is UTC or customer.created_at.utcoffset() == timedelta(0)


def test_runs_on_the_selected_database(db: Database) -> None:
    """TEST_DATABASE_URL picks PostgreSQL; without it the suite runs on SQLite files."""
    import os

    expected = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    assert db.engine.dialect.name == expected
    if expected == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
