"""The scheduler's due work is bounded by what is due: a tick among many rows that are not due
fetches only the due ones, and no statement carries a list of ids that grows with the data."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, insert, update
from sqlmodel import Session, col, select

from bot.context import Deps
from bot.db import Database
from bot.reminders.scheduler import Tick, producers
from bot.services.digest import team_digest
from bot.services.people import Actor
from models import (
    Contact,
    Customer,
    Deal,
    Instalment,
    OutboxMessage,
    Role,
    SalesOrder,
    Touch,
    User,
)
from tests.conftest import FakeClock

SQLITE_DEFAULT_VARIABLES = 32766  # SQLite's default limit since 3.32 (some builds allow more)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the clock fixture's start, a Wednesday


def produce_all(deps: Deps) -> list[str]:
    """One round of every producer, as ``Scheduler.produce`` runs them; the keys written."""
    written: list[str] = []
    for _name, produce in producers():
        with deps.db.session() as session:
            tick = Tick(session=session, deps=deps, now=deps.now())
            produce(tick)
            written += tick.written
    return written


def add_rep(db: Database) -> int:
    with db.session() as session:
        rep = User(telegram_id=70001, full_name="Rep", timezone="UTC", role=Role.REP)
        session.add(rep)
        session.flush()
        assert rep.id is not None
        return rep.id


def bulk(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    with db.session() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(model), rows[start : start + 5000])


def add_customers(db: Database, owner: int, count: int, first: int = 1) -> list[int]:
    ids = list(range(first, first + count))
    bulk(db, Customer, [{"id": n, "name": f"Customer {n}", "owner_id": owner} for n in ids])
    return ids


def add_deals(db: Database, owner: int, customers: list[int], last_activity: datetime) -> None:
    """Open deals (first stage) with nothing done since ``last_activity``."""
    bulk(
        db,
        Deal,
        [
            {
                "customer_id": customer,
                "owner_id": owner,
                "title": f"Deal {customer}",
                "amount": Decimal("1000.00"),
                "currency": "CNY",
                "stage_key": "lead",
                "probability": 10,
                "created_at": last_activity,
                "updated_at": last_activity,
                "stage_changed_at": last_activity,
                "last_activity_at": last_activity,
            }
            for customer in customers
        ],
    )


@pytest.fixture
def sqlite_default_limit(db: Database) -> None:
    """SQLite connections with the usual limit of bound variables (this build may allow more)."""
    if db.engine.dialect.name != "sqlite":
        return

    @event.listens_for(db.engine, "connect")
    def _limit(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_DEFAULT_VARIABLES)

    db.engine.dispose()


def test_stale_deals_alert_with_more_open_deals_than_a_statement_may_carry_variables(
    deps: Deps, db: Database, sqlite_default_limit: None
) -> None:
    # More open deals than SQLite's (32,766) or PostgreSQL's driver (65,535) limit of bound
    # values in one statement: none of them may become one bound value each.
    rep = add_rep(db)
    long_ago = NOW - timedelta(days=400)
    quiet = add_customers(db, rep, 70_000)
    add_deals(db, rep, quiet, long_ago)  # stale for a year: told long ago, not now
    due = add_customers(db, rep, 5, first=100_001)
    # 14 days (STALE_DEAL_DAYS) ran out yesterday at noon: told today at 08:30.
    add_deals(db, rep, due, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))

    written = produce_all(deps)

    with db.session() as session:
        alerts = session.exec(
            select(OutboxMessage.customer_id).where(OutboxMessage.kind == "stale_deal")
        ).all()
    assert sorted(customer or 0 for customer in alerts) == due
    assert len([key for key in written if key.startswith("stale_deal:")]) == 5


def test_a_tick_among_many_rows_not_due_fetches_only_the_due_ones(
    deps: Deps, db: Database, clock: FakeClock
) -> None:
    rep = add_rep(db)
    not_due = 3000
    customers = add_customers(db, rep, not_due + 10)
    recent = NOW - timedelta(days=1)
    # Not due: deals touched yesterday, follow-ups next month or done, birthdays on other days.
    add_deals(db, rep, customers[:not_due], recent)
    bulk(
        db,
        Touch,
        [
            {
                "customer_id": customer,
                "author_id": rep,
                "kind": "call",
                "follow_up_at": NOW + timedelta(days=30 + n % 60),
                "follow_up_done_at": NOW if n % 2 else None,
                "created_at": recent,
                "updated_at": recent,
            }
            for n, customer in enumerate(customers[:not_due])
        ],
    )
    bulk(
        db,
        Contact,
        [
            {"customer_id": customer, "name": f"Contact {customer}", "birth_month": 1 + n % 10}
            | {"birth_day": 1 + n % 28}
            for n, customer in enumerate(customers[:not_due])
        ],
    )
    # Due: two stale deals, three follow-ups at 08:00 today, a birthday today.
    due_customers = customers[not_due:]
    add_deals(db, rep, due_customers[:2], datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    bulk(
        db,
        Touch,
        [
            {
                "customer_id": customer,
                "author_id": rep,
                "kind": "visit",
                "follow_up_at": datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
                "follow_up_has_time": True,
                "created_at": datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
                "updated_at": datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
            }
            for customer in due_customers[2:5]
        ],
    )
    bulk(
        db,
        Contact,
        [{"customer_id": due_customers[5], "name": "Li Na", "birth_month": 11, "birth_day": 25}],
    )

    loaded: Counter[str] = Counter()
    widest = 0

    def count_loaded(_session: Session, instance: Any) -> None:
        loaded[type(instance).__name__] += 1

    def count_values(
        _conn: Any, _cursor: Any, _statement: str, parameters: Any, *_args: Any
    ) -> None:
        nonlocal widest
        widest = max(widest, len(parameters) if isinstance(parameters, dict | tuple) else 0)

    event.listen(Session, "loaded_as_persistent", count_loaded)
    event.listen(db.engine, "before_cursor_execute", count_values)
    try:
        written = produce_all(deps)
    finally:
        event.remove(Session, "loaded_as_persistent", count_loaded)
        event.remove(db.engine, "before_cursor_execute", count_values)

    kinds = Counter(key.split(":")[0] for key in written)
    assert kinds == {"stale_deal": 2, "followup": 3, "birthday_nudge": 1, "brief": 1}
    # Rows brought into Python: what is due (and its customer, owner), never the 3,000 not due.
    assert loaded["Deal"] <= 2
    assert loaded["Touch"] <= 3 * 2  # the follow-ups, in their reminders and in the brief
    assert loaded["Contact"] <= 1 * 2
    assert sum(loaded.values()) < 50
    assert widest < 100  # no statement binds a value per row of the data
    assert clock() == NOW


def test_a_day_of_birthdays_is_found_by_the_index(db: Database) -> None:
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("the plan is read from SQLite")
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM contact WHERE birth_month = 11 AND birth_day = 25"
        ).all()
    assert "ix_contact_birthday" in " ".join(str(row[-1]) for row in plan)


# -- statements per tick: what is due, not how many rows there are ------------------------------


def count_statements(db: Database, run: Any) -> int:
    """How many SQL statements ``run()`` sends."""
    sent = 0

    def count(*_args: Any) -> None:
        nonlocal sent
        sent += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return sent


def produce_one(deps: Deps, name: str) -> list[str]:
    produce = dict(producers())[name]
    with deps.db.session() as session:
        tick = Tick(session=session, deps=deps, now=deps.now())
        produce(tick)
        return tick.written


def add_unpaid_orders(db: Database, owner: int, customers: list[int], due: date) -> None:
    """A won deal and an unpaid order of two instalments (the first due on ``due``) for each."""
    with db.session() as session:
        first_deal = len(session.exec(select(Deal.id)).all()) + 1
    add_deals(db, owner, customers, NOW - timedelta(days=30))
    with db.session() as session:
        deals = session.exec(
            select(Deal.id, Deal.customer_id).where(col(Deal.id) >= first_deal)
        ).all()
        session.execute(update(Deal).where(col(Deal.id) >= first_deal).values(stage_key="won"))
    orders = [
        {
            "id": deal_id,
            "number": f"O-{deal_id:05d}",
            "deal_id": deal_id,
            "customer_id": customer_id,
            "owner_id": owner,
            "delivery_owner_id": owner,
            "payment_owner_id": owner,
            "total": Decimal("1000.00"),
            "paid_total": Decimal("100.00"),
            "currency": "CNY",
            "delivery_date": due - timedelta(days=30),
            "created_by_id": owner,
            "created_at": NOW - timedelta(days=40),
            "updated_at": NOW - timedelta(days=40),
        }
        for deal_id, customer_id in deals
    ]
    bulk(db, SalesOrder, orders)
    bulk(
        db,
        Instalment,
        [
            {"order_id": order["id"], "sequence": sequence, "amount": Decimal("500.00")}
            | {"due_date": due + timedelta(days=30 * (sequence - 1))}
            for order in orders
            for sequence in (1, 2)
        ],
    )


def test_payment_reminders_and_the_digest_read_unpaid_orders_in_one_statement(
    deps: Deps, db: Database
) -> None:
    rep = add_rep(db)
    with db.session() as session:
        director = User(telegram_id=70002, full_name="Boss", timezone="UTC", role=Role.DIRECTOR)
        session.add(director)
        session.flush()
        boss = Actor.of(director)
    customers = add_customers(db, rep, 60)
    # Unpaid orders, none of them due for a reminder now (the first instalment in two months).
    add_unpaid_orders(db, rep, customers[:5], NOW.date() + timedelta(days=60))

    def digest() -> None:
        with db.session() as session:
            team_digest(session, boss, day=NOW.date(), now=NOW, currency="CNY")

    few = count_statements(db, lambda: produce_one(deps, "payments"))
    few_digest = count_statements(db, digest)
    add_unpaid_orders(db, rep, customers[5:], NOW.date() + timedelta(days=60))
    many = count_statements(db, lambda: produce_one(deps, "payments"))
    many_digest = count_statements(db, digest)

    # Twelve times the unpaid orders, the same statements (not one more per order).
    assert many == few
    assert many_digest == few_digest
    assert produce_one(deps, "payments") == []


def test_a_tick_looks_up_the_outbox_a_batch_of_keys_at_a_time(deps: Deps, db: Database) -> None:
    rep = add_rep(db)
    customers = add_customers(db, rep, 200)

    def add_follow_ups(some: list[int]) -> None:
        bulk(
            db,
            Touch,
            [
                {
                    "customer_id": customer,
                    "author_id": rep,
                    "kind": "call",
                    "follow_up_at": datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
                    "follow_up_has_time": True,
                    "created_at": NOW - timedelta(days=3),
                    "updated_at": NOW - timedelta(days=3),
                }
                for customer in some
            ],
        )

    add_follow_ups(customers[:5])
    assert len(produce_one(deps, "followups")) == 5
    # The next tick: every reminder is in the outbox already; nothing is written again.
    few = count_statements(db, lambda: produce_one(deps, "followups"))

    add_follow_ups(customers[5:])
    assert len(produce_one(deps, "followups")) == 195
    many = count_statements(db, lambda: produce_one(deps, "followups"))

    # Forty times as many due, already written: one look-up per batch of keys, not per item.
    assert many == few
    assert produce_one(deps, "followups") == []
