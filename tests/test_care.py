"""End to end through the emulator with an injected clock: birthday greetings at 09:00 in each
contact's own zone (across a DST change, 29 February, /stop, a complaint, downtime), the rep's
nudge for a contact the bot cannot greet, post-purchase check-ins, and /care campaigns to a
segment of contacts, held in each contact's quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import CareCampaign, Contact, Customer, OutboxMessage
from tests.conftest import FakeClock
from tests.flows import add_customer, link_contact, make_order, sales_team, set_zone, texts

ORDERED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def rows(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)  # type: ignore[arg-type]
            )
        )


def greetings(person: SimUser) -> list[str]:
    return [m.text for m in person.messages if m.text.startswith("🎂 Happy birthday")]


def nudges(person: SimUser) -> list[str]:
    return [m.text for m in person.messages if m.text.startswith("🎂 Today is")]


def check_ins(person: SimUser) -> list[str]:
    return [m.text for m in person.messages if "How is it working for you?" in m.text]


def care_messages(person: SimUser) -> list[str]:
    return [m.text for m in person.messages if "/stop and we will not message you" in m.text]


def set_contact(db: Database, name: str, **values: Any) -> None:
    with db.session() as session:
        contact = session.exec(select(Contact).where(Contact.name == name)).one()
        for field, value in values.items():
            setattr(contact, field, value)


def add_contact(db: Database, customer_id: int, name: str) -> None:
    with db.session() as session:
        session.add(Contact(customer_id=customer_id, name=name))


def set_tier(db: Database, customer_id: int, tier: str) -> None:
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.tier = tier


def won_order(db: Database, rep: SimUser, customer_id: int, title: str) -> int:
    """A won deal of ``rep`` and its order, delivered today, paid at the end of January."""
    order_id, _ = make_order(
        db,
        rep,
        rep,
        customer_id,
        title,
        [("12000", date(2027, 1, 31))],
        delivery_date=date(2026, 11, 25),
        ordered=ORDERED,
    )
    return order_id


async def mark_delivered(bot: LocalBot, rep: SimUser, order_id: int) -> None:
    await bot.settle(await rep.press_data(f"ord:open:{order_id}"))
    await bot.press(rep, "🚚 Mark delivered")
    assert "delivered 25 Nov 2026" in rep.last().text


async def tick_at(bot: LocalBot, clock: FakeClock, moment: datetime) -> None:
    """Two ticks at ``moment``: the second must add nothing."""
    clock.current = moment
    await bot.tick()
    await bot.tick()


async def schedule_care(
    bot: LocalBot, admin: SimUser, segment_button: str, text: str, when: str
) -> str:
    """/care without detours; returns the preview's text."""
    await bot.send(admin, "/care")
    await bot.press(admin, segment_button)
    await bot.send(admin, text)
    preview = await bot.send(admin, when)
    await bot.press(admin, "✅ Send")
    return preview[0].text


# -- birthdays ----------------------------------------------------------------------------------


