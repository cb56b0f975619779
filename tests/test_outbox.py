"""The outbox's guarantees, end to end through the emulator with an injected clock: a key is
written once; quiet hours hold a message until morning; a process that dies after claiming rows
loses nothing and repeats nothing; Telegram's flood control (429) and network errors are waited
out and everything still goes; a recipient who blocked the bot is marked unreachable and the
owner rep told once; Telegram's rate limits are kept; /outbox shows it all to admins."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.reminders import outbox
from bot.reminders.outbox import Envelope
from models import Contact, OutboxMessage, User
from tests.conftest import FakeClock
from tests.flows import add_customer, link_contact, sales_team, texts

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BEFORE_BRIEFS = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai: no brief yet


def rows(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))  # type: ignore[arg-type]


def people(emulator: BotAPIEmulator, count: int, first_id: int = 8000) -> list[SimUser]:
    """Chats the bot may write to (they have talked to it before)."""
    users = []
    for number in range(count):
        user = emulator.user(first_id + number, f"P{number}")
        user.known = True
        users.append(user)
    return users


def enqueue_notes(db: Database, users: list[SimUser], *, kind: str = "note") -> None:
    with db.session() as session:
        for user in users:
            assert outbox.enqueue(
                session,
                Envelope(
                    key=f"{kind}:{user.id}",
                    kind=kind,
                    chat_id=user.id,
                    due_at=NOW,
                    text=f"Note for {user.first_name} &lt;ok&gt;",  # HTML, as rendered
                ),
                now=NOW,
            )


def tries_to(emulator: BotAPIEmulator, user: SimUser) -> int:
    return len(
        [
            request
            for request in emulator.requests
            if request[0] == "sendMessage" and str(request[1].get("chat_id")) == str(user.id)
        ]
    )


def delivered(users: list[SimUser]) -> Counter[int]:
    return Counter(user.id for user in users for message in user.messages)


async def test_a_key_is_written_once(db: Database) -> None:
    envelope = Envelope(key="note:1", kind="note", chat_id=1, due_at=NOW, text="hello")
    with db.session() as session:
        assert outbox.enqueue(session, envelope, now=NOW)
        assert not outbox.enqueue(session, envelope, now=NOW)
    with db.session() as session:
        assert not outbox.enqueue(session, envelope, now=NOW + timedelta(days=1))
    assert [row.key for row in rows(db)] == ["note:1"]


async def test_every_row_ends_sent_with_the_telegram_message_id(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    users = people(emulator, 3)
    enqueue_notes(db, users)
    report = await bot.tick()
    assert report.dispatch.sent == 3
    for row, user in zip(rows(db), users, strict=True):
        assert row.state == "sent" and row.sent_at == NOW and not row.late
        assert row.telegram_message_id == user.last().message_id
        assert user.last().text == f"Note for {user.first_name} <ok>"
    assert (await bot.tick()).dispatch.sent == 0


async def test_quiet_hours_hold_a_reminder_until_morning(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    await bot.send(team.tom, "/visit Acme: call back; next: confirm the order today 11:30pm")
    await bot.press(team.tom, "✅ Save")
    clock.current = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai: quiet
    await bot.tick()
    [row] = [row for row in rows(db) if row.kind == "followup"]
    assert row.state == "pending" and row.reason == "quiet hours"
    assert row.send_after == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 07:00 local
    clock.current = datetime(2026, 11, 25, 22, 59, tzinfo=UTC)
    await bot.tick()
    assert not any(m.text.startswith("🔔") for m in team.tom.messages)
    clock.current = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    await bot.tick()
    reminder = team.tom.last()
    assert reminder.text.startswith("🔔 Follow up: Acme Machinery")  # held, not "late"
    [row] = [row for row in rows(db) if row.kind == "followup"]
    assert row.state == "sent" and not row.late


async def test_a_reminder_due_while_the_bot_was_down_goes_out_marked_late(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    await bot.send(team.tom, "/visit Acme: demo; next: send quote tomorrow 10am")
    await bot.press(team.tom, "✅ Save")
    clock.current = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # back at 13:00 local, 3 h late
    await bot.tick()
    reminder = next(m for m in team.tom.messages if "Follow up" in m.text)
    assert reminder.text.startswith("⏰ Late: this was due Thu 26 Nov 10:00.\n🔔 Follow up")
    assert [row.late for row in rows(db) if row.kind == "followup"] == [True]


class Crash(Exception):
    """Stands for the process dying at a checkpoint: nothing after it runs."""


async def test_a_crash_after_claiming_neither_loses_nor_repeats(
    deps: Deps, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    users = people(emulator, 150)
    enqueue_notes(db, users)
    deps.settings = deps.settings.model_copy(update={"outbox_max_per_second": 200})
    first = LocalBot(deps, emulator)
    await first.start()
    assert first.app is not None
    claims = 0

    def die_at_second_claim(point: str) -> None:
        nonlocal claims
        if point == "claimed":
            claims += 1
            if claims == 2:
                raise Crash

    first.app.scheduler.dispatcher.checkpoint = die_at_second_claim
    with pytest.raises(Crash):
        await first.tick()  # the first 100 went out; the next 50 were claimed, then it died
    await first.stop()
    assert Counter(row.state for row in rows(db)) == {"sent": 100, "sending": 50}

    # Another instance takes over (a restart of the same one takes its rows back at once:
    # tests/test_dispatch_rolling.py).
    deps.settings = deps.settings.model_copy(update={"instance_id": "another-host"})
    second = LocalBot(deps, emulator)
    await second.start()
    try:
        await second.tick()
        assert sum(delivered(users).values()) == 100  # the dead one's lease still holds
        clock.advance(timedelta(seconds=deps.settings.outbox_lease_seconds + 1))
        await second.tick()
    finally:
        await second.stop()
    assert delivered(users) == Counter({user.id: 1 for user in users})
    assert Counter(row.state for row in rows(db)) == {"sent": 150}


async def test_a_burst_of_429s_is_waited_out_and_everything_goes(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    users = people(emulator, 40)
    enqueue_notes(db, users)
    emulator.flood(5, retry_after=3)
    first = await bot.tick()
    # However many sends were on their way when the first 429 came back (one, or all five on a
    # busy machine), each refused one is postponed by Telegram's retry_after, not failed.
    refused = emulator.refused_429
    assert 1 <= refused <= 5 and first.dispatch.postponed >= refused
    waiting = [row for row in rows(db) if row.state == "pending"]
    assert waiting and all(row.send_after == NOW + timedelta(seconds=3) for row in waiting)
    assert all(row.attempts == 0 for row in waiting)  # flood control is not a failed attempt
    await bot.tick()  # still within the wait: nothing is tried
    assert emulator.refused_429 == refused
    for _ in range(5):  # each wait out lets the next sends through, or meets the next refusal
        clock.advance(timedelta(seconds=3))
        await bot.tick()
        if {row.state for row in rows(db)} == {"sent"}:
            break
    assert delivered(users) == Counter({user.id: 1 for user in users})
    assert {row.state for row in rows(db)} == {"sent"}
    assert [refusal[1] for refusal in emulator.rejections] == [
        "Too Many Requests: retry after 3"
    ] * 5
    emulator.rejections.clear()  # refused on purpose


async def test_network_errors_retry_with_backoff_then_fail_visibly(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    [kept, lost] = people(emulator, 2)
    enqueue_notes(db, [kept])
    emulator.drop_connections(2)
    await bot.tick()
    [row] = rows(db)
    assert row.state == "pending" and row.attempts == 1 and row.reason
    assert row.reason.startswith("network error") and row.send_after == NOW + timedelta(seconds=5)
    clock.advance(timedelta(seconds=5))
    await bot.tick()
    [row] = rows(db)
    assert row.attempts == 2 and row.send_after == clock() + timedelta(seconds=10)
    clock.advance(timedelta(seconds=10))
    await bot.tick()
    assert rows(db)[0].state == "sent" and len(kept.messages) == 1

    bot.deps.settings = bot.deps.settings.model_copy(update={"outbox_max_attempts": 2})
    enqueue_notes(db, [lost])
    emulator.drop_connections(5)
    for _ in range(3):
        await bot.tick()
        clock.advance(timedelta(minutes=1))
    failed = rows(db)[1]
    assert failed.state == "failed" and failed.reason is not None
    assert failed.reason.startswith("network error after 2 attempts")
    assert lost.messages == []


async def test_a_blocked_contact_is_unreachable_and_the_rep_told_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7301)
    with db.session() as session:
        contact = session.exec(select(Contact)).one()
        for number in range(2):
            outbox.enqueue(
                session,
                Envelope(
                    key=f"hello:{contact.id}:{number}",
                    kind="hello",
                    chat_id=li.id,
                    due_at=NOW,
                    text="Hello from Acme's supplier",
                    contact_id=contact.id,
                    customer_id=contact.customer_id,
                ),
                now=NOW,
            )
    li.block()
    before = len(li.messages)
    tries = tries_to(emulator, li)
    await bot.tick()
    assert len(li.messages) == before
    care = [row for row in rows(db) if row.kind == "hello"]
    assert [row.state for row in care] == ["skipped", "skipped"]
    assert care[0].reason == "unreachable: Forbidden: bot was blocked by the user"
    assert care[1].reason == "unreachable: blocked the bot"  # not even tried
    assert tries_to(emulator, li) == tries + 1  # the second row was not even tried
    notices = [m for m in team.tom.messages if m.text.startswith("📵")]
    assert [m.text for m in notices] == [
        "📵 Li Na (Acme Machinery) has blocked the bot: our messages no longer reach them."
    ]
    with db.session() as session:
        assert session.exec(select(Contact)).one().unreachable_at == NOW
    # Writing to the bot again makes them reachable.
    li.unblock()
    await bot.send(li, "/myorders")
    with db.session() as session:
        assert session.exec(select(Contact)).one().unreachable_at is None
    emulator.rejections.clear()  # the one 403, on purpose


async def test_a_blocked_rep_is_marked_and_reachable_again_once_they_write(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    clock.current = BEFORE_BRIEFS
    team.tom.block()
    with db.session() as session:
        tom = session.exec(select(User).where(User.telegram_id == team.tom.id)).one()
        outbox.enqueue(
            session,
            Envelope(
                key="n:1",
                kind="note",
                chat_id=tom.telegram_id,
                due_at=NOW,
                text="hi",
                user_id=tom.id,
            ),
            now=NOW,
        )
    await bot.tick()
    assert rows(db)[0].state == "skipped"
    team.tom.unblock()
    await bot.send(team.tom, "/today")
    with db.session() as session:
        tom = session.exec(select(User).where(User.telegram_id == team.tom.id)).one()
        assert tom.unreachable_at is None
    emulator.rejections.clear()  # the one 403, on purpose


async def test_telegram_rate_limits_are_kept(
    deps: Deps, emulator: BotAPIEmulator, db: Database
) -> None:
    deps.settings = deps.settings.model_copy(
        update={"outbox_max_per_second": 25, "outbox_chat_interval": 0.3}
    )
    emulator.limit_rate(overall=30, per_chat=5)
    users = people(emulator, 60)
    enqueue_notes(db, users)
    one = people(emulator, 1, first_id=9900)[0]
    with db.session() as session:
        for number in range(4):
            outbox.enqueue(
                session,
                Envelope(
                    key=f"burst:{number}",
                    kind="note",
                    chat_id=one.id,
                    due_at=NOW,
                    text=f"part {number}",
                ),
                now=NOW,
            )
    bot = LocalBot(deps, emulator)
    await bot.start()
    try:
        await bot.tick()
    finally:
        await bot.stop()
    assert emulator.refused_429 == 0
    assert delivered([*users, one]) == Counter({**{u.id: 1 for u in users}, one.id: 4})
    assert emulator.max_sends_in_window(1.0) <= 30  # Telegram's limit (we aim at 25 a second)
    assert emulator.max_sends_in_window(1.0, chat_id=one.id) <= 4
    assert [m.text for m in one.messages] == [f"part {n}" for n in range(4)]  # in order


async def test_outbox_shows_counts_and_the_last_failures_to_admins(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    clock.current = BEFORE_BRIEFS
    users = people(emulator, 2)
    enqueue_notes(db, users)
    users[1].block()
    await bot.tick()
    answer = texts(await bot.send(team.admin, "/outbox"))
    assert "Waiting 0 · sending 0 · sent 1 · skipped 1 · failed 0" in answer
    assert "⏭ 26 Nov 07:30 · note · unreachable: Forbidden: bot was blocked by the user" in answer
    refused = texts(await bot.send(team.tom, "/outbox"))
    assert "Waiting" not in refused
    emulator.rejections.clear()  # the one 403, on purpose
