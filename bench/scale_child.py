"""Figure 3's measuring process (started by ``bench.scale``; not run by hand): on an existing
database, time each operation a bot process runs (median of ``runs``), capture the SQL each one
sends and its query plans, and report the process's peak RSS. Prints one JSON object on stdout.

    python -m bench.scale_child URL RUNS

The process first builds the bot's Application (no network), so its memory holds what the bot
process holds. Every operation runs in a transaction that is rolled back: producers write
outbox rows, and the cached database must stay as generated.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from bench.common import median
from bench.scale_data import CITY, NOW
from bot.app import build_application
from bot.context import Deps
from bot.db import Database
from bot.reminders.scheduler import Tick, producers
from bot.services import agenda, customers, digest, nearby
from bot.services.people import Actor
from bot.settings import load_settings
from models import Role, User

Operation = Callable[[Session], object]
STEADY = " (steady: 30 s after the first)"
QUARTER = " (steady, over a quarter hour)"
# The scheduler's ticks after the first, as ``Scheduler.produce`` runs them: each producer
# looks only at what fell due since the tick before (its mark, ``Tick.covered``). A tick 30 s
# after the first finds no local time of day passed in any zone; a tick over a quarter hour
# (every 30th) is the one where the producers whose messages fall due at a time of day look.
STEADY_AT = (NOW + timedelta(seconds=30), NOW)  # (now, covered)
QUARTER_AT = (NOW + timedelta(minutes=15, seconds=15), NOW + timedelta(minutes=14, seconds=45))
SLOW = 5.0  # seconds: an operation slower than this on its first run is timed SLOW_RUNS times
SLOW_RUNS = 3
NEAR_POINT = (CITY[0] + 0.01, CITY[1] - 0.02)
PLANNED = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")


def say(message: str) -> None:
    print(f"[bench]     {message}", file=sys.stderr, flush=True)


def first_of(session: Session, role: Role) -> Actor:
    user = session.exec(
        select(User).where(User.role == role, col(User.is_active)).order_by(col(User.id))
    ).first()
    assert user is not None, f"no {role.value} in the generated data"
    return Actor.of(user)


def operations(deps: Deps, director: Actor, rep: Actor) -> dict[str, Operation]:
    settings = deps.settings
    day = NOW.astimezone(__import__("zoneinfo").ZoneInfo(director.timezone)).date()
    cadence_days = {tier: settings.cadence_days(tier) for tier in ("A", "B", "C")}

    def tick_of(produce: Callable[[Tick], None]) -> Operation:
        return lambda session: produce(Tick(session=session, deps=deps, now=NOW))

    def whole_tick(session: Session) -> None:
        for _, produce in producers():
            produce(Tick(session=session, deps=deps, now=NOW))

    def later(produce: Callable[[Tick], None], at: tuple[datetime, datetime]) -> Operation:
        now, covered = at
        return lambda session: produce(Tick(session=session, deps=deps, now=now, covered=covered))

    def whole_later(at: tuple[datetime, datetime]) -> Operation:
        def run(session: Session) -> None:
            for _, produce in producers():
                later(produce, at)(session)

        return run

    found: dict[str, Operation] = {
        "search “acme” as director": lambda s: customers.search_customers(s, director, "acme"),
        "search “宏达” as director": lambda s: customers.search_customers(s, director, "宏达"),
        "search “acme” as rep": lambda s: customers.search_customers(s, rep, "acme"),
        "/today as rep": lambda s: agenda.my_day(s, rep, now=NOW),
        "duplicate check as rep": lambda s: customers.find_duplicates(
            s, rep, "Acme Machinery Co., Ltd.", "+86 21 5555 0101"
        ),
        "director's digest": lambda s: digest.team_digest(
            s, director, day=day, now=NOW, currency=settings.default_currency
        ),
        # A location shared in the middle of the city where the customers are.
        "near me as rep": lambda s: nearby.near(
            s, rep, *NEAR_POINT, now=NOW, cadence_days=cadence_days
        ),
        "near me as director": lambda s: nearby.near(
            s, director, *NEAR_POINT, now=NOW, cadence_days=cadence_days
        ),
        "near yesterday's route as rep": lambda s: nearby.near_route(
            s,
            rep,
            since=NOW - timedelta(days=1),
            until=NOW,
            now=NOW,
            cadence_days=cadence_days,
        ),
    }
    for name, produce in producers():
        found[f"producer {name}"] = tick_of(produce)
    found["whole tick (every producer)"] = whole_tick
    # The scheduler ticks every 30 s: after its first tick on a database (all that fell due in
    # the catch-up window written at once, thousands of messages at 1M), a tick finds only what
    # fell due since. Measured after one whole tick in the same transaction, rolled back after.
    for suffix, at in ((STEADY, STEADY_AT), (QUARTER, QUARTER_AT)):
        for name, produce in producers():
            found[f"producer {name}{suffix}"] = later(produce, at)
        found[f"whole tick (every producer){suffix}"] = whole_later(at)
    return found


def measure_steady(
    db: Database, deps: Deps, steady: dict[str, Operation], runs: int
) -> dict[str, Any]:
    """The ticks after the first: one whole tick writes everything due (untimed), then each
    operation runs ``runs`` times in the same transaction, which is rolled back at the end."""
    say("the first tick, then the steady ones")
    found: dict[str, Any] = {}
    with Session(db.engine) as session:
        for _, produce in producers():
            produce(Tick(session=session, deps=deps, now=NOW))
        session.flush()
        for name, operation in steady.items():
            with captured(db) as statements:
                started = time.perf_counter()
                operation(session)
                first = time.perf_counter() - started
            seconds = []
            for _ in range(runs):
                started = time.perf_counter()
                operation(session)
                seconds.append(time.perf_counter() - started)
            found[name] = {
                "median": median(seconds),
                "first": first,
                "runs": seconds,
                "statements": len(statements),
                "plans": plans(db, statements),
            }
        session.rollback()
    return found


@contextmanager
def captured(db: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def plans(db: Database, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct statement once, how often it ran, its parameters and its plan."""
    distinct: dict[str, dict[str, Any]] = {}
    for statement, parameters in statements:
        entry = distinct.setdefault(statement, {"sql": statement, "count": 0, "params": parameters})
        entry["count"] += 1
    sqlite = db.engine.dialect.name == "sqlite"
    raw = db.engine.raw_connection()
    try:
        for entry in distinct.values():
            sql: str = entry["sql"]
            params = entry["params"]
            if isinstance(params, list):  # executemany: the first row's values
                params = params[0] if params else ()
            if not sql.lstrip().upper().startswith(PLANNED):
                entry["plan"] = ""
                continue
            cursor = raw.cursor()
            try:
                if sqlite:
                    cursor.execute("EXPLAIN QUERY PLAN " + sql, params or ())
                    entry["plan"] = _sqlite_tree(cursor.fetchall())
                else:
                    cursor.execute("EXPLAIN " + sql, params or None)
                    entry["plan"] = "\n".join(row[0] for row in cursor.fetchall())
            except Exception as error:  # a plan we cannot get is shown as such
                entry["plan"] = f"(no plan: {str(error).splitlines()[0]})"
                raw.rollback()
            finally:
                cursor.close()
            entry["params"] = _shown(params)
        raw.rollback()
    finally:
        raw.close()
    return list(distinct.values())