async def test_the_greeting_comes_once_at_0900_in_each_contacts_zone_across_dst(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(3, 28))
    add_customer(db, team.tom, "Brightway Logistics", contact="Anna Weber", birthday=(3, 28))
    add_customer(db, team.sara, "Golden Harvest Foods", contact="Jonas Keller", birthday=(3, 27))
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    anna = await link_contact(
        bot, emulator, team.tom, "brightway", "Brightway Logistics", "Anna Weber", 7002
    )
    jonas = await link_contact(
        bot, emulator, team.sara, "golden", "Golden Harvest Foods", "Jonas Keller", 7003
    )
    # Berlin's summer time starts on Sun 28 Mar 2027: 09:00 is 08:00 UTC on the 27th, 07:00 on
    # the 28th. Shanghai's 09:00 is 01:00 UTC.
    set_contact(db, "Anna Weber", timezone="Europe/Berlin")
    set_contact(db, "Jonas Keller", timezone="Europe/Berlin")
    moments = [
        (datetime(2027, 3, 26, 23, 30, tzinfo=UTC), 0, 0, 0),  # 00:30 on the 27th in Berlin
        (datetime(2027, 3, 27, 7, 59, tzinfo=UTC), 0, 0, 0),
        (datetime(2027, 3, 27, 8, 0, tzinfo=UTC), 0, 0, 1),
        (datetime(2027, 3, 28, 0, 59, tzinfo=UTC), 0, 0, 1),
        (datetime(2027, 3, 28, 1, 0, tzinfo=UTC), 1, 0, 1),
        (datetime(2027, 3, 28, 6, 59, tzinfo=UTC), 1, 0, 1),
        (datetime(2027, 3, 28, 7, 0, tzinfo=UTC), 1, 1, 1),
        (datetime(2027, 3, 29, 9, 0, tzinfo=UTC), 1, 1, 1),
    ]
    for moment, li_count, anna_count, jonas_count in moments:
        await tick_at(bot, clock, moment)
        assert [len(greetings(p)) for p in (li, anna, jonas)] == [
            li_count,
            anna_count,
            jonas_count,
        ], moment
    assert greetings(li) == [
        "🎂 Happy birthday, Li Na!\n\nWishing you a wonderful day and a healthy, happy year "
        "ahead. Thank you for working with us.\n\nWarm regards,\nTom"
    ]
    assert greetings(jonas)[0].endswith("Warm regards,\nSara")  # their own rep signs
    sent = rows(db, "birthday")
    assert [row.state for row in sent] == ["sent", "sent", "sent"]
    assert sorted(row.sent_at for row in sent if row.sent_at) == [
        datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 7, 0, tzinfo=UTC),
    ]
    assert all(row.promotional and not row.late for row in sent)
    assert nudges(team.tom) == [] and nudges(team.sara) == []  # all three could be greeted


async def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(2, 29))
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    await tick_at(bot, clock, datetime(2027, 2, 28, 1, 0, tzinfo=UTC))
    assert len(greetings(li)) == 1
    await tick_at(bot, clock, datetime(2027, 3, 1, 1, 0, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2028, 2, 28, 1, 0, tzinfo=UTC))  # a leap year
    assert len(greetings(li)) == 1
    await tick_at(bot, clock, datetime(2028, 2, 29, 1, 0, tzinfo=UTC))
    assert len(greetings(li)) == 2
    assert [row.key.split(":")[-1] for row in rows(db, "birthday")] == [
        "2027-02-28",
        "2028-02-29",
    ]


async def test_stop_before_the_greeting_time_skips_it_and_the_rep_is_nudged(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(11, 26))
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    await tick_at(bot, clock, datetime(2026, 11, 25, 16, 30, tzinfo=UTC))  # 00:30 on the 26th
    [waiting] = rows(db, "birthday")
    assert waiting.state == "pending" and waiting.send_after == datetime(
        2026, 11, 26, 1, 0, tzinfo=UTC
    )
    assert "no more messages from us" in texts(await bot.send(li, "/stop"))

    await tick_at(bot, clock, datetime(2026, 11, 26, 1, 0, tzinfo=UTC))
    assert greetings(li) == []
    [skipped] = rows(db, "birthday")
    assert (skipped.state, skipped.reason) == ("skipped", "opted out")
    # They said /stop to the bot, not to their rep: Tom is reminded to call instead.
    assert nudges(team.tom) == [
        "🎂 Today is Li Na's birthday (Acme Machinery) — a call or a visit?\n\n"
        "They get no greeting from me: they said /stop."
    ]


async def test_a_corrected_birthday_skips_the_waiting_greeting_and_greets_on_the_new_day(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(11, 26))
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    await tick_at(bot, clock, datetime(2026, 11, 25, 16, 30, tzinfo=UTC))  # written, waiting
    set_contact(db, "Li Na", birth_day=27)
    await tick_at(bot, clock, datetime(2026, 11, 26, 1, 0, tzinfo=UTC))
    assert greetings(li) == []
    await tick_at(bot, clock, datetime(2026, 11, 27, 1, 0, tzinfo=UTC))
    assert len(greetings(li)) == 1
    assert [(row.key.split(":")[-1], row.state, row.reason) for row in rows(db, "birthday")] == [
        ("2026-11-26", "skipped", "birthday changed"),
        ("2026-11-27", "sent", None),
    ]


