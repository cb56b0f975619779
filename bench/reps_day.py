"""Figure 1, a rep's day: many reps at once against the real bot (LocalBot: the Application
long-polling the Bot API emulator, as in production), then the same number of people sending
the same number of updates to a bare echo bot on the same emulator. Throughput and latency per
step; the ratio of the two throughputs is the figure.

Each simulated rep: a quick-capture visit, picks the customer the bot asks about, Save, a typed
search, /deals, opens the first deal's card. Each step waits for the bot to have handled it
(``wait_processed``), as a person waits for the answer before the next tap.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import func, select

from bench.common import ROOT, Figure, fresh_database, ms, percentile, say
from bench.echo_bot import build_echo
from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services.customers import create_customer
from bot.services.deals import DealDraft, create_deal
from bot.services.people import Actor
from bot.settings import load_settings
from models import Role, Team, Touch, User

VISIT = "/visit Acme: visited, talked about price; next: call Friday"
SEARCH = "acme"
STEPS = ["visit", "pick customer", "save", "search", "/deals", "deal card"]
OTHER_CUSTOMERS = [
    "Pacific Steel Works",
    "Golden Harvest Foods",
    "Brightway Logistics",
    "上海宏达机电有限公司",
    "Lotus Solar",
    "River Tools",
    "杭州绿源科技",
    "Sunrise Bright Way",
]
FIRST_REP = 700_000
FIRST_ECHO_USER = 800_000
TARGET_RATIO = 0.7


class Driven(Protocol):
    async def wait_processed(self, update_id: int, *, all_chats: bool = True) -> None: ...


@dataclass
class DayRun:
    updates: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # time.process_time over the driven phase (the whole process)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


def seed_team(db: Database, reps: int) -> list[int]:
    """A director, teams of ten reps with a manager each, every rep with two "Acme" customers
    (so the quick capture asks which one), eight more and two open deals. Returns the reps'
    Telegram ids."""
    now = datetime.now(UTC)
    ids = []
    with db.session() as session:
        session.add(
            User(
                telegram_id=FIRST_REP - 1,
                full_name="Dana Director",
                timezone="UTC",
                role=Role.DIRECTOR,
            )
        )
        team: Team | None = None
        for number in range(reps):
            if number % 10 == 0:
                team = Team(name=f"Team {number // 10 + 1}")
                session.add(team)
                session.flush()
                session.add(
                    User(
                        telegram_id=FIRST_REP - 100 - number,
                        full_name=f"Manager {number}",
                        timezone="UTC",
                        role=Role.MANAGER,
                        team_id=team.id,
                    )
                )
            assert team is not None
            rep = User(
                telegram_id=FIRST_REP + number,
                full_name=f"Rep {number}",
                timezone="UTC",
                role=Role.REP,
                team_id=team.id,
            )
            session.add(rep)
            session.flush()
            ids.append(rep.telegram_id)
            actor = Actor.of(rep)
            created = []
            for name in ["Acme Machinery", "Acme Tools", *OTHER_CUSTOMERS]:
                customer = create_customer(
                    session,
                    actor,
                    name=name,
                    phone=None,
                    contact_name=None,
                    allow_duplicate=True,
                    now=now,
                )
                created.append(customer.id or 0)
            for title, customer_id in (("Lathes", created[0]), ("Spindles", created[1])):
                create_deal(
                    session, actor, DealDraft(customer_id, title, Decimal(12000), "USD"), now=now
                )
    return ids


async def _step(app: Driven, run: DayRun, name: str, action: Any) -> None:
    started = time.perf_counter()
    update_id = await action
    # A person waits for the answer to their own message, not for everybody else's.
    await asyncio.wait_for(app.wait_processed(update_id, all_chats=False), 120)
    run.latencies[name].append(time.perf_counter() - started)
    run.updates += 1


async def real_day(app: Driven, user: SimUser, run: DayRun) -> None:
    await _step(app, run, "visit", user.send(VISIT))
    asked = user.last()
    if asked.text.startswith("Which customer"):
        await _step(app, run, "pick customer", user.press("Acme Machinery", asked))
    else:
        run.problems.append(f"{user.id}: not asked which customer: {asked.text[:80]!r}")
    await _step(app, run, "save", user.press("✅ Save"))
    await _step(app, run, "search", user.send(SEARCH))
    await _step(app, run, "/deals", user.send("/deals"))
    board = user.last()
    cards = [b for b in board.buttons() if (b.callback_data or "").startswith("deal:open:")]
    if cards:
        await _step(app, run, "deal card", user.press(cards[0].callback_data or "", board))
    else:
        run.problems.append(f"{user.id}: no deal on the board: {board.text[:80]!r}")


async def echo_day(app: Driven, user: SimUser, run: DayRun) -> None:
    """The same sequence of updates, texts and presses, to the echo bot."""
    await _step(app, run, "visit", user.send(VISIT))
    await _step(app, run, "pick customer", user.press("echo"))
    await _step(app, run, "save", user.press("echo"))
    await _step(app, run, "search", user.send(SEARCH))
    await _step(app, run, "/deals", user.send("/deals"))
    await _step(app, run, "deal card", user.press("echo"))


async def _drive(
    app: Driven, users: list[SimUser], day: Any, profiler: cProfile.Profile | None = None
) -> DayRun:
    # One person first, not counted: imports, templates and caches warm up on both bots.
    await day(app, users[0], DayRun())
    run = DayRun()
    started, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    try:
        await asyncio.gather(*(day(app, user, run) for user in users[1:]))
    finally:
        if profiler is not None:
            profiler.disable()
    run.seconds = time.perf_counter() - started
    run.cpu_seconds = time.process_time() - cpu
    return run


async def measure(
    url: str, reps: int, *, profiler: cProfile.Profile | None = None
) -> tuple[DayRun, DayRun, list[str]]:
    """The echo bot's day, then salesbot's. With ``profiler``: salesbot's day alone, its driven
    phase (not the warm-up) under that profiler, and the echo bot not run."""
    db = Database(url)
    db.upgrade()
    ids = seed_team(db, reps + 1)  # one more: the warm-up person
    settings = load_settings(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=None)
    emulator = BotAPIEmulator()
    await emulator.start()
    problems: list[str] = []
    with db.session() as session:  # registered people have talked to the bot before
        for telegram_id in session.exec(select(User.telegram_id)):
            emulator.user(telegram_id, "Staff").known = True
    try:
        echo_run = DayRun()
        if profiler is None:
            echo_run = await _echo_day(emulator, reps)
        local = LocalBot(Deps(settings=settings, db=db), emulator)
        app = await local.start()
        try:
            users = [emulator.user(telegram_id, f"Rep {n}") for n, telegram_id in enumerate(ids)]
            real_run = await _drive(app, users, real_day, profiler)
        finally:
            await local.stop()
        problems += [f"handler error: {error!r}" for error in app.handler_errors]
        problems += [f"Bot API refused {method}: {why}" for method, why in emulator.rejections]
        with db.session() as session:
            saved = session.exec(select(func.count()).select_from(Touch)).one()
        if saved != reps + 1:
            problems.append(f"{saved} visits saved, expected {reps + 1}")
    finally:
        await emulator.stop()
        db.dispose()
    return real_run, echo_run, problems + real_run.problems


async def _echo_day(emulator: BotAPIEmulator, reps: int) -> DayRun:
    echo = build_echo(emulator.token, emulator.base_url)
    await echo.initialize()
    assert echo.updater is not None
    await echo.updater.start_polling(poll_interval=0, timeout=2)
    await echo.start()
    try:
        echo_users = [emulator.user(FIRST_ECHO_USER + n, f"Echo {n}") for n in range(reps + 1)]
        return await _drive(echo, echo_users, echo_day)
    finally:
        await echo.updater.stop()
        await echo.stop()
        await echo.shutdown()


# -- the profile --------------------------------------------------------------------------------

OWN = (str(ROOT / "bot") + "/", str(ROOT / "models") + "/")
EMULATOR = str(ROOT / "bot" / "emulator") + "/"
TOP_FUNCTIONS = 25
# Areas by the path of the function's file (first match wins); built-in functions (file "~")
# count for the area of the function that called them.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    (
        "Bot API emulator (bot/emulator/, aiohttp: not in production)",
        (EMULATOR, "/aiohttp/", "/yarl/", "/multidict/", "/aiosignal/", "/frozenlist/"),
    ),
    ("salesbot's own code (bot/, models/)", OWN),
    (
        "SQLAlchemy, SQLModel, sqlite3, psycopg",
        (
            "/sqlalchemy/",
            "/sqlmodel/",
            "/sqlite3/",
            "/psycopg/",
            "/psycopg_pool/",
            "/psycopg_binary/",
        ),
    ),
    ("python-telegram-bot", ("/telegram/",)),
    ("httpx, httpcore, anyio, h11", ("/httpx/", "/httpcore/", "/anyio/", "/h11/", "/sniffio/")),
    ("jinja2, markupsafe", ("/jinja2/", "/markupsafe/")),
    ("asyncio", ("/asyncio/",)),
]
OTHER = "other (standard library, other packages)"
IDLE = "idle: the event loop waiting for I/O (epoll)"


def _area(path: str) -> str:
    for area, markers in AREAS:
        if any(marker in path for marker in markers):
            return area
    return OTHER


def _where(key: tuple[str, int, str]) -> str:
    path, line, name = key
    if path == "~":
        return name
    shown = path[len(str(ROOT)) + 1 :] if path.startswith(str(ROOT) + "/") else path
    return f"{shown}:{line}({name})"


def summarize_profile(profiler: cProfile.Profile, updates: int) -> dict[str, Any]:
    """Own time (tottime) summed by area, and the project's functions by cumulative time."""
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    areas: dict[str, float] = defaultdict(float)
    for key, (_cc, _nc, own, _cum, callers) in stats.items():
        path, _line, name = key
        if path != "~":
            areas[_area(path)] += own
        elif "poll" in name and ("epoll" in name or "select" in name):
            areas[IDLE] += own
        elif callers:  # a built-in: its time goes to its callers' areas, in their shares
            for caller, (_ccc, _cnc, caller_own, _ccum) in callers.items():
                areas[_area(caller[0]) if caller[0] != "~" else OTHER] += caller_own
        else:
            areas[OTHER] += own
    total = sum(areas.values()) or 1.0
    own_code = [
        (key, value)
        for key, value in stats.items()
        if key[0].startswith(OWN) and not key[0].startswith(EMULATOR)
    ]
    own_code.sort(key=lambda item: item[1][3], reverse=True)
    return {
        "profiled seconds": round(total, 2),
        "updates": updates,
        "areas": [
            (area, round(seconds, 3), f"{seconds / total:.1%}")
            for area, seconds in sorted(areas.items(), key=lambda item: item[1], reverse=True)
        ],
        "functions": [
            (
                _where(key),
                str(nc) if nc == cc else f"{nc}/{cc}",
                round(cum, 3),
                ms(cum / nc) if nc else "",
            )
            for key, (cc, nc, _own, cum, _callers) in own_code[:TOP_FUNCTIONS]
        ],
    }


