"""Figure 2, dispatch at the limit: reminders to many chats sent by the real dispatcher through
the emulator enforcing Telegram-like limits (30 messages a second overall, 5 a second to one
chat, answered with 429 beyond), with OUTBOX_MAX_PER_SECOND=30 and OUTBOX_CHAT_INTERVAL=1.

The reminders are follow-ups that fell due ten minutes ago (each rep has ``per_chat`` of them);
the producers write them to the outbox (timed apart), then ``dispatcher.run()`` is called until
every row has an outcome, waiting out any flood-control pause it reports. Every delivered
message is counted per outbox row: lost = rows never delivered, duplicated = deliveries beyond
one per row.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, func, select

from bench.common import Figure, fresh_database, say
from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.settings import load_settings
from models import OutboxMessage
from tests.test_scheduler_process import seed_follow_ups

RATE = 30
TARGET_SHARE = 0.95
DONE_STATES = ("sent", "skipped", "failed")


def _open_rows(db: Database) -> int:
    with db.session() as session:
        return session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.state).not_in(DONE_STATES))
        ).one()


def _states(db: Database) -> Counter[str]:
    with db.session() as session:
        return Counter(session.exec(select(OutboxMessage.state)).all())


async def measure(url: str, chats: int, per_chat: int) -> dict[str, object]:
    ids = seed_follow_ups(url, chats, per_chat)  # the process test's: admins, due 10 min ago
    db = Database(url)
    settings = load_settings(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=None,
        OUTBOX_MAX_PER_SECOND=str(RATE),
        OUTBOX_CHAT_INTERVAL="1",
        STAFF_QUIET_HOURS="00:00-00:00",  # the real clock may be at night: never hold them
    )
    emulator = BotAPIEmulator(enforce_limits=True)
    emulator.limit_rate(overall=RATE, per_chat=5)
    await emulator.start()
    users = [emulator.user(telegram_id, f"Rep {n}") for n, telegram_id in enumerate(ids)]
    for user in users:
        user.known = True
    bot = LocalBot(Deps(settings=settings, db=db), emulator)
    app = await bot.start()
    expected = chats * per_chat
    deadline = expected / RATE * 3 + 60
    try:
        started = time.perf_counter()
        written = await asyncio.to_thread(app.scheduler.produce)
        produced = time.perf_counter() - started
        say(f"  {len(written)} reminders written in {produced:.2f} s; sending at most {RATE}/s")
        emulator.send_log.clear()
        started = time.perf_counter()
        runs = 0
        while _open_rows(db):
            if time.perf_counter() - started > deadline:
                break
            runs += 1
            report = await app.scheduler.dispatcher.run()
            paused = app.scheduler.dispatcher.paused_until
            wait = (paused - datetime.now(UTC)).total_seconds() if paused else 0.0
            if wait > 0:
                await asyncio.sleep(wait)
            elif report.sent == 0:
                await asyncio.sleep(0.05)  # rows waiting for their send_after
        seconds = time.perf_counter() - started
    finally:
        await bot.stop()
        await emulator.stop()
    states = _states(db)
    db.dispose()
    delivered = Counter(
        (user.id, message.text.split("\n")[0]) for user in users for message in user.messages
    )
    sent = sum(delivered.values())
    return {
        "reminders": expected,
        "chats": chats,
        "written": len(written),
        "produce seconds": round(produced, 2),
        "dispatch seconds": round(seconds, 2),
        "dispatcher runs": runs,
        "messages delivered": sent,
        "rows delivered": len(delivered),
        "lost": expected - len(delivered),
        "duplicated": sent - len(delivered),
        "429s": emulator.refused_429,
        "max in any 1 s": emulator.max_sends_in_window(1.0),
        "outbox states": dict(states),
        "rate": sent / seconds if seconds else 0.0,
        "timed out": seconds > deadline,
    }


def run(database: str, folder: Path, chats: int, per_chat: int) -> list[Figure]:
    say(f"dispatch on {database}: {chats * per_chat} reminders to {chats} chats")
    with fresh_database(database, folder) as url:
        result = asyncio.run(measure(url, chats, per_chat))
    rate = float(result.pop("rate"))  # type: ignore[arg-type]
    share = rate / RATE
    say(
        f"  {rate:.1f} msg/s ({share:.2f} of {RATE}), lost {result['lost']}, duplicated "
        f"{result['duplicated']}, 429s {result['429s']}"
    )
    clean = result["lost"] == 0 and result["duplicated"] == 0
    return [
        Figure(
            "dispatch",
            f"dispatch: msg/s ÷ {RATE}",
            database,
            f"{share:.2f} ({rate:.1f} msg/s)",
            f">= {TARGET_SHARE}",
            share >= TARGET_SHARE,
            result,
        ),
        Figure(
            "dispatch",
            "dispatch: lost / duplicated",
            database,
            f"{result['lost']} / {result['duplicated']}",
            "0 / 0",
            clean,
            {},
        ),
        Figure("dispatch", "dispatch: 429s received", database, str(result["429s"]), "", None),
    ]
