"""End to end through the emulator with an injected clock: payment reminders to the payment owner
(−3, 0, +1, +7, +14 days at their morning time, across a DST change), the manager at +14, polite
notes to the customer's contact (due day and +3, at most one a week, none during a complaint),
stale deals once per episode, quotes about to expire, service requests past due, and a reminder
missed while the bot was down."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.services import quotes
from bot.services.deals import DealDraft
from bot.services.deals import create_deal as new_deal
from models import Contact, OutboxMessage, Product, Ticket, Timeframe
from tests.conftest import FakeClock
from tests.flows import (
    actor_of,
    add_customer,
    link_contact,
    make_order,
    sales_team,
    set_zone,
    user_row,
)
from tests.test_deals import create_deal
from tests.test_quotes import add_products

ORDERED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def rows(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)  # type: ignore[arg-type]
            )
        )


def sent_keys(db: Database, kind: str, person: SimUser | None = None) -> list[str]:
    """Keys of the rows of ``kind`` sent (to ``person``), in the order they were written."""
    user_id = user_row(db, person.id).id if person is not None else None  # type: ignore[union-attr]
    return [
        row.key
        for row in rows(db, kind)
        if row.state == "sent" and (user_id is None or row.user_id == user_id)
    ]


def due_key(db: Database, collector: SimUser, instalment: int, offset: int) -> str:
    """The outbox key of the payment owner's reminder ``offset`` days from the due date."""
    return f"payment_due:{instalment}:{offset}:{actor_of(db, collector.id).user_id}"


def received(person: SimUser, start: str) -> list[BotMessage]:
    return [message for message in person.messages if message.text.startswith(start)]


async def tick_at(bot: LocalBot, clock: FakeClock, instant: datetime, times: int = 1) -> None:
    clock.current = instant
    for _ in range(times):
        await bot.tick()


# -- payment reminders to the payment owner and their manager ------------------------------------