def profiled_day(database: str, folder: Path, reps: int) -> dict[str, Any]:
    """The same day once more, after the measured one, salesbot alone under cProfile."""
    say(f"  the same day again under cProfile (salesbot alone, a fresh database) on {database}")
    profiler = cProfile.Profile()
    try:
        with fresh_database(database, folder) as url:
            profiled, _, _ = asyncio.run(measure(url, reps, profiler=profiler))
        profile = summarize_profile(profiler, profiled.updates)
    except Exception as error:  # the profile is an explanation: the figure stands without it
        say(f"  the profiled run failed: {error!r}")
        return {"failed": f"{type(error).__name__}: {error}"[:300]}
    profile["wall seconds"] = round(profiled.seconds, 2)
    if profiled.updates:
        profile["cpu per update"] = ms(profiled.cpu_seconds / profiled.updates)
    return profile


def run(database: str, folder: Path, reps: int) -> list[Figure]:
    say(f"rep's day on {database}: {reps} reps at once, then the echo bot")
    with fresh_database(database, folder) as url:
        real, echo, problems = asyncio.run(measure(url, reps))
    profile = profiled_day(database, folder, reps)
    ratio = real.rate / echo.rate if echo.rate else 0.0
    steps = {
        step: {
            "salesbot p50": ms(percentile(real.latencies[step], 0.5)),
            "salesbot p99": ms(percentile(real.latencies[step], 0.99)),
            "echo p50": ms(percentile(echo.latencies[step], 0.5)),
            "echo p99": ms(percentile(echo.latencies[step], 0.99)),
        }
        for step in STEPS
    }
    say(f"  salesbot {real.rate:.1f} updates/s, echo {echo.rate:.1f} updates/s, ratio {ratio:.2f}")
    for problem in problems[:10]:
        say(f"  problem: {problem}")
    return [
        Figure(
            "reps_day",
            "rep's day: updates/s vs echo bot",
            database,
            f"{ratio:.2f} ({real.rate:.1f} vs {echo.rate:.1f} updates/s)",
            f">= {TARGET_RATIO}",
            ratio >= TARGET_RATIO and not problems,
            {
                "reps": reps,
                "salesbot updates": real.updates,
                "salesbot seconds": round(real.seconds, 2),
                "echo updates": echo.updates,
                "echo seconds": round(echo.seconds, 2),
                "salesbot cpu per update": ms(real.cpu_seconds / real.updates)
                if real.updates
                else "",
                "echo cpu per update": ms(echo.cpu_seconds / echo.updates) if echo.updates else "",
                "profile": profile,
                "steps": steps,
                "problems": problems,
            },
        )
    ]
