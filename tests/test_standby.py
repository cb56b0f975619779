"""One active process and hot standbys, in real processes on PostgreSQL: two ``python main.py``
share a database; the leader is SIGKILLed half-way through a conversation and a batch of
reminders; the standby takes over, the person carries on where they were, and every reminder
arrives (at least once; a duplicate only for a message in flight at the kill)."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from models import Customer, OutboxMessage, Role, User
from tests.conftest import POSTGRES_URL, database_url_for_env
from tests.test_process import ROOT, bot_env
from tests.test_scheduler_process import NEVER_QUIET, followups_received, seed_follow_ups

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL.startswith("postgresql"),
    reason="leadership is a PostgreSQL advisory lock; on SQLite the bot runs alone "
    "(set TEST_DATABASE_URL to a PostgreSQL database to run this)",
)

REP = 970001
TAKEOVER_LIMIT = 15.0


class BotProcess:
    """``python main.py`` with its log read as it comes (so the pipe never fills)."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[tuple[float, str]] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            async with self._changed:
                self.lines.append((time.monotonic(), line.decode()))
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    def log(self) -> str:
        return "".join(line for _, line in self.lines)

    async def wait_for_line(self, pattern: str, timeout: float = 30.0) -> float:  # noqa: ASYNC109
        """When a log line matching ``pattern`` came (monotonic time); waits for it."""

        def found() -> float | None:
            return next((at for at, line in self.lines if re.search(pattern, line)), None)

        async with self._changed:
            with suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: found() is not None or self._reader.done()),
                    timeout,
                )
        at = found()
        assert at is not None, f"{self.name}: no {pattern!r} in the log:\n{self.log()[-3000:]}"
        return at

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        await self._reader


@asynccontextmanager
async def bot_processes(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> AsyncIterator[Callable[[str, int], Awaitable[BotProcess]]]:
    started: list[BotProcess] = []

    async def start(instance: str, metrics_port: int) -> BotProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "main.py"),
            cwd=tmp_path,
            env=bot_env(
                tmp_path,
                TELEGRAM_BOT_TOKEN=emulator.token,
                TELEGRAM_API_URL=emulator.base_url,
                DATABASE_URL=database_url_for_env(database_url),
                INSTANCE_ID=instance,
                METRICS_PORT=str(metrics_port),
                LISTEN_HOST="127.0.0.1",
                LEADER_LEASE_SECONDS="2",
                SCHEDULER_TICK_SECONDS="1",
                OUTBOX_MAX_PER_SECOND="20",
                OUTBOX_CHAT_INTERVAL="0",
                OUTBOX_LEASE_SECONDS="10",
                STAFF_QUIET_HOURS=NEVER_QUIET,
            ),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        bot = BotProcess(process, instance)
        started.append(bot)
        return bot

    try:
        yield start
    finally:
        for bot in started:
            await bot.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def health(port: int) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()


def seed_rep_with_customer(database_url: str) -> None:
    database = Database(database_url)
    with database.session() as session:
        rep = User(telegram_id=REP, full_name="Tom", timezone="UTC", role=Role.REP)
        session.add(rep)
        session.flush()
        session.add(Customer(name="Acme Tools", owner_id=rep.id or 0))
    database.dispose()