async def test_payment_reminders_at_minus_3_0_1_7_14_days_then_the_manager(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery")
    brightway = add_customer(db, team.tom, "Brightway Logistics")
    _, [kept] = make_order(db, team.tom, team.tom, acme, "Lathes", [("12000", date(2026, 12, 15))])
    _, [paid] = make_order(
        db, team.tom, team.tom, brightway, "Trucks", [("5000.50", date(2026, 12, 15))]
    )
    # 08:30 in Shanghai is 00:30 UTC.
    schedule = [
        (-3, datetime(2026, 12, 12, 0, 30, tzinfo=UTC), "💰 Payment due in 3 days"),
        (0, datetime(2026, 12, 15, 0, 30, tzinfo=UTC), "💰 Payment due today"),
        (1, datetime(2026, 12, 16, 0, 30, tzinfo=UTC), "⚠️ Payment 1 day overdue"),
        (7, datetime(2026, 12, 22, 0, 30, tzinfo=UTC), "⚠️ Payment 7 days overdue"),
        (14, datetime(2026, 12, 29, 0, 30, tzinfo=UTC), "⚠️ Payment 14 days overdue"),
    ]
    expected: list[str] = []
    for offset, instant, title in schedule:
        await tick_at(bot, clock, instant - timedelta(minutes=1))
        assert sent_keys(db, "payment_due") == expected, offset
        assert sent_keys(db, "payment_escalation") == []
        await tick_at(bot, clock, instant, times=2)
        await tick_at(bot, clock, instant + timedelta(hours=5))
        expected.append(due_key(db, team.tom, kept, offset))
        if offset == -3:
            expected.append(due_key(db, team.tom, paid, offset))
        assert sent_keys(db, "payment_due", team.tom) == expected, offset
        reminder = received(team.tom, title)[0]
        assert reminder.text == (
            f"{title}\nAcme Machinery · order O-2026-00001, instalment 1\n"
            "CNY 12,000.00 due Tue 15 Dec 2026"
        )
        assert reminder.button_texts() == ["💰 Log a payment", "📦 Open the order"]
        if offset == -3:
            # Brightway pays in full after the first reminder: nothing more comes about it.
            other = received(team.tom, title)[1]
            assert "Brightway Logistics · order O-2026-00002" in other.text
            assert "CNY 5,000.50 due Tue 15 Dec 2026" in other.text
            await bot.press(team.tom, "💰 Log a payment", other)
            await bot.send(team.tom, "5000.50")
            await bot.press(team.tom, "Today")
            assert "paid CNY 5,000.50 · due CNY 0.00" in team.tom.last().text

    [escalation] = received(team.manager, "🚨")
    assert escalation.text == (
        "🚨 Payment 14 days overdue: Acme Machinery\n"
        "Order O-2026-00001, instalment 1: CNY 12,000.00 was due Tue 15 Dec 2026.\n"
        "Tom collects it."
    )
    assert sent_keys(db, "payment_escalation", team.manager) == [
        f"payment_escalation:{kept}:{actor_of(db, team.manager.id).user_id}"
    ]
    await bot.press(team.manager, "📦 Open the order", escalation)
    opened = team.manager.message(escalation.message_id).text
    assert "📦 Order O-2026-00001 · Acme Machinery" in opened
    # Nothing after +14, and nobody else of the team hears about it.
    await tick_at(bot, clock, datetime(2027, 1, 20, 1, 0, tzinfo=UTC), times=2)
    assert len(sent_keys(db, "payment_due")) == 6
    assert len(sent_keys(db, "payment_escalation")) == 1
    for person in (team.sara, team.ken, team.admin):
        assert received(person, "💰") == received(person, "⚠️ Payment") == []
        assert received(person, "🚨") == []


async def test_payment_reminders_in_berlin_keep_0830_across_the_dst_change(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")
    acme = add_customer(db, team.tom, "Acme Machinery")
    _, [instalment] = make_order(
        db, team.tom, team.sara, acme, "Lathes", [("7000", date(2027, 3, 30))]
    )
    # Berlin moves to summer time on Sunday 28 March 2027: 08:30 is 07:30 UTC before, 06:30 after.
    schedule = [
        (-3, datetime(2027, 3, 27, 7, 30, tzinfo=UTC)),
        (0, datetime(2027, 3, 30, 6, 30, tzinfo=UTC)),
        (1, datetime(2027, 3, 31, 6, 30, tzinfo=UTC)),
        (7, datetime(2027, 4, 6, 6, 30, tzinfo=UTC)),
        (14, datetime(2027, 4, 13, 6, 30, tzinfo=UTC)),
    ]
    expected: list[str] = []
    manager_at = datetime(2027, 4, 13, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai, her zone
    for offset, instant in schedule:
        if offset == 14:
            await tick_at(bot, clock, manager_at - timedelta(minutes=1))
            assert rows(db, "payment_escalation") == []
            await tick_at(bot, clock, manager_at)
            assert len(sent_keys(db, "payment_escalation", team.manager)) == 1
        await tick_at(bot, clock, instant - timedelta(minutes=1))
        assert sent_keys(db, "payment_due") == expected, offset
        await tick_at(bot, clock, instant, times=2)
        expected.append(due_key(db, team.sara, instalment, offset))
        assert sent_keys(db, "payment_due", team.sara) == expected, offset
    [row] = [r for r in rows(db, "payment_due") if r.key.startswith(f"payment_due:{instalment}:0:")]
    assert row.due_at == datetime(2027, 3, 30, 6, 30, tzinfo=UTC) and not row.late
    assert [m.text.split("\n")[0] for m in received(team.sara, "💰 Payment")] == [
        "💰 Payment due in 3 days",
        "💰 Payment due today",
    ]
    assert "CNY 7,000.00 due Tue 30 Mar 2027" in received(team.sara, "⚠️ Payment 7")[0].text
    [escalation] = rows(db, "payment_escalation")
    assert escalation.due_at == manager_at and not escalation.late
    assert escalation.user_id == actor_of(db, team.manager.id).user_id
    assert received(team.manager, "🚨")[0].text.endswith("Sara collects it.")
    assert received(team.tom, "💰") == []  # Tom sold it, Sara collects


async def test_a_reminder_missed_while_the_bot_was_down_comes_late_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery")
    _, [instalment] = make_order(
        db, team.tom, team.tom, acme, "Lathes", [("12000", date(2026, 12, 15))]
    )
    await tick_at(bot, clock, datetime(2026, 12, 11, 12, 0, tzinfo=UTC))
    assert rows(db, "payment_due") == []
    # Down from then until Monday 07:30 in Shanghai, 47 hours after the −3 reminder was due.
    await tick_at(bot, clock, datetime(2026, 12, 13, 23, 30, tzinfo=UTC), times=3)
    [row] = rows(db, "payment_due")
    assert row.key == due_key(db, team.tom, instalment, -3) and row.state == "sent" and row.late
    [late] = received(team.tom, "⏰ Late")
    assert late.text.startswith(
        "⏰ Late: this was due Sat 12 Dec 08:30.\n💰 Payment due in 3 days\nAcme Machinery"
    )
    # Down again over the due day: only the newest missed reminder (+1) comes, late.
    await tick_at(bot, clock, datetime(2026, 12, 17, 6, 0, tzinfo=UTC), times=2)
    assert sent_keys(db, "payment_due") == [
        due_key(db, team.tom, instalment, -3),
        due_key(db, team.tom, instalment, 1),
    ]
    assert received(team.tom, "⏰ Late")[1].text.startswith(
        "⏰ Late: this was due Wed 16 Dec 08:30.\n⚠️ Payment 1 day overdue"
    )
    # Down longer than CATCH_UP_HOURS past +7: that one is not sent any more; +14 is.
    await tick_at(bot, clock, datetime(2026, 12, 25, 3, 0, tzinfo=UTC))
    assert len(rows(db, "payment_due")) == 2
    await tick_at(bot, clock, datetime(2026, 12, 29, 0, 30, tzinfo=UTC))
    assert sent_keys(db, "payment_due")[-1] == due_key(db, team.tom, instalment, 14)
    assert len(received(team.tom, "⏰ Late")) == 2


async def test_a_reminder_held_overnight_is_dropped_once_the_instalment_is_paid(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery")
    _, [instalment] = make_order(
        db, team.tom, team.tom, acme, "Lathes", [("12000", date(2026, 12, 15))]
    )
    # The bot comes back at 23:00 in Shanghai: the due-day reminder waits for the morning.
    await tick_at(bot, clock, datetime(2026, 12, 15, 15, 0, tzinfo=UTC))
    [row] = rows(db, "payment_due")
    assert row.key == due_key(db, team.tom, instalment, 0) and row.state == "pending"
    assert row.send_after == datetime(2026, 12, 15, 23, 0, tzinfo=UTC)
    clock.current = datetime(2026, 12, 15, 22, 0, tzinfo=UTC)
    await bot.send(team.tom, "/pay")
    await bot.press(team.tom, "O-2026-00001 · Acme Machinery · CNY 12,000.00")
    await bot.send(team.tom, "12000")
    await bot.press(team.tom, "Today")
    await tick_at(bot, clock, datetime(2026, 12, 15, 23, 0, tzinfo=UTC))
    [row] = rows(db, "payment_due")
    assert row.state == "skipped" and row.reason == "instalment paid"
    await tick_at(bot, clock, datetime(2026, 12, 29, 0, 30, tzinfo=UTC))
    assert len(rows(db, "payment_due")) == 1 and rows(db, "payment_escalation") == []
    assert received(team.tom, "💰 Payment") == received(team.tom, "⚠️ Payment") == []


# -- polite notes to the customer's contact -------------------------------------------------------


async def tick_daily(bot: LocalBot, clock: FakeClock, first: date, last: date) -> None:
    """Each day: just before 10:00 in Shanghai (02:00 UTC), at 10:00 twice, and in the evening."""
    day = first
    while day <= last:
        at_ten = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
        for instant in (at_ten - timedelta(minutes=1), at_ten, at_ten, at_ten + timedelta(hours=9)):
            await tick_at(bot, clock, instant)
        day += timedelta(days=1)


def li_na_id(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(Contact).where(Contact.name == "Li Na")).one().id or 0


def notes_to(db: Database, contact: SimUser) -> list[OutboxMessage]:
    with db.session() as session:
        linked = session.exec(select(Contact).where(Contact.telegram_chat_id == contact.id)).one()
    return [row for row in rows(db, "payment_note") if row.contact_id == linked.id]


async def test_the_contact_gets_at_most_one_payment_note_a_week(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7301)
    _, [first, second, third] = make_order(
        db,
        team.tom,
        team.tom,
        acme,
        "Lathes",
        [("1000", date(2026, 12, 15)), ("1000", date(2026, 12, 17)), ("1000", date(2026, 12, 23))],
    )
    await tick_daily(bot, clock, date(2026, 12, 13), date(2026, 12, 28))
    notes = notes_to(db, li)
    # Due day of the first; the second's due day (2 days later) and every +3 fall within a week
    # of a note; the third's due day is 8 days after the first note.
    contact_id = li_na_id(db)
    assert [(row.key, row.state) for row in notes] == [
        (f"payment_note:{first}:0:{contact_id}", "sent"),
        (f"payment_note:{third}:0:{contact_id}", "sent"),
    ]
    assert [row.sent_at for row in notes] == [
        datetime(2026, 12, 15, 2, 0, tzinfo=UTC),
        datetime(2026, 12, 23, 2, 0, tzinfo=UTC),
    ]
    assert second not in [row.ref_id for row in notes]
    assert [m.text for m in li.messages if m.text.startswith("Hello Li Na")] == [
        "Hello Li Na, a friendly reminder: the payment of CNY 1,000.00 for order O-2026-00001"
        " is due today, Tue 15 Dec 2026.\nIf it is already on its way, thank you, and please"
        " ignore this message. Any question? Just reply here and Tom will answer.",
        "Hello Li Na, a friendly reminder: the payment of CNY 1,000.00 for order O-2026-00001"
        " is due today, Wed 23 Dec 2026.\nIf it is already on its way, thank you, and please"
        " ignore this message. Any question? Just reply here and Tom will answer.",
    ]
    assert li.messages[-1].buttons() == []


async def test_no_payment_note_while_a_complaint_is_open(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7302)
    _, [first, second] = make_order(
        db,
        team.tom,
        team.tom,
        acme,
        "Lathes",
        [("3000", date(2026, 12, 15)), ("2000", date(2026, 12, 28))],
    )
    clock.current = datetime(2026, 12, 14, 3, 0, tzinfo=UTC)
    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "😠 Complaint")
    await bot.send(team.tom, "Lathe #3 leaks oil")

    # Due day: the complaint is open, so no note is even written; the rep is reminded as usual.
    await tick_daily(bot, clock, date(2026, 12, 15), date(2026, 12, 15))
    assert notes_to(db, li) == []
    assert due_key(db, team.tom, first, 0) in sent_keys(db, "payment_due", team.tom)

    # Resolved the next day: the +3 note goes (no other note went within the week).
    clock.current = datetime(2026, 12, 16, 3, 0, tzinfo=UTC)
    with db.session() as session:
        ticket_id = session.exec(select(Ticket)).one().id
    await bot.settle(await team.tom.press_data(f"tk:mv:{ticket_id}:resolved"))
    await tick_daily(bot, clock, date(2026, 12, 16), date(2026, 12, 18))
    [note] = notes_to(db, li)
    assert note.key.startswith(f"payment_note:{first}:3:") and note.state == "sent"
    assert note.sent_at == datetime(2026, 12, 18, 2, 0, tzinfo=UTC)
    [text] = [m.text for m in li.messages if m.text.startswith("Hello Li Na")]
    assert text.startswith(
        "Hello Li Na, the payment of CNY 3,000.00 for order O-2026-00001, due Tue 15 Dec 2026,"
        " has not reached us yet."
    )

    # A note already written is checked again just before it goes: Telegram holds it back for
    # a second (flood control), a new complaint is opened meanwhile, and it is skipped.
    emulator.flood(1, retry_after=1, chat_id=li.id)
    await tick_at(bot, clock, datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    [_, waiting] = notes_to(db, li)
    assert waiting.key.startswith(f"payment_note:{second}:0:") and waiting.state == "pending"
    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "😠 Complaint")
    await bot.send(team.tom, "Second delivery late")
    await tick_at(bot, clock, datetime(2026, 12, 28, 2, 0, 5, tzinfo=UTC))
    [_, skipped] = notes_to(db, li)
    assert skipped.state == "skipped" and skipped.reason == "open complaint"
    assert len([m for m in li.messages if m.text.startswith("Hello Li Na")]) == 1
    assert emulator.refused_429 == 1
    emulator.rejections.clear()  # refused on purpose


# -- stale deals -------------------------------------------------------------------------------


async def test_a_stale_deal_alerts_once_per_episode(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    rush = add_customer(db, team.tom, "Golden Harvest Foods")
    await create_deal(bot, team.tom, "Acme Machinery", "20 CNC lathes", "12000")  # 3 months
    with db.session() as session:
        draft = DealDraft(rush, "Rice mill", Decimal("8000"), "CNY", timeframe=Timeframe.NOW)
        now_deal = new_deal(session, actor_of(db, team.tom.id), draft, now=clock())
        assert now_deal.id is not None
        now_id = now_deal.id
    created, tom = int(ORDERED.timestamp()), actor_of(db, team.tom.id).user_id

    # Buying now: stale after 3 days (Sat 28 Nov 17:00 local), told at the next 08:30.
    await tick_at(bot, clock, datetime(2026, 11, 28, 23, 0, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2026, 11, 29, 0, 29, tzinfo=UTC))
    assert rows(db, "stale_deal") == []
    await tick_at(bot, clock, datetime(2026, 11, 29, 0, 30, tzinfo=UTC), times=2)
    assert sent_keys(db, "stale_deal") == [f"stale_deal:{now_id}:{created}:{tom}"]
    [alert] = received(team.tom, "🕸")
    assert alert.text == (
        "🕸 Gone quiet: Rice mill\nGolden Harvest Foods · Lead · CNY 8,000.00\n"
        "Nothing done since Wed 25 Nov 2026, more than 3 days. A call or a visit keeps it moving."
    )
    assert alert.button_texts() == ["💼 Open the deal", "📝 Log visit"]

    # Within 3 months: 14 days (Wed 9 Dec 17:00 local), told Thu 10 Dec 08:30; once.
    await tick_at(bot, clock, datetime(2026, 12, 10, 0, 29, tzinfo=UTC))
    assert len(sent_keys(db, "stale_deal")) == 1
    for instant in (
        datetime(2026, 12, 10, 0, 30, tzinfo=UTC),
        datetime(2026, 12, 10, 0, 31, tzinfo=UTC),
        datetime(2026, 12, 14, 0, 30, tzinfo=UTC),
    ):
        await tick_at(bot, clock, instant)
    keys = sent_keys(db, "stale_deal")
    assert len(keys) == 2 and keys[1].endswith(f":{created}:{tom}") and keys[1] != keys[0]
    alert = received(team.tom, "🕸 Gone quiet: 20 CNC lathes")[0]
    await bot.press(team.tom, "💼 Open the deal", alert)
    assert "💼 20 CNC lathes" in team.tom.message(alert.message_id).text

    # A call from the alert starts a new episode: 14 days later it alerts again.
    clock.current = datetime(2026, 12, 17, 3, 0, tzinfo=UTC)
    alert = received(team.tom, "🕸 Gone quiet: Rice mill")[0]
    await bot.press(team.tom, "📝 Log visit", alert)
    await bot.press(team.tom, "📞 Call")
    await bot.send(team.tom, "budget comes in Q1")
    await bot.send(team.tom, "Skip")
    await bot.press(team.tom, "Skip")
    await bot.press(team.tom, "No follow-up")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.tom, "/visit Acme Machinery: called, they want a demo")
    await bot.press(team.tom, "✅ Save")
    await tick_at(bot, clock, datetime(2026, 12, 20, 0, 30, tzinfo=UTC))  # 3 days: 20 Dec 11:00
    assert len(sent_keys(db, "stale_deal")) == 2
    await tick_at(bot, clock, datetime(2026, 12, 21, 0, 30, tzinfo=UTC))
    touched = int(datetime(2026, 12, 17, 3, 0, tzinfo=UTC).timestamp())
    assert sent_keys(db, "stale_deal")[2] == f"stale_deal:{now_id}:{touched}:{tom}"
    await tick_at(bot, clock, datetime(2026, 12, 31, 0, 30, tzinfo=UTC))
    assert len(sent_keys(db, "stale_deal")) == 3
    await tick_at(bot, clock, datetime(2027, 1, 1, 0, 30, tzinfo=UTC), times=2)
    keys = sent_keys(db, "stale_deal")
    assert len(keys) == 4 and keys[3].endswith(f":{touched}:{tom}") and keys[3] != keys[2]
    assert [row.ref_id for row in rows(db, "stale_deal")] == [now_id, 1, now_id, 1]
    assert received(team.tom, "🕸 Gone quiet: 20 CNC lathes")[-1].text.endswith(
        "Nothing done since Thu 17 Dec 2026, more than 14 days. A call or a visit keeps it moving."
    )
    assert received(team.manager, "🕸") == received(team.sara, "🕸") == []


# -- quotes about to expire ----------------------------------------------------------------------


async def test_the_rep_is_told_three_days_before_a_sent_unanswered_quote_expires(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7303)
    await bot.send(team.tom, "/quote")
    await bot.press(team.tom, "Lathes · Acme Machinery")
    await bot.send(team.tom, "CNC-100")
    await bot.press(team.tom, "CNC-100 · CNC lathe 100")
    await bot.send(team.tom, "10")
    await bot.press(team.tom, "5%")
    await bot.press(team.tom, "📤 Submit")
    await bot.press(team.tom, "📤 Send to Li Na")
    assert li.last().kind == "document"

    # Two more quotes of the same day: one never sent, one the customer declined.
    actor = actor_of(db, team.tom.id)
    limits = quotes.Limits(rep=Decimal(10), manager=Decimal(20), validity_days=30)
    with db.session() as session:
        spindle = session.exec(select(Product).where(Product.sku == "SP-1")).one().id or 0
        contact_id = session.exec(select(Contact).where(Contact.name == "Li Na")).one().id or 0
        issued = []
        for title in ("Spindles", "Spare spindles"):
            deal = new_deal(
                session, actor, DealDraft(acme, title, Decimal("500"), "CNY"), now=ORDERED
            )
            decision = quotes.submit_quote(
                session,
                actor,
                deal.id or 0,
                [quotes.LineDraft(spindle, Decimal(2), Decimal(0))],
                Decimal(0),
                limits=limits,
                now=ORDERED,
            )
            assert decision.status == "issued"
            issued.append(decision.quote_id)
        today = date(2026, 11, 25)
        quotes.send_to_contact(session, actor, issued[1], contact_id, today=today, now=ORDERED)
        quotes.answer_quote(session, contact_id, issued[1], accept=False, now=ORDERED)

    # Valid until Fri 25 Dec: told Tue 22 Dec 08:30 in Shanghai (00:30 UTC), once.
    await tick_at(bot, clock, datetime(2026, 12, 22, 0, 29, tzinfo=UTC))
    assert rows(db, "quote_expiry") == []
    await tick_at(bot, clock, datetime(2026, 12, 22, 0, 30, tzinfo=UTC), times=2)
    for instant in (
        datetime(2026, 12, 23, 1, 0, tzinfo=UTC),
        datetime(2026, 12, 25, 1, 0, tzinfo=UTC),
    ):
        await tick_at(bot, clock, instant)
    [row] = rows(db, "quote_expiry")
    assert (
        row.key == f"quote_expiry:1:{actor_of(db, team.tom.id).user_id}"
        and row.state == "sent"
        and not row.late
    )
    [warning] = received(team.tom, "⏳")
    assert warning.text == (
        "⏳ Quote Q-2026-00001 expires in 3 days\n"
        "Acme Machinery · CNY 9,500.00, valid until Fri 25 Dec 2026\n"
        "Sent to Li Na Wed 25 Nov; no answer yet. A call before it lapses?"
    )
    await bot.press(team.tom, "💼 Open the deal", warning)
    assert "💼 Lathes" in team.tom.message(warning.message_id).text


# -- service requests past due -------------------------------------------------------------------


async def open_request(bot: LocalBot, rep: SimUser, customer: str, kind: str, text: str) -> int:
    await bot.send(rep, "/ticket")
    await bot.press(rep, customer)
    await bot.press(rep, kind)
    await bot.send(rep, text)
    return int(rep.last().text.split("#")[1].split()[0])


async def test_an_overdue_request_alerts_the_rep_and_the_manager_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    add_customer(db, team.tom, "Brightway Logistics")
    late = await open_request(bot, team.tom, "Acme Machinery", "😠 Complaint", "Lathe #3 leaks oil")
    done = await open_request(bot, team.tom, "Brightway Logistics", "❓ Question", "Hainan?")
    # Complaint due in 24 hours (Thu 26 Nov 09:00 UTC); the question in 48, resolved before.
    clock.current = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    await bot.settle(await team.tom.press_data(f"tk:mv:{done}:resolved"))
    await tick_at(bot, clock, datetime(2026, 11, 26, 8, 59, tzinfo=UTC))
    assert rows(db, "ticket_overdue") == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), times=2)
    for instant in (
        datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
    ):
        await tick_at(bot, clock, instant)
    tom, mei = actor_of(db, team.tom.id).user_id, actor_of(db, team.manager.id).user_id
    assert sorted(sent_keys(db, "ticket_overdue")) == sorted(
        [f"ticket_overdue:{late}:{tom}", f"ticket_overdue:{late}:{mei}"]
    )
    [to_rep] = received(team.tom, "⏰ Overdue")
    assert to_rep.text == (
        f"⏰ Overdue: Complaint #{late} · Acme Machinery\nLathe #3 leaks oil\n"
        "Was due Thu 26 Nov 2026, 17:00 · open"
    )
    assert to_rep.button_texts() == ["🛠 Open the request"]
    [to_manager] = received(team.manager, "⏰ Overdue")
    assert to_manager.text.endswith("Was due Thu 26 Nov 2026, 17:00 · open · Tom has it")
    await bot.press(team.manager, "🛠 Open the request", to_manager)
    opened = team.manager.message(to_manager.message_id).text
    assert f"🛠 Complaint #{late} · Acme Machinery" in opened
    for person in (team.sara, team.ken, team.admin):
        assert received(person, "⏰ Overdue") == []


async def test_a_request_resolved_while_its_alert_waits_for_the_morning_alerts_nobody(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    clock.current = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    ticket = await open_request(bot, team.tom, "Acme Machinery", "😠 Complaint", "Noisy spindle")
    await tick_at(bot, clock, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # due, in quiet hours
    waiting = rows(db, "ticket_overdue")
    assert len(waiting) == 2 and {row.state for row in waiting} == {"pending"}
    clock.current = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
    await bot.settle(await team.tom.press_data(f"tk:mv:{ticket}:resolved"))
    await tick_at(bot, clock, datetime(2026, 11, 26, 23, 0, tzinfo=UTC))  # 07:00 in Shanghai
    assert {(row.state, row.reason) for row in rows(db, "ticket_overdue")} == {
        ("skipped", "request resolved")
    }
    assert received(team.tom, "⏰ Overdue") == received(team.manager, "⏰ Overdue") == []


# -- across a daylight-saving change -------------------------------------------------------------


async def test_stale_deal_alerts_keep_0830_across_the_dst_change_in_berlin_and_in_shanghai(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")
    deals = [  # customer's owner, customer, deal, created (buying now: stale after 3 days)
        (team.sara, "Brightway Logistics", "Forklifts", datetime(2027, 3, 23, 12, 0, tzinfo=UTC)),
        (team.sara, "Golden Harvest Foods", "Rice mill", datetime(2027, 3, 24, 12, 0, tzinfo=UTC)),
        (team.tom, "Acme Machinery", "Lathes", datetime(2027, 3, 24, 12, 0, tzinfo=UTC)),
    ]
    ids: dict[str, int] = {}
    for rep, customer, title, created in deals:
        customer_id = add_customer(db, rep, customer)
        with db.session() as session:
            draft = DealDraft(customer_id, title, Decimal("8000"), "CNY", timeframe=Timeframe.NOW)
            ids[title] = new_deal(session, actor_of(db, rep.id), draft, now=created).id or 0
    # Berlin's summer time starts on Sun 28 Mar 2027: 08:30 there is 07:30 UTC on the 27th and
    # 06:30 UTC on the 28th. Forklifts went stale on Fri 26 Mar 13:00 local (told Sat 27 Mar
    # 08:30), the rice mill on Sat 27 Mar 13:00 (told Sun 28 Mar 08:30). Shanghai: 00:30 UTC.
    await tick_at(bot, clock, datetime(2027, 3, 27, 6, 30, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2027, 3, 27, 7, 29, tzinfo=UTC))
    assert rows(db, "stale_deal") == []
    await tick_at(bot, clock, datetime(2027, 3, 27, 7, 30, tzinfo=UTC), times=2)
    assert [row.ref_id for row in rows(db, "stale_deal")] == [ids["Forklifts"]]
    await tick_at(bot, clock, datetime(2027, 3, 28, 0, 29, tzinfo=UTC))
    assert received(team.tom, "🕸") == []
    await tick_at(bot, clock, datetime(2027, 3, 28, 0, 30, tzinfo=UTC), times=2)
    assert [m.text.split("\n")[0] for m in received(team.tom, "🕸")] == ["🕸 Gone quiet: Lathes"]
    await tick_at(bot, clock, datetime(2027, 3, 28, 6, 29, tzinfo=UTC))
    assert received(team.sara, "🕸 Gone quiet: Rice mill") == []
    await tick_at(bot, clock, datetime(2027, 3, 28, 6, 30, tzinfo=UTC), times=2)
    assert len(received(team.sara, "🕸 Gone quiet: Rice mill")) == 1
    for instant in (
        datetime(2027, 3, 28, 12, 0, tzinfo=UTC),
        datetime(2027, 3, 29, 6, 30, tzinfo=UTC),
        datetime(2027, 3, 30, 6, 30, tzinfo=UTC),
    ):
        await tick_at(bot, clock, instant)
    assert [(row.ref_id, row.state, row.due_at, row.late) for row in rows(db, "stale_deal")] == [
        (ids["Forklifts"], "sent", datetime(2027, 3, 27, 7, 30, tzinfo=UTC), False),
        (ids["Lathes"], "sent", datetime(2027, 3, 28, 0, 30, tzinfo=UTC), False),
        (ids["Rice mill"], "sent", datetime(2027, 3, 28, 6, 30, tzinfo=UTC), False),
    ]
    assert len(received(team.sara, "🕸")) == 2 and len(received(team.tom, "🕸")) == 1


async def test_a_quote_expiry_warning_in_berlin_keeps_0830_across_the_dst_change(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")
    acme = add_customer(db, team.sara, "Acme Machinery", contact="Li Na")
    add_products(db)
    await link_contact(bot, emulator, team.sara, "acme", "Acme Machinery", "Li Na", 7304)
    # Two quotes sent the day they were issued, valid 30 days: until Tue 30 and Wed 31 Mar 2027.
    actor = actor_of(db, team.sara.id)
    limits = quotes.Limits(rep=Decimal(10), manager=Decimal(20), validity_days=30)
    issued = []
    with db.session() as session:
        spindle = session.exec(select(Product).where(Product.sku == "SP-1")).one().id or 0
        contact_id = session.exec(select(Contact).where(Contact.name == "Li Na")).one().id or 0
        for title, now in (
            ("Spindles", datetime(2027, 2, 28, 9, 0, tzinfo=UTC)),
            ("Spare spindles", datetime(2027, 3, 1, 9, 0, tzinfo=UTC)),
        ):
            deal = new_deal(session, actor, DealDraft(acme, title, Decimal("500"), "CNY"), now=now)
            decision = quotes.submit_quote(
                session,
                actor,
                deal.id or 0,
                [quotes.LineDraft(spindle, Decimal(2), Decimal(0))],
                Decimal(0),
                limits=limits,
                now=now,
            )
            assert decision.status == "issued"
            issued.append(decision.quote_id)
            quotes.send_to_contact(
                session, actor, decision.quote_id, contact_id, today=now.date(), now=now
            )

    # Told three days before at 08:30 in Berlin: Sat 27 Mar at 07:30 UTC (winter time), Sun
    # 28 Mar at 06:30 UTC (summer time from that night on).
    await tick_at(bot, clock, datetime(2027, 3, 27, 6, 30, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2027, 3, 27, 7, 29, tzinfo=UTC))
    assert rows(db, "quote_expiry") == []
    await tick_at(bot, clock, datetime(2027, 3, 27, 7, 30, tzinfo=UTC), times=2)
    sara = actor_of(db, team.sara.id).user_id
    assert sent_keys(db, "quote_expiry", team.sara) == [f"quote_expiry:{issued[0]}:{sara}"]
    await tick_at(bot, clock, datetime(2027, 3, 28, 6, 29, tzinfo=UTC))
    assert len(rows(db, "quote_expiry")) == 1
    await tick_at(bot, clock, datetime(2027, 3, 28, 6, 30, tzinfo=UTC), times=2)
    assert sent_keys(db, "quote_expiry", team.sara) == [f"quote_expiry:{q}:{sara}" for q in issued]
    for instant in (
        datetime(2027, 3, 29, 6, 30, tzinfo=UTC),
        datetime(2027, 3, 31, 12, 0, tzinfo=UTC),
    ):
        await tick_at(bot, clock, instant)
    assert [(row.key, row.state, row.due_at, row.late) for row in rows(db, "quote_expiry")] == [
        (
            f"quote_expiry:{issued[0]}:{sara}",
            "sent",
            datetime(2027, 3, 27, 7, 30, tzinfo=UTC),
            False,
        ),
        (
            f"quote_expiry:{issued[1]}:{sara}",
            "sent",
            datetime(2027, 3, 28, 6, 30, tzinfo=UTC),
            False,
        ),
    ]
    warnings = [m.text for m in received(team.sara, "⏳")]
    assert len(warnings) == 2
    assert warnings[1].startswith("⏳ Quote Q-2027-00002 expires in 3 days\n")
    assert "valid until Wed 31 Mar 2027" in warnings[1]
    assert received(team.tom, "⏳") == []
