"""The scheduler in real processes: ``python main.py`` sends a reminder that fell due, on its own
clock; and on PostgreSQL two ``python main.py --worker`` processes sharing one database deliver
1,000 reminders exactly once between them."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from models import Customer, OutboxMessage, Role, Touch, User
from tests.conftest import POSTGRES_URL, database_url_for_env
from tests.test_process import ROOT, bot_env, running_bot, stop

NEVER_QUIET = "00:00-00:00"


def seed_follow_ups(database_url: str, people: int, per_person: int) -> list[int]:
    """``people`` reps, each with ``per_person`` customers whose follow-up fell due ten minutes
    ago; returns the reps' Telegram ids."""
    database = Database(database_url)
    database.upgrade()
    due = datetime.now(UTC) - timedelta(minutes=10)
    ids = []
    with database.session() as session:
        for number in range(people):
            user = User(
                telegram_id=960000 + number,
                full_name=f"Rep {number}",
                timezone="UTC",
                role=Role.ADMIN,  # no brief, no digest: only the reminders are sent
            )
            session.add(user)
            session.flush()
            ids.append(user.telegram_id)
            for item in range(per_person):
                customer = Customer(name=f"Customer {number}-{item}", owner_id=user.id or 0)
                session.add(customer)
                session.flush()
                session.add(
                    Touch(
                        customer_id=customer.id or 0,
                        author_id=user.id or 0,
                        kind="call",
                        notes="called",
                        next_step=f"step {number}-{item}",
                        follow_up_at=due,
                        follow_up_has_time=True,
                    )
                )
    database.dispose()
    return ids


def followups_received(emulator: BotAPIEmulator, ids: list[int]) -> Counter[str]:
    return Counter(
        message.text.split("\n")[0]
        for telegram_id in ids
        for message in emulator.user(telegram_id, "Rep").messages
        if message.text.startswith("🔔 Follow up")
    )


async def test_the_running_bot_sends_what_fell_due_on_its_own(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> None:
    [rep] = seed_follow_ups(database_url, 1, 1)
    person = emulator.user(rep, "Rep")
    person.known = True
    async with running_bot(
        tmp_path,
        emulator,
        database_url_for_env(database_url),
        SCHEDULER_TICK_SECONDS="1",
        STAFF_QUIET_HOURS=NEVER_QUIET,  # the real clock may be at night
    ) as process:
        await person.wait_until(
            lambda: any(m.text.startswith("🔔 Follow up: Customer 0-0") for m in person.messages),
            timeout=30,  # start-up, then the first tick a second after
            what="the reminder",
        )
        assert person.last().button_texts()[0] == "✅ Done"
        await stop(process, signal.SIGTERM)
    assert process.returncode == 0
    database = Database(database_url)
    with database.session() as session:
        [row] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "followup")).all()
    database.dispose()
    assert row.state == "sent" and row.telegram_message_id == person.last().message_id
    assert followups_received(emulator, [rep]) == {"🔔 Follow up: Customer 0-0": 1}


@pytest.mark.skipif(not POSTGRES_URL, reason="several processes share PostgreSQL, not SQLite")
@pytest.mark.timeout(300)
async def test_two_workers_deliver_1000_reminders_exactly_once(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> None:
    ids = seed_follow_ups(database_url, 1000, 1)
    for telegram_id in ids:
        emulator.user(telegram_id, "Rep").known = True
    env = bot_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        DATABASE_URL=database_url_for_env(database_url),
        SCHEDULER_TICK_SECONDS="1",
        OUTBOX_MAX_PER_SECOND="500",
        OUTBOX_CHAT_INTERVAL="0",
        STAFF_QUIET_HOURS=NEVER_QUIET,
    )
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "main.py"),
            "--worker",
            "--until-idle",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    logs = []
    for worker in workers:
        _, err = await asyncio.wait_for(worker.communicate(), 280)
        logs.append(err.decode())
        assert worker.returncode == 0, err.decode()[-2000:]
    received = followups_received(emulator, ids)
    assert len(received) == 1000 and set(received.values()) == {1}
    database = Database(database_url)
    with database.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "followup")).all()
    database.dispose()
    assert len(rows) == 1000 and {row.state for row in rows} == {"sent"}
    by_worker = Counter(row.claimed_by for row in rows)
    print("messages sent per worker:", dict(by_worker))
    assert sum(by_worker.values()) == 1000


@pytest.mark.timeout(120)
async def test_a_bot_killed_while_sending_sends_the_rest_at_once_after_a_restart(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> None:
    """SIGKILL half-way through 100 due reminders, then the same command again: what the dead
    process had claimed is taken back at its start (not after the lease, two minutes here), so
    every reminder arrives within seconds; only one the dead process was sending at the kill
    (Telegram took it, the row was not yet marked sent) may arrive a second time."""
    ids = seed_follow_ups(database_url, 100, 1)
    for telegram_id in ids:
        emulator.user(telegram_id, "Rep").known = True
    first = emulator.user(ids[0], "Rep")
    env = {
        "SCHEDULER_TICK_SECONDS": "1",
        "OUTBOX_MAX_PER_SECOND": "10",
        "OUTBOX_LEASE_SECONDS": "120",
        "STAFF_QUIET_HOURS": NEVER_QUIET,
    }
    url = database_url_for_env(database_url)
    async with running_bot(tmp_path, emulator, url, **env) as process:
        await first.wait_until(
            lambda: sum(followups_received(emulator, ids).values()) >= 20,
            timeout=60,
            what="the first reminders",
        )
        process.kill()
        await process.wait()
    before = sum(followups_received(emulator, ids).values())
    assert before < 100, "everything was sent before the kill"
    async with running_bot(tmp_path, emulator, url, **env) as process:
        restarted = asyncio.get_running_loop().time()
        await first.wait_until(
            lambda: len(followups_received(emulator, ids)) == 100,
            timeout=40,  # 100 at 10 a second, far less than the two-minute lease
            what="every reminder",
        )
        took = asyncio.get_running_loop().time() - restarted
        await stop(process)
    received = followups_received(emulator, ids)
    twice = [key for key, count in received.items() if count > 1]
    assert set(received.values()) <= {1, 2} and len(twice) <= 10, twice
    print(f"{before} before the kill; the rest in {took:.1f}s after the restart; twice: {twice}")
    database = Database(database_url)
    with database.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "followup")).all()
    database.dispose()
    assert len(rows) == 100 and {row.state for row in rows} == {"sent"}