async def test_a_greeting_missed_while_the_bot_was_down_is_not_sent_the_next_day(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(11, 26))
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    # Down from before her birthday until 09:00 the day after.
    await tick_at(bot, clock, datetime(2026, 11, 27, 1, 0, tzinfo=UTC))
    assert greetings(li) == []
    [dropped] = rows(db, "birthday")
    assert dropped.state == "skipped"
    assert dropped.reason == "expired: its day had passed"
    assert dropped.expires_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # midnight, Shanghai
    shown = texts(await bot.send(team.admin, "/outbox"))
    assert "birthday · expired: its day had passed" in shown
    await tick_at(bot, clock, datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    assert greetings(li) == [] and len(rows(db, "birthday")) == 1


async def test_the_rep_is_nudged_for_a_contact_who_has_not_linked(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    customer_id = add_customer(
        db,
        team.tom,
        "Brightway Logistics",
        phone="+86 136 0000 0104",
        contact="Chen Jie",
        birthday=(11, 26),
    )
    add_customer(db, team.ken, "Southern Star", contact="Wang Lei", birthday=(11, 27))
    await tick_at(bot, clock, datetime(2026, 11, 26, 0, 29, tzinfo=UTC))
    assert nudges(team.tom) == []
    await tick_at(bot, clock, datetime(2026, 11, 26, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai
    assert nudges(team.tom) == [
        "🎂 Today is Chen Jie's birthday (Brightway Logistics) — call +86 136 0000 0104?\n\n"
        "They get no greeting from me: they have not linked their Telegram."
    ]
    nudge = next(m for m in team.tom.messages if m.text.startswith("🎂 Today is"))
    assert nudge.button_texts() == ["Open customer"]
    assert [b.callback_data for b in nudge.buttons()] == [f"cus:open:{customer_id}"]
    assert nudges(team.ken) == [] and nudges(team.sara) == [] and nudges(team.manager) == []
    assert rows(db, "birthday") == []  # nothing to a contact who has not linked
    await tick_at(bot, clock, datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    assert len(nudges(team.tom)) == 1
    assert [row.state for row in rows(db, "birthday_nudge")] == ["sent"]
    await bot.press(team.tom, "Open customer", nudge)
    assert team.tom.message(nudge.message_id).text.startswith("Brightway Logistics")


# -- check-ins ----------------------------------------------------------------------------------


async def test_a_check_in_comes_check_in_days_after_delivery_at_1000_their_time(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_contact(db, acme, "Hans Becker")
    add_contact(db, acme, "Zhou Min")  # never linked: gets nothing
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    hans = await link_contact(
        bot, emulator, team.tom, "acme", "Acme Machinery", "Hans Becker", 7002
    )
    set_contact(db, "Hans Becker", timezone="Europe/Berlin")
    order_id = won_order(db, team.tom, acme, "20 CNC lathes")
    await mark_delivered(bot, team.tom, order_id)  # Wed 25 Nov, 17:00 in Shanghai

    # CHECK_IN_DAYS is 14: Wed 9 Dec at 10:00, 02:00 UTC in Shanghai and 09:00 UTC in Berlin.
    await tick_at(bot, clock, datetime(2026, 12, 9, 1, 59, tzinfo=UTC))
    assert check_ins(li) == [] and rows(db, "checkin") == []
    await tick_at(bot, clock, datetime(2026, 12, 9, 2, 0, tzinfo=UTC))
    assert check_ins(li) == [
        "Hello Li Na, it has been a little while since order O-2026-00001 (20 CNC lathes) was "
        "delivered. How is it working for you?\n\nIf anything is not as it should be, or you "
        "have a question, just reply here and Tom will get back to you."
    ]
    assert check_ins(hans) == []
    await tick_at(bot, clock, datetime(2026, 12, 9, 8, 59, tzinfo=UTC))
    assert check_ins(hans) == []
    await tick_at(bot, clock, datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    assert len(check_ins(hans)) == 1
    await tick_at(bot, clock, datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    assert len(check_ins(li)) == 1 and len(check_ins(hans)) == 1
    contact_ids = {row.contact_id for row in rows(db, "checkin")}
    with db.session() as session:
        names = {session.get(Contact, cid).name for cid in contact_ids}  # type: ignore[union-attr]
    assert names == {"Li Na", "Hans Becker"}
    assert all(row.promotional and row.state == "sent" for row in rows(db, "checkin"))

    # Their answer reaches the rep like any question.
    await bot.send(li, "Running well, thank you!")
    assert "Li Na (Acme Machinery) asks:\nRunning well, thank you!" in team.tom.last().text


# -- a complaint holds back what is promotional -----------------------------------------------


async def test_an_open_complaint_holds_back_care_but_not_staff_reminders(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(12, 9))
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    order_id = won_order(db, team.tom, acme, "20 CNC lathes")
    await mark_delivered(bot, team.tom, order_id)  # check-in on Wed 9 Dec, 10:00
    await schedule_care(
        bot, team.admin, "👥 All linked contacts (1)", "Season's greetings!", "dec 9 11am"
    )
    await bot.send(team.tom, "/visit Acme: asked about the invoice; next: call back dec 9 10:30")
    await bot.press(team.tom, "✅ Save")
    await bot.send(li, "/ticket")
    await bot.press(li, "😠 Complaint")
    await bot.send(li, "lathe #3 leaks oil")
    before = len(li.messages)

    await tick_at(bot, clock, datetime(2026, 12, 9, 4, 0, tzinfo=UTC))  # noon in Shanghai
    assert li.messages[before:] == []
    for kind in ("birthday", "checkin", "care"):
        assert [(row.state, row.reason) for row in rows(db, kind)] == [
            ("skipped", "open complaint")
        ], kind
    # The rep's own reminder is not held back.
    assert any("🔔 Follow up: Acme Machinery" in m.text for m in team.tom.messages)
    assert [row.state for row in rows(db, "followup")] == ["sent"]


# -- /care --------------------------------------------------------------------------------------


async def test_care_campaign_to_a_tier_reaches_its_linked_contacts_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    tiers = {
        "Acme Machinery": (team.tom, "Li Na", "A", 7001),
        "Brightway Logistics": (team.sara, "Zhang Min", "A", 7002),
        "Golden Harvest Foods": (team.tom, "Chen Jie", "B", 7003),
        "Delta Steel": (team.ken, "Wang Lei", "A", None),  # not linked
        "Eastern Pumps": (team.ken, "Liu Yang", "A", 7005),  # linked, then /stop
    }
    people: dict[str, SimUser] = {}
    for customer, (rep, contact, tier, user_id) in tiers.items():
        set_tier(db, add_customer(db, rep, customer, contact=contact), tier)
        if user_id is not None:
            search = customer.split()[0].lower()
            people[contact] = await link_contact(
                bot, emulator, rep, search, customer, contact, user_id
            )
    await bot.send(people["Liu Yang"], "/stop")

    # A rep may not.
    refused = await bot.send(team.tom, "/care")
    assert [m.text for m in refused] == ["You can't do that with your role."]

    admin = team.admin
    asked = await bot.send(admin, "/care")
    assert asked[0].button_texts() == [
        "👥 All linked contacts (3)",
        "Tier A customers (2)",
        "Tier B customers (1)",
        "Tier C customers (0)",
    ]
    assert "choose with the buttons" in texts(await bot.send(admin, "tier a please"))
    await bot.press(admin, "Tier A customers (2)", asked[0])
    assert admin.message(asked[0].message_id).text.startswith(
        "To the linked contacts of tier A customers (2)."
    )
    await bot.settle(await admin.send_location(31.23, 121.47))
    assert "Let's finish this first" in admin.last().text
    assert "That is 1001 characters" in texts(await bot.send(admin, "x" * 1001))
    message = "Our office is closed on 31 Dec & 1 Jan. <b>Happy holidays</b> from all of us!"
    assert "When should it go out?" in texts(await bot.send(admin, message))
    assert "couldn't read “whenever” as a time" in texts(await bot.send(admin, "whenever"))
    assert "has already passed" in texts(await bot.send(admin, "yesterday 3pm"))
    assert "Please give a time of day too" in texts(await bot.send(admin, "fri"))
    [preview] = await bot.send(admin, "tomorrow 10am")
    assert preview.text.startswith(
        "💌 Care message preview\nTo the linked contacts of tier A customers: 2 contacts will "
        "get it on Thu 26 Nov 2026, 10:00 your time"
    )
    as_seen = f"{message}\n\nReply here to reach us; /stop and we will not message you again."
    assert f"They will read:\n———\n{as_seen}\n———" in preview.text
    assert preview.button_texts() == ["✅ Send", "✖ Cancel"]
    assert "choose with the buttons" in texts(await bot.send(admin, "yes"))
    await bot.press(admin, "✅ Send", preview)
    assert admin.message(preview.message_id).text.startswith(
        "✅ Care message scheduled: 2 contacts will get it on Thu 26 Nov 2026, 10:00 your time."
    )
    with db.session() as session:
        [campaign] = session.exec(select(CareCampaign)).all()
    assert campaign.segment == "tier:A" and campaign.text == message
    assert campaign.confirmed_at == ORDERED and campaign.enqueued_at is None
    assert campaign.send_at == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    await tick_at(bot, clock, datetime(2026, 11, 26, 1, 59, tzinfo=UTC))
    assert all(care_messages(person) == [] for person in people.values())
    await tick_at(bot, clock, datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    assert care_messages(people["Li Na"]) == [as_seen]
    assert care_messages(people["Zhang Min"]) == [as_seen]
    assert care_messages(people["Chen Jie"]) == []  # tier B
    assert care_messages(people["Liu Yang"]) == []  # said /stop
    assert [row.state for row in rows(db, "care")] == ["sent", "sent"]
    with db.session() as session:
        done = session.get(CareCampaign, campaign.id)
        assert done is not None
        assert done.enqueued_at == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def test_care_can_be_left_at_any_step_without_saving(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    admin = team.admin
    await bot.send(admin, "/care")
    await bot.press(admin, "👥 All linked contacts (1)")
    assert texts(await bot.send(admin, "/cancel")) == "Cancelled. Nothing was saved."

    await bot.send(admin, "/care")
    await bot.press(admin, "👥 All linked contacts (1)")
    await bot.send(admin, "Thank you for a good year!")
    [preview] = await bot.send(admin, "now")
    assert "1 contact will get it as soon as you send it" in preview.text
    await bot.press(admin, "✖ Cancel", preview)
    assert admin.message(preview.message_id).text == "Cancelled. Nothing was saved."
    await tick_at(bot, clock, datetime(2026, 11, 25, 9, 5, tzinfo=UTC))
    with db.session() as session:
        assert session.exec(select(CareCampaign)).all() == []
    assert care_messages(li) == []

    # "now" goes out at the next tick.
    await schedule_care(bot, admin, "👥 All linked contacts (1)", "Thank you!", "now")
    assert "1 contact will get it right away" in admin.last().text
    await tick_at(bot, clock, datetime(2026, 11, 25, 9, 6, tzinfo=UTC))
    assert len(care_messages(li)) == 1


async def test_a_campaign_for_2200_their_time_arrives_at_0800_the_next_morning(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_customer(db, team.sara, "Brightway Logistics", contact="Anna Weber")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    anna = await link_contact(
        bot, emulator, team.sara, "brightway", "Brightway Logistics", "Anna Weber", 7002
    )
    set_contact(db, "Anna Weber", timezone="Europe/Berlin")
    # 05:00 on Fri 27 Nov in the admin's Shanghai is 22:00 on Thu 26 Nov in Berlin.
    preview = await schedule_care(
        bot, team.admin, "👥 All linked contacts (2)", "Winter service tips inside.", "nov 27 5am"
    )
    assert "on Fri 27 Nov 2026, 05:00 your time" in preview

    await tick_at(bot, clock, datetime(2026, 11, 26, 21, 0, tzinfo=UTC))
    assert care_messages(li) == [] and care_messages(anna) == []
    assert {(row.state, row.reason) for row in rows(db, "care")} == {("pending", "quiet hours")}
    await tick_at(bot, clock, datetime(2026, 11, 26, 23, 59, tzinfo=UTC))
    assert care_messages(li) == []
    await tick_at(bot, clock, datetime(2026, 11, 27, 0, 0, tzinfo=UTC))  # 08:00 in Shanghai
    assert len(care_messages(li)) == 1 and care_messages(anna) == []
    await tick_at(bot, clock, datetime(2026, 11, 27, 6, 59, tzinfo=UTC))
    assert care_messages(anna) == []
    await tick_at(bot, clock, datetime(2026, 11, 27, 7, 0, tzinfo=UTC))  # 08:00 in Berlin
    assert len(care_messages(anna)) == 1 and len(care_messages(li)) == 1
    assert [(row.state, row.late) for row in rows(db, "care")] == [
        ("sent", False),
        ("sent", False),
    ]


# -- across a daylight-saving change -------------------------------------------------------------


async def test_the_birthday_nudge_keeps_0830_in_the_reps_zone_across_dst(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")
    add_customer(db, team.sara, "Golden Harvest Foods", contact="Jonas Keller", birthday=(3, 27))
    add_customer(db, team.sara, "Brightway Logistics", contact="Chen Jie", birthday=(3, 28))
    # Neither has linked. Berlin's summer time starts on Sun 28 Mar 2027: Sara's 08:30 is 07:30
    # UTC on Sat 27 Mar and 06:30 UTC on the 28th.
    await tick_at(bot, clock, datetime(2027, 3, 27, 6, 30, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2027, 3, 27, 7, 29, tzinfo=UTC))
    assert nudges(team.sara) == []
    await tick_at(bot, clock, datetime(2027, 3, 27, 7, 30, tzinfo=UTC))
    assert [n.split(" (")[0] for n in nudges(team.sara)] == ["🎂 Today is Jonas Keller's birthday"]
    await tick_at(bot, clock, datetime(2027, 3, 28, 6, 29, tzinfo=UTC))
    assert len(nudges(team.sara)) == 1
    await tick_at(bot, clock, datetime(2027, 3, 28, 6, 30, tzinfo=UTC))
    assert len(nudges(team.sara)) == 2
    assert nudges(team.sara)[1].startswith("🎂 Today is Chen Jie's birthday (Brightway Logistics)")
    await tick_at(bot, clock, datetime(2027, 3, 28, 20, 0, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2027, 3, 29, 6, 30, tzinfo=UTC))
    assert len(nudges(team.sara)) == 2
    assert [(row.state, row.due_at, row.late) for row in rows(db, "birthday_nudge")] == [
        ("sent", datetime(2027, 3, 27, 7, 30, tzinfo=UTC), False),
        ("sent", datetime(2027, 3, 28, 6, 30, tzinfo=UTC), False),
    ]
    assert nudges(team.tom) == [] and rows(db, "birthday") == []


async def test_a_check_in_keeps_1000_in_the_contacts_zone_across_dst(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Hans Becker")
    hans = await link_contact(
        bot, emulator, team.tom, "acme", "Acme Machinery", "Hans Becker", 7002
    )
    set_contact(db, "Hans Becker", timezone="Europe/Berlin")
    first = won_order(db, team.tom, acme, "20 CNC lathes")
    second = won_order(db, team.tom, acme, "Spindles")
    for order_id, delivered in (
        (first, datetime(2027, 3, 13, 10, 0, tzinfo=UTC)),  # Sat 13 Mar, 11:00 in Berlin
        (second, datetime(2027, 3, 14, 10, 0, tzinfo=UTC)),  # Sun 14 Mar
    ):
        clock.current = delivered
        await bot.settle(await team.tom.press_data(f"ord:open:{order_id}"))
        await bot.press(team.tom, "🚚 Mark delivered")
        assert f"delivered {delivered.day} Mar 2027" in team.tom.last().text

    # 14 days later at 10:00 in Berlin: Sat 27 Mar at 09:00 UTC (winter time), Sun 28 Mar at
    # 08:00 UTC (summer time from that night on).
    await tick_at(bot, clock, datetime(2027, 3, 27, 8, 0, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2027, 3, 27, 8, 59, tzinfo=UTC))
    assert check_ins(hans) == [] and rows(db, "checkin") == []
    await tick_at(bot, clock, datetime(2027, 3, 27, 9, 0, tzinfo=UTC))
    assert [c.split(" was ")[0] for c in check_ins(hans)] == [
        "Hello Hans Becker, it has been a little while since order O-2026-00001 (20 CNC lathes)"
    ]
    await tick_at(bot, clock, datetime(2027, 3, 28, 7, 59, tzinfo=UTC))
    assert len(check_ins(hans)) == 1
    await tick_at(bot, clock, datetime(2027, 3, 28, 8, 0, tzinfo=UTC))
    assert len(check_ins(hans)) == 2 and "order O-2026-00002 (Spindles)" in check_ins(hans)[1]
    await tick_at(bot, clock, datetime(2027, 3, 28, 9, 0, tzinfo=UTC))
    await tick_at(bot, clock, datetime(2027, 3, 29, 8, 0, tzinfo=UTC))
    assert len(check_ins(hans)) == 2
    assert [(row.ref_id, row.state, row.due_at, row.late) for row in rows(db, "checkin")] == [
        (first, "sent", datetime(2027, 3, 27, 9, 0, tzinfo=UTC), False),
        (second, "sent", datetime(2027, 3, 28, 8, 0, tzinfo=UTC), False),
    ]
