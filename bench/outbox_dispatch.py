"""How fast the scheduler works out and sends reminders (run by hand, prints figures).

.venv/bin/python bench/outbox_dispatch.py [reminders, default 1000] [database URL]

Each reminder is a follow-up of its own rep, due ten minutes ago. The Bot API is the local
emulator in the same process, so the send rate measured is bounded by it as well as by the bot;
OUTBOX_MAX_PER_SECOND is lifted to 1000 here to see the bot's own cost. In production the rate
is held at OUTBOX_MAX_PER_SECOND (25) anyway.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.* helpers

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.settings import load_settings
from tests.test_scheduler_process import seed_follow_ups


async def measure(url: str, count: int) -> None:
    ids = seed_follow_ups(url, count, 1)
    emulator = BotAPIEmulator()
    await emulator.start()
    for telegram_id in ids:
        emulator.user(telegram_id, "Rep").known = True
    settings = load_settings(
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=None,
        OUTBOX_MAX_PER_SECOND="1000",
        OUTBOX_CHAT_INTERVAL="0",
        STAFF_QUIET_HOURS="00:00-00:00",  # measure at any hour
    )
    db = Database(url)
    bot = LocalBot(Deps(settings=settings, db=db), emulator)
    await bot.start()
    assert bot.app is not None
    try:
        started = time.perf_counter()
        written = await asyncio.to_thread(bot.app.scheduler.produce)
        produced = time.perf_counter() - started
        started = time.perf_counter()
        report = await bot.app.scheduler.dispatcher.run()
        sent = time.perf_counter() - started
    finally:
        await bot.stop()
        await emulator.stop()
        db.dispose()
    print(f"database {url.split('://')[0]}, {count} reminders")
    print(f"  work out what is due and write the outbox: {produced:.2f} s ({len(written)} rows)")
    print(f"  send: {sent:.2f} s, {report.sent / sent:.0f} messages/s ({report.sent} sent)")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    if len(sys.argv) > 2:
        asyncio.run(measure(sys.argv[2], count))
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(f"sqlite:///{Path(folder) / 'bench.db'}", count))


if __name__ == "__main__":
    main()
