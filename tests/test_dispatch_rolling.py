"""The dispatcher's rolling schedule and its claims: a chat with many messages does not hold
back the others (each chat waits for its own next turn, not for a batch to finish); a restarted
instance takes back at once what its previous run held; another instance's rows stay its own
while its heartbeat keeps their lease alive, and are taken over once the lease runs out; two
dispatchers at once never send a row twice."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.reminders import outbox
from bot.reminders.outbox import Envelope
from tests.conftest import FakeClock
from tests.test_outbox import NOW, Crash, delivered, enqueue_notes, people, rows


def use(deps: Deps, **settings: object) -> None:
    deps.settings = deps.settings.model_copy(update=settings)


async def started(deps: Deps, emulator: BotAPIEmulator) -> LocalBot:
    bot = LocalBot(deps, emulator)
    await bot.start()
    return bot


def die_at_claim(bot: LocalBot, number: int) -> None:
    """The process dies right after its ``number``-th claim."""
    assert bot.app is not None
    claims = 0

    def checkpoint(point: str) -> None:
        nonlocal claims
        if point == "claimed":
            claims += 1
            if claims == number:
                raise Crash

    bot.app.scheduler.dispatcher.checkpoint = checkpoint


@pytest.mark.timeout(30)
async def test_a_busy_chat_does_not_hold_back_the_others(
    deps: Deps, emulator: BotAPIEmulator, db: Database
) -> None:
    # Telegram-like limits on real time: one message a second to a chat, and an overall cap.
    use(deps, outbox_max_per_second=200, outbox_chat_interval=1.0)
    emulator.limit_rate(overall=200, per_chat=1)
    busy = people(emulator, 1, first_id=9900)[0]
    with db.session() as session:  # the busy chat's rows come first in the outbox
        for number in range(4):
            outbox.enqueue(
                session,
                Envelope(
                    key=f"busy:{number}", kind="note", chat_id=busy.id, due_at=NOW, text=f"{number}"
                ),
                now=NOW,
            )
    others = people(emulator, 100)
    enqueue_notes(db, others, kind="first")
    enqueue_notes(db, others, kind="second")
    bot = await started(deps, emulator)
    try:
        report = (await bot.tick()).dispatch
    finally:
        await bot.stop()

    assert report.sent == 204 and emulator.refused_429 == 0
    assert delivered([busy, *others]) == Counter({busy.id: 4, **{u.id: 2 for u in others}})
    assert [m.text for m in busy.messages] == ["0", "1", "2", "3"]
    assert all(m.text.startswith("Note") for u in others for m in u.messages)
    sends: dict[int, list[float]] = defaultdict(list)
    for moment, chat_id, _ in emulator.send_log:
        sends[chat_id].append(moment)
    # Every other chat had its first message before the busy chat's second (a second after its
    # first): none waited for the busy chat's four messages to finish.
    assert max(sends[user.id][0] for user in others) < sends[busy.id][1]
    assert emulator.max_sends_in_window(1.0, chat_id=busy.id) == 1


@pytest.mark.parametrize("instance_id", ["bot-1", None], ids=["INSTANCE_ID", "derived"])
async def test_a_restarted_instance_takes_back_its_rows_at_once(
    deps: Deps, emulator: BotAPIEmulator, db: Database, instance_id: str | None
) -> None:
    users = people(emulator, 150)
    enqueue_notes(db, users)
    use(deps, outbox_max_per_second=200, instance_id=instance_id)
    first = await started(deps, emulator)
    die_at_claim(first, 2)
    with pytest.raises(Crash):
        await first.tick()  # the first 100 went out; the next 50 were claimed, then it died
    assert first.app is not None
    dead_run = first.app.scheduler.dispatcher.worker
    await first.stop()
    assert Counter(row.state for row in rows(db)) == {"sent": 100, "sending": 50}

    second = await started(deps, emulator)  # the same deployment, restarted; same clock
    try:
        assert second.app is not None
        run = second.app.scheduler.dispatcher.worker
        assert run != dead_run and run.split("/")[0] == dead_run.split("/")[0]
        await second.tick()
    finally:
        await second.stop()
    assert delivered(users) == Counter({user.id: 1 for user in users})
    finished = rows(db)
    assert {row.state for row in finished} == {"sent"}
    assert {row.attempts for row in finished} == {1}  # the lost attempt is not counted
    assert Counter(row.claimed_by for row in finished) == {dead_run: 100, run: 50}


async def test_another_instance_waits_while_the_heartbeat_keeps_the_lease(
    deps: Deps, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    users = people(emulator, 30)
    enqueue_notes(db, users)
    use(deps, instance_id="bot-a", outbox_lease_seconds=30)
    slow = await started(deps, emulator)  # claims every row, then hangs (still alive)
    die_at_claim(slow, 1)
    with pytest.raises(Crash):
        await slow.tick()
    use(deps, instance_id="bot-b")
    other = await started(deps, emulator)
    try:
        assert slow.app is not None
        holder = slow.app.scheduler.dispatcher
        clock.advance(timedelta(seconds=20))
        assert holder.heartbeat() == 30  # lease until 50 s after the claim
        clock.advance(timedelta(seconds=20))  # past the first lease (30 s), within the new one
        assert (await other.tick()).dispatch.sent == 0
        assert {row.state for row in rows(db)} == {"sending"}
        clock.advance(timedelta(seconds=11))  # the holder died: no heartbeat, the lease runs out
        assert (await other.tick()).dispatch.sent == 30
        assert holder.heartbeat() == 0  # nothing of it is its own any more
    finally:
        await other.stop()
        await slow.stop()
    assert delivered(users) == Counter({user.id: 1 for user in users})
    assert all(row.state == "sent" and row.claimed_by for row in rows(db))
    assert all(row.claimed_by.startswith("bot-b/") for row in rows(db) if row.claimed_by)


async def test_a_second_process_with_the_same_instance_id_takes_nothing_back(
    deps: Deps, emulator: BotAPIEmulator, db: Database
) -> None:
    users = people(emulator, 150)
    enqueue_notes(db, users)
    use(deps, instance_id="same")
    alive = await started(deps, emulator)
    die_at_claim(alive, 1)  # holds 100 rows and is still running
    with pytest.raises(Crash):
        await alive.tick()
    twin = await started(deps, emulator)  # a mistake: the same INSTANCE_ID on a second process
    try:
        assert (await twin.tick()).dispatch.sent == 50  # the free ones, not the twin's
        assert twin.app is not None
        assert twin.app.scheduler.dispatcher.instance.startswith("same~")
    finally:
        await twin.stop()
    await alive.stop()
    restarted = await started(deps, emulator)  # now it is gone: its rows come back at once
    try:
        assert (await restarted.tick()).dispatch.sent == 100
    finally:
        await restarted.stop()
    assert delivered(users) == Counter({user.id: 1 for user in users})


async def test_two_dispatchers_at_once_send_each_row_once(
    deps: Deps, emulator: BotAPIEmulator, db: Database
) -> None:
    users: list[SimUser] = people(emulator, 400)
    enqueue_notes(db, users)
    bots = []
    for name in ("bot-1", "bot-2"):
        use(deps, instance_id=name)
        bots.append(await started(deps, emulator))
    try:
        reports = await asyncio.gather(*(bot.tick() for bot in bots))
    finally:
        for bot in bots:
            await bot.stop()
    assert sum(report.dispatch.sent for report in reports) == 400
    assert delivered(users) == Counter({user.id: 1 for user in users})
    assert {row.state for row in rows(db)} == {"sent"}
