"""End to end through the emulator with an injected clock: follow-up reminders at their local
time with Done / Snooze / Pick a date, the morning brief, quiet hours, and the outbox's own
guarantees (one row per key, nothing lost or repeated across a restart, flood control, a
blocked recipient)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import OutboxMessage, Touch
from tests.conftest import FakeClock
from tests.flows import add_customer, sales_team, set_zone, texts
from tests.test_orders import order_with_one_payment, won_deal


def outbox_rows(db: Database, kind: str | None = None) -> list[OutboxMessage]:
    with db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.exec(query))


def reminders(user: SimUser) -> list[str]:
    """Reminders as they stand (a snoozed one has turned into "Moved: …")."""
    return [m.text for m in user.messages if m.text.startswith("🔔 Follow up")]


def sent(db: Database, kind: str) -> list[OutboxMessage]:
    return [row for row in outbox_rows(db, kind) if row.state == "sent"]


async def test_a_follow_up_reminds_once_at_its_local_time_and_snoozes(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    # 17:00 in Shanghai: the follow-up is tomorrow 15:00 there, 07:00 UTC.
    await bot.send(team.tom, "/visit Acme: demo went well; next: send quote tomorrow 3pm")
    await bot.press(team.tom, "✅ Save")
    clock.current = datetime(2026, 11, 26, 6, 59, tzinfo=UTC)
    await bot.tick()
    assert reminders(team.tom) == []
    clock.current = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    await bot.tick()
    await bot.tick()
    assert reminders(team.tom) == [
        "🔔 Follow up: Acme Machinery\nsend quote\nDue Thu 26 Nov 2026, 15:00\n\n"
        "Last time: demo went well"
    ]
    reminder = team.tom.last()
    assert reminder.button_texts() == [
        "✅ Done",
        "⏰ 1 hour",
        "Tomorrow",
        "📅 Pick a date",
        "Open customer",
    ]
    assert len(outbox_rows(db, "followup")) == 1

    await bot.press(team.tom, "⏰ 1 hour", reminder)
    assert team.tom.message(reminder.message_id).text.startswith(
        "⏰ Moved: Acme Machinery — send quote, Thu 26 Nov 2026, 16:00."
    )
    clock.advance(timedelta(minutes=59))
    await bot.tick()
    assert len(sent(db, "followup")) == 1
    clock.advance(timedelta(minutes=1))
    await bot.tick()
    assert len(sent(db, "followup")) == 2
    assert "Due Thu 26 Nov 2026, 16:00" in team.tom.last().text

    # Pick a date: nonsense and the past are asked again; then Monday 10:00.
    await bot.press(team.tom, "📅 Pick a date")
    assert "When should I remind you about Acme Machinery?" in team.tom.last().text
    assert "a time still to come" in texts(await bot.send(team.tom, "whenever"))
    assert "a time still to come" in texts(await bot.send(team.tom, "yesterday"))
    moved = await bot.send(team.tom, "mon 10am")
    assert moved[0].text.startswith("⏰ Moved: Acme Machinery — send quote, Mon 30 Nov 2026, 10:00")
    with db.session() as session:
        touch = session.exec(select(Touch)).one()
    assert touch.follow_up_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    clock.current = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    await bot.tick()
    assert len(sent(db, "followup")) == 3

    # Done: log what happened; saving closes the follow-up, so nothing more comes.
    await bot.press(team.tom, "✅ Done")
    assert "what kind of touch was it?" in team.tom.last().text
    await bot.press(team.tom, "📞 Call")
    await bot.send(team.tom, "sent the quote, they will sign next week")
    await bot.send(team.tom, "Skip")
    await bot.send(team.tom, "check the signed contract")
    asked = await bot.send(team.tom, "dec 7")
    assert "Follow-up: Mon 7 Dec 2026" in asked[0].text
    await bot.press(team.tom, "✅ Save")
    with db.session() as session:
        first = session.get(Touch, touch.id)
        assert first is not None and first.follow_up_done_at is not None
    clock.advance(timedelta(days=1))
    await bot.tick()
    assert len(sent(db, "followup")) == 3


def briefs(user: SimUser) -> list[str]:
    return [m.text for m in user.messages if m.text.startswith("☀️")]


async def test_the_morning_brief_comes_once_at_0830_local_in_each_zone_across_dst(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")  # summer time starts on Sun 28 Mar 2027
    moments = [
        (datetime(2027, 3, 27, 0, 29, tzinfo=UTC), [], []),
        (datetime(2027, 3, 27, 0, 30, tzinfo=UTC), ["Sat 27 Mar"], []),  # 08:30 Shanghai
        (datetime(2027, 3, 27, 7, 29, tzinfo=UTC), ["Sat 27 Mar"], []),
        (datetime(2027, 3, 27, 7, 30, tzinfo=UTC), ["Sat 27 Mar"], ["Sat 27 Mar"]),  # 08:30 CET
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), ["Sat 27 Mar", "Sun 28 Mar"], ["Sat 27 Mar"]),
        (datetime(2027, 3, 28, 6, 29, tzinfo=UTC), ["Sat 27 Mar", "Sun 28 Mar"], ["Sat 27 Mar"]),
        (  # 08:30 CEST is 06:30 UTC: an hour earlier than the day before
            datetime(2027, 3, 28, 6, 30, tzinfo=UTC),
            ["Sat 27 Mar", "Sun 28 Mar"],
            ["Sat 27 Mar", "Sun 28 Mar"],
        ),
        # Down all of Monday the 29th: no brief for it comes late on Tuesday.
        (
            datetime(2027, 3, 30, 0, 30, tzinfo=UTC),
            ["Sat 27 Mar", "Sun 28 Mar", "Tue 30 Mar"],
            ["Sat 27 Mar", "Sun 28 Mar"],
        ),
        (
            datetime(2027, 3, 30, 6, 30, tzinfo=UTC),
            ["Sat 27 Mar", "Sun 28 Mar", "Tue 30 Mar"],
            ["Sat 27 Mar", "Sun 28 Mar", "Tue 30 Mar"],
        ),
    ]
    for moment, tom_days, sara_days in moments:
        clock.current = moment
        await bot.tick()
        await bot.tick()
        assert [text.split("(")[-1].rstrip(").") for text in briefs(team.tom)] == tom_days
        assert [text.split("(")[-1].rstrip(").") for text in briefs(team.sara)] == sara_days
    assert briefs(team.sara)[0] == "☀️ Good morning, Sara: nothing due today (Sat 27 Mar)."
    assert briefs(team.manager) and not briefs(team.admin)  # reps and managers only


async def test_the_brief_lists_the_day(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(11, 26))
    add_customer(db, team.tom, "Brightway Logistics")
    await bot.send(team.tom, "/visit Acme: demo went well; next: send the quote tomorrow")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.tom, "/visit Brightway: first call; next: visit the warehouse fri")
    await bot.press(team.tom, "✅ Save")
    with db.session() as session:  # the Brightway follow-up slipped to last Monday
        touch = session.exec(select(Touch).order_by(Touch.id.desc())).first()  # type: ignore[union-attr]
        assert touch is not None
        touch.follow_up_at = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Mon 23 Nov 00:00 local
    clock.current = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)
    await bot.tick()
    [brief] = briefs(team.tom)
    assert brief.startswith("☀️ Good morning, Tom — Thu 26 Nov")
    assert "Follow-ups today (1)\n• Acme Machinery: send the quote" in brief
    assert (
        "Overdue follow-ups (1)\n⚠️ Brightway Logistics: visit the warehouse · Mon 23 Nov 2026"
        in (brief)
    )
    assert "Birthdays today\n🎂 Li Na (Acme Machinery)" in brief
    # The date-only follow-up is also reminded on its own, with its buttons, at the same time.
    assert reminders(team.tom) == [
        "🔔 Follow up: Acme Machinery\nsend the quote\nDue Thu 26 Nov 2026\n\n"
        "Last time: demo went well"
    ]


async def test_a_follow_up_in_berlin_is_reminded_at_its_local_time_after_the_clock_change(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")
    add_customer(db, team.sara, "Brightway Logistics")
    clock.current = datetime(2027, 3, 26, 10, 0, tzinfo=UTC)  # Friday, still winter time
    await bot.send(team.sara, "/visit Brightway: samples sent; next: call them sun 9am")
    await bot.press(team.sara, "✅ Save")
    # Sunday 09:00 in Berlin is 07:00 UTC once summer time has begun that night (not 08:00).
    clock.current = datetime(2027, 3, 28, 6, 59, tzinfo=UTC)
    await bot.tick()
    assert not reminders(team.sara)
    clock.current = datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    await bot.tick()
    await bot.tick()
    assert reminders(team.sara) == [
        "🔔 Follow up: Brightway Logistics\ncall them\nDue Sun 28 Mar 2027, 09:00\n\n"
        "Last time: samples sent"
    ]


async def test_the_brief_lists_payments_to_collect(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await won_deal(bot, emulator, db)
    await order_with_one_payment(bot, team.tom)  # CNY 12,000.00 due 14 Jan 2027, Tom collects
    clock.current = datetime(2027, 1, 14, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai that day
    await bot.tick()
    [brief] = briefs(team.tom)
    assert (
        "Payments to collect\n💰 Acme Machinery · O-2026-00001 · CNY 12,000.00 due 14 Jan" in brief
    )
    clock.current = datetime(2027, 1, 16, 0, 30, tzinfo=UTC)  # two days later, still unpaid
    await bot.tick()
    assert "⚠️ Acme Machinery · O-2026-00001 · CNY 12,000.00 due 14 Jan" in briefs(team.tom)[-1]