def _sqlite_tree(rows: list[tuple[Any, ...]]) -> str:
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return "\n".join(lines) or "(no plan rows: a plain write)"


def _shown(params: Any) -> str:
    text = repr(params)
    return text if len(text) <= 400 else text[:400] + "…"


def measure(url: str, runs: int) -> dict[str, Any]:
    settings = load_settings(
        DATABASE_URL=url, TELEGRAM_BOT_TOKEN=None, DEFAULT_TIMEZONE="Asia/Shanghai"
    )
    db = Database(url)
    deps = Deps(settings=settings, db=db, clock=lambda: NOW)
    # What the bot process loads (handlers, templates, PTB); no network until initialize().
    build_application(deps, token="123456789:BENCH-not-a-token", base_url="http://127.0.0.1:9/bot")
    with Session(db.engine) as session:
        director = first_of(session, Role.DIRECTOR)
        rep = first_of(session, Role.REP)
    results: dict[str, Any] = {}
    steady: dict[str, Operation] = {}
    for name, operation in operations(deps, director, rep).items():
        if name.endswith((STEADY, QUARTER)):
            steady[name] = operation
            continue
        say(name)
        with captured(db) as statements, Session(db.engine) as session:
            started = time.perf_counter()
            operation(session)  # the first run, untimed: caches warm, SQL captured
            first = time.perf_counter() - started
            session.rollback()
        seconds = []
        # An operation that takes seconds is timed fewer times, so a 1M run ends today.
        for _ in range(min(runs, SLOW_RUNS) if first > SLOW else runs):
            with Session(db.engine) as session:
                started = time.perf_counter()
                operation(session)
                seconds.append(time.perf_counter() - started)
                session.rollback()
        results[name] = {
            "median": median(seconds),
            "first": first,
            "runs": seconds,
            "statements": len(statements),
            "plans": plans(db, statements),
        }
    if steady:
        results.update(measure_steady(db, deps, steady, runs))
    db.dispose()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"operations": results, "peak_rss_mib": peak_kib / 1024}


def main() -> None:
    url, runs = sys.argv[1], int(sys.argv[2])
    print(json.dumps(measure(url, runs), ensure_ascii=False))


if __name__ == "__main__":
    main()
