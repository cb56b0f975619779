"""Figure 4, start-up to first answer: ``python main.py`` spawned as a real process against the
emulator on the largest SQLite database, a registered rep sends /start the moment the process is
spawned, and the time runs until the bot's answer reaches the emulator. The same for the bare
echo bot (``bench/echo_bot.py``) started the same way. Every registered person has talked to the
bot before (the emulator knows their chats), as in a running company.

The first start of a run is reported on its own (the bot then publishes every person's command
menu if it changed, as after an upgrade); the figure is the median of the restarts after it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import ROOT, Figure, median, ms, say
from bot.emulator import BotAPIEmulator

LIMIT = 1.5
ECHO_USER = 4242


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_", "DEFAULT_", "SCHEDULER_"))
    }
    env.update(extra)
    return env


def staff_of(url: str) -> tuple[int, list[int]]:
    """A rep's Telegram id, and everyone's."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            everyone = [
                int(row[0]) for row in connection.execute(text('SELECT telegram_id FROM "user"'))
            ]
            rep = connection.execute(
                text("SELECT telegram_id FROM \"user\" WHERE role = 'rep' ORDER BY id LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(rep), everyone


async def time_start(
    command: list[str], env: dict[str, str], user_id: int, known: list[int]
) -> float:
    emulator = BotAPIEmulator()
    await emulator.start()
    for telegram_id in known:
        emulator.user(telegram_id, "Staff").known = True
    user = emulator.user(user_id, "Rep")
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "stderr").open("w+") as log:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=folder,
            env={
                **env,
                "TELEGRAM_BOT_TOKEN": emulator.token,
                "TELEGRAM_API_URL": emulator.base_url,
            },
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        try:
            await user.send("/start")
            await user.wait_for_messages(1, timeout=120)
            elapsed = time.perf_counter() - started
        except TimeoutError:
            log.seek(0)
            raise RuntimeError(f"no answer within 120 s: {log.read()[-2000:]}") from None
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            await emulator.stop()
    return elapsed


async def measure(url: str, restarts: int) -> dict[str, list[float]]:
    rep, everyone = staff_of(url)
    bot = [sys.executable, str(ROOT / "main.py")]
    echo = [sys.executable, str(ROOT / "bench" / "echo_bot.py")]
    bot_env = _clean_env(DATABASE_URL=url)
    echo_env = _clean_env()
    found: dict[str, list[float]] = {"salesbot": [], "echo": []}
    found["first"] = [await time_start(bot, bot_env, rep, everyone)]
    for _ in range(restarts):
        found["salesbot"].append(await time_start(bot, bot_env, rep, everyone))
        found["echo"].append(await time_start(echo, echo_env, ECHO_USER, []))
    return found


def run(url: str, size: int, restarts: int) -> list[Figure]:
    say(f"start-up to first answer: main.py on SQLite with {size:,} customers, and the echo bot")
    found = asyncio.run(measure(url, restarts))
    bot, echo = median(found["salesbot"]), median(found["echo"])
    say(f"  salesbot {ms(bot)} (first start {ms(found['first'][0])}), echo {ms(echo)}")
    return [
        Figure(
            "startup",
            f"start-up to first answer @ {size:,} (sqlite)",
            "sqlite",
            f"{bot:.2f} s ({bot / echo:.1f}× the echo bot's {echo:.2f} s)",
            f"< {LIMIT} s" + ("" if size >= 1_000_000 else " (target is for 1M)"),
            bot < LIMIT,
            {
                "salesbot runs": [round(s, 3) for s in found["salesbot"]],
                "echo runs": [round(s, 3) for s in found["echo"]],
                "first start": round(found["first"][0], 3),
            },
        ),
        Figure(
            "startup",
            "first start of the run (menus published)",
            "sqlite",
            f"{found['first'][0]:.2f} s",
            "",
            None,
        ),
    ]
