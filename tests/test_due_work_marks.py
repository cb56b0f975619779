"""A tick reads only what fell due since the one before: each producer's mark (how far it has
looked) is kept in the database, a producer whose messages fall due only at a local time of day
does nothing between such moments, and once an hour the whole catch-up window is read again for
what changed behind a producer's back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.context import Deps
from bot.db import Database
from bot.local import LocalBot
from bot.reminders.scheduler import SWEEP_EVERY, Tick, covered
from bot.reminders.timing import at_local
from models import OutboxMessage, ProducerMark, Touch
from tests.conftest import FakeClock
from tests.test_due_work_bounded import add_customers, add_deals, add_rep, bulk

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the clock fixture's start, a Wednesday


def tick_between(deps: Deps, covered_until: datetime | None, now: datetime) -> Tick:
    return Tick(session=None, deps=deps, now=now, covered=covered_until)  # type: ignore[arg-type]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Kathmandu", "Australia/Eucla", "UTC"])
@pytest.mark.parametrize("moment", ["08:30", "09:00", "10:00", "00:00", "08:50"])
def test_a_local_moment_in_any_zone_is_seen_by_the_tick_that_passes_it(
    deps: Deps, zone: str, moment: str
) -> None:
    # Nepal is 5:45 and Eucla 8:45 ahead of UTC: still whole quarter hours.
    for day in (date(2026, 3, 29), date(2026, 7, 1), date(2026, 10, 25), date(2026, 11, 25)):
        instant = at_local(day, moment, zone)
        assert tick_between(deps, instant - timedelta(seconds=30), instant).may_pass(moment)
        assert tick_between(deps, instant - timedelta(seconds=1), instant).may_pass(moment)
        # The tick after the one that passed it has nothing to look for.
        after = tick_between(deps, instant, instant + timedelta(seconds=30))
        assert not after.may_pass(moment)


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"]
)
def test_the_zones_where_a_moment_came_agree_with_the_local_clock(deps: Deps, zone: str) -> None:
    # Across the clock changes of 2026 as well: each quarter hour of those days, as a tick
    # window of 15 minutes, finds the zone exactly when the day's 02:30, 08:30 or 00:00 is in it.
    for day in (date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4)):
        for moment in ("00:00", "02:30", "08:30"):
            instants = {at_local(day + timedelta(days=n), moment, zone) for n in (-1, 0, 1)}
            start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=14)
            for step in range(0, 4 * 40):
                covered_until = start + timedelta(minutes=15 * step, seconds=7)
                now = covered_until + timedelta(minutes=15)
                tick = tick_between(deps, covered_until, now)
                expected = {zone} if any(covered_until < t <= now for t in instants) else set()
                assert tick.zones_passing(moment, [zone]) == expected, (moment, now)


def test_between_quarter_hours_no_local_moment_can_pass(deps: Deps) -> None:
    start = datetime(2026, 11, 25, 9, 0, 5, tzinfo=UTC)
    assert not tick_between(deps, start, start + timedelta(minutes=14)).may_pass("08:30")
    assert tick_between(deps, start, start + timedelta(minutes=15)).may_pass("08:30")
    assert tick_between(deps, start, start + timedelta(minutes=5)).may_pass("08:50")  # 09:05
    assert tick_between(deps, None, start).may_pass("08:30")  # no mark: the whole window


def test_the_mark_is_used_only_within_the_hour_and_with_the_clock_going_forward() -> None:
    mark = ProducerMark(name="stale", covered_until=NOW, swept_at=NOW - timedelta(minutes=10))
    assert covered(None, NOW) is None
    assert covered(mark, NOW + timedelta(seconds=30)) == NOW
    assert covered(mark, NOW - timedelta(seconds=30)) is None  # the clock went back
    assert covered(mark, mark.swept_at + SWEEP_EVERY) is None  # the hourly full look


def producers_of(bot: LocalBot) -> Callable[[], list[str]]:
    """The producers as a scheduler tick runs them (marks kept), without sending."""
    assert bot.app is not None
    return bot.app.scheduler.produce


def follow_up(db: Database, rep: int, customer: int, at: datetime, *, created: datetime) -> int:
    bulk(
        db,
        Touch,
        [
            {
                "customer_id": customer,
                "author_id": rep,
                "kind": "call",
                "follow_up_at": at,
                "follow_up_has_time": True,
                "created_at": created,
                "updated_at": created,
            }
        ],
    )
    with db.session() as session:
        found = session.exec(select(Touch.id).where(Touch.follow_up_at == at)).one()
        assert found is not None
        return found


def keys(db: Database, kind: str) -> list[str]:
    with db.session() as session:
        return sorted(session.exec(select(OutboxMessage.key).where(OutboxMessage.kind == kind)))


async def test_ticks_between_moments_read_nothing_old_and_miss_nothing_new(
    bot: LocalBot, db: Database, clock: FakeClock
) -> None:
    rep = add_rep(db)
    customers = add_customers(db, rep, 400)
    # Deals that went quiet 15 days ago: their alerts were due at this morning's brief time.
    add_deals(db, rep, customers[:300], NOW - timedelta(days=15))
    soon = follow_up(db, rep, customers[300], NOW + timedelta(minutes=2), created=NOW)

    produce = producers_of(bot)
    produce()  # the first tick: everything due in the catch-up window
    assert len(keys(db, "stale_deal")) == 300
    assert keys(db, "followup") == []
    with db.session() as session:
        marks = {mark.name: mark for mark in session.exec(select(ProducerMark))}
    assert marks["stale"].covered_until == NOW and marks["stale"].swept_at == NOW

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        clock.advance(timedelta(seconds=30))
        produce()
        steady = list(statements)
        clock.advance(timedelta(minutes=2))  # the follow-up's time has come
        produce()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    # Between quarter hours no producer that works at a time of day reads its table.
    assert not [sql for sql in steady if "FROM deal" in sql or "FROM contact" in sql]
    assert keys(db, "followup") == [f"followup:{soon}:{(NOW + timedelta(minutes=2)).isoformat()}"]
    assert len(keys(db, "stale_deal")) == 300  # nothing written twice


async def test_the_hourly_look_finds_what_changed_behind_the_mark(
    bot: LocalBot, db: Database, clock: FakeClock
) -> None:
    rep = add_rep(db)
    customer = add_customers(db, rep, 1)[0]
    produce = producers_of(bot)
    produce()
    clock.advance(timedelta(minutes=1))
    # A follow-up set for a time already past (typed in after the call): due before the mark.
    before = NOW - timedelta(minutes=10)
    late = follow_up(db, rep, customer, before, created=clock.current)
    produce()
    assert keys(db, "followup") == []  # behind the mark: not looked at by a steady tick
    clock.advance(SWEEP_EVERY)
    produce()
    assert keys(db, "followup") == [f"followup:{late}:{before.isoformat()}"]
