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
import re
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import ROOT, Figure, median, ms, say
from bot.emulator import BotAPIEmulator

LIMIT = 1.5
ECHO_USER = 4242
SLOWEST_IMPORTS = 15
IMPORT_LINE = re.compile(r"^import time:\s*(\d+) \|\s*(\d+) \| (\s*)(\S+)")
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+) (\S+): (.*)")


@dataclass
class Start:
    seconds: float  # from the spawn to the answer reaching the emulator
    spawned: float  # time.time() at the spawn, to place the log's timestamps
    stderr: str


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
) -> Start:
    emulator = BotAPIEmulator()
    await emulator.start()
    for telegram_id in known:
        emulator.user(telegram_id, "Staff").known = True
    user = emulator.user(user_id, "Rep")
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "stderr").open("w+") as log:
        started, spawned = time.perf_counter(), time.time()
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
        log.seek(0)
        stderr = log.read()
    return Start(elapsed, spawned, stderr)


def slowest_imports(stderr: str) -> dict[str, Any]:
    """``-X importtime``'s report: the slowest imports by cumulative time (each with its depth
    in the import tree), and the total of the top-level imports."""
    found = []
    for line in stderr.splitlines():
        matched = IMPORT_LINE.match(line)
        if matched:
            own, cumulative, indent, name = matched.groups()
            found.append((name, len(indent) // 2, int(own), int(cumulative)))
    total = sum(cumulative for _, depth, _, cumulative in found if depth == 0)
    found.sort(key=lambda entry: entry[3], reverse=True)
    return {
        "modules": len(found),
        "total us": total,
        "slowest": found[:SLOWEST_IMPORTS],
    }


def phases(start: Start) -> list[tuple[float, str]]:
    """The phases of a traced start (``bench/startup_trace.py``'s lines) and the process's own
    log lines (timestamped to the millisecond), as seconds after the spawn, up to the answer."""
    found = [(0.0, "spawned")]
    for line in start.stderr.splitlines():  # in the order written: one process, one stream
        if line.startswith("[trace] "):
            _, stamp, event = line.split(" ", 2)
            found.append((float(stamp) - start.spawned, event))
            continue
        matched = LOG_LINE.match(line)
        if matched:
            stamp, level, name, message = matched.groups()
            at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp() - start.spawned
            # The log's time is cut to the millisecond: never before the line above it.
            found.append((max(at, found[-1][0]), f"log: {level} {name}: {message[:100]}"))
    found = [(at, event) for at, event in found if at <= start.seconds]
    found.append((start.seconds, "the answer to /start reached the emulator"))
    return [(round(at, 4), event) for at, event in found]


async def measure(url: str, restarts: int) -> dict[str, Any]:
    rep, everyone = staff_of(url)
    bot = [sys.executable, str(ROOT / "main.py")]
    echo = [sys.executable, str(ROOT / "bench" / "echo_bot.py")]
    bot_env = _clean_env(DATABASE_URL=url)
    echo_env = _clean_env()
    found: dict[str, Any] = {"salesbot": [], "echo": []}
    found["first"] = [await time_start(bot, bot_env, rep, everyone)]
    for _ in range(restarts):
        found["salesbot"].append(await time_start(bot, bot_env, rep, everyone))
        found["echo"].append(await time_start(echo, echo_env, ECHO_USER, []))
    # After the timed starts, not counted: one more of each traced (bench/startup_trace.py),
    # for its phases, and one with -X importtime (which slows the imports down).
    tracer = [sys.executable, str(ROOT / "bench" / "startup_trace.py")]
    profiled = ["-X", "importtime"]
    try:
        found["phases"] = await time_start([*tracer, "main"], bot_env, rep, everyone)
        found["echo phases"] = await time_start([*tracer, "echo"], echo_env, ECHO_USER, [])
    except Exception as error:  # an explanation only: the figure stands without it
        say(f"  the traced start failed: {error!r}")
        found["phases"] = found["echo phases"] = None
    try:
        bot_imports = await time_start([bot[0], *profiled, *bot[1:]], bot_env, rep, everyone)
        echo_imports = await time_start([echo[0], *profiled, *echo[1:]], echo_env, ECHO_USER, [])
        found["imports"] = {
            "salesbot": {**slowest_imports(bot_imports.stderr), "seconds": bot_imports.seconds},
            "echo": {**slowest_imports(echo_imports.stderr), "seconds": echo_imports.seconds},
        }
    except Exception as error:  # an explanation only: the figure stands without it
        say(f"  the -X importtime start failed: {error!r}")
        found["imports"] = {"failed": f"{type(error).__name__}: {error}"[:300]}
    return found


def run(url: str, size: int, restarts: int) -> list[Figure]:
    say(f"start-up to first answer: main.py on SQLite with {size:,} customers, and the echo bot")
    starts = asyncio.run(measure(url, restarts))
    found = {key: [start.seconds for start in starts[key]] for key in ("first", "salesbot", "echo")}
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
                "phases": phases(starts["phases"]) if starts["phases"] else None,
                "echo phases": phases(starts["echo phases"]) if starts["echo phases"] else None,
                "imports": starts["imports"],
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