@pytest.mark.timeout(120)
async def test_the_standby_takes_over_a_killed_leader(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> None:
    ids = seed_follow_ups(database_url, 8, 25)  # 200 reminders: ten seconds at 20 a second
    for telegram_id in ids:
        emulator.user(telegram_id, "Rep").known = True
    seed_rep_with_customer(database_url)
    tom = emulator.user(REP, "Tom")

    async with bot_processes(tmp_path, emulator, database_url) as start:
        first_port, second_port = free_port(), free_port()
        first = await start("first", first_port)
        await first.wait_for_line("salesbot ready")
        second = await start("second", second_port)
        await second.wait_for_line("salesbot standby")
        # Both serve /healthz (on METRICS_PORT, as they poll): one leads, one stands by.
        status, body = await health(second_port)
        assert (status, body["role"], body["instance"]) == (200, "standby", "second")
        assert body["database"] == {"ok": True}
        status, body = await health(first_port)
        assert (body["role"], body["instance"], body["scheduler"]["running"]) == (
            "leader",
            "first",
            True,
        )

        # Tom is half-way through logging a call when the leader dies.
        await tom.send("/visit")
        await tom.wait_for_messages(1)
        await tom.press("Acme Tools")
        await tom.wait_until(lambda: "what kind" in tom.messages[0].text, what="kind question")
        await tom.press("📞 Call")
        await tom.wait_until(lambda: "What happened" in tom.messages[0].text, what="notes")
        await tom.send("They want a new quote")
        await tom.wait_until(
            lambda: any("Check in here?" in m.text for m in tom.messages), what="check-in"
        )
        # Updates are handled one at a time and the state is written after each: the answer
        # to this one proves the step before it is in the database.
        await tom.send("/help")
        await tom.wait_until(
            lambda: any(m.text.startswith("Let's finish this first") for m in tom.messages),
            what="the reminder to finish first",
        )
        await tom.wait_until(
            lambda: sum(followups_received(emulator, ids).values()) >= 30,
            timeout=20,
            what="the first reminders",
        )
        received_before_kill = sum(followups_received(emulator, ids).values())
        assert received_before_kill < 200, "the leader sent everything before it was killed"
        first.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await first.process.wait()

        took_over_at = await second.wait_for_line("salesbot ready", timeout=TAKEOVER_LIMIT + 5)
        takeover = took_over_at - killed_at
        print(f"takeover in {takeover:.2f}s; {received_before_kill} reminders before the kill")
        assert takeover < TAKEOVER_LIMIT, f"the standby took {takeover:.1f}s to take over"
        assert "instance second" in second.log()
        status, body = await health(second_port)
        assert body["role"] == "leader" and body["database"] == {"ok": True}

        # Tom carries on at the step he was at, with the new leader.
        answered = len(tom.messages)
        await tom.send("Skip")
        await tom.wait_until(
            lambda: any("What is the next step" in m.text for m in tom.messages[answered:]),
            what="the next-step question",
        )
        answers = [m.text for m in tom.messages[answered:]]
        assert "No check-in." in answers

        # Every reminder arrives; only one in flight at the kill may come twice (at least
        # once: Telegram accepted it, the row was not yet marked sent), at most one per chat.
        await tom.wait_until(
            lambda: len(followups_received(emulator, ids)) == 200,
            timeout=40,
            what="every reminder",
        )
        await asyncio.sleep(1.5)  # a late duplicate would show up now
        received = followups_received(emulator, ids)
        duplicates = {key: count for key, count in received.items() if count > 1}
        assert len(received) == 200
        assert set(received.values()) <= {1, 2}
        assert len(duplicates) <= len(ids), duplicates
        print(f"duplicates (in flight at the kill): {len(duplicates)}")

        second.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.process.wait(), 15)
        assert second.process.returncode == 0

    database = Database(database_url)
    with database.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "followup")).all()
    database.dispose()
    assert len(rows) == 200 and {row.state for row in rows} == {"sent"}


@pytest.mark.timeout(60)
async def test_a_leader_that_loses_its_lock_connection_stops_non_zero(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> None:
    Database(database_url).upgrade()
    async with bot_processes(tmp_path, emulator, database_url) as start:
        leader = await start("solo", free_port())
        await leader.wait_for_line("salesbot ready")
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'salesbot-leader:solo'"
                )
            ).all()
        admin.dispose()
        assert ended == [(True,)]
        started = time.monotonic()
        await asyncio.wait_for(leader.process.wait(), 20)
        elapsed = time.monotonic() - started
        await leader.close()
    assert leader.process.returncode == 3
    assert "lost the leadership" in leader.log()
    assert elapsed < 2 + 10, f"took {elapsed:.1f}s to stop"
