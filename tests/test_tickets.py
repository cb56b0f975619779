"""End to end: a service request or complaint is opened on a customer, due by its kind in the
rep's time zone, moved to in progress and resolved, listed most urgent first, and kept on the
customer's timeline. Nonsense at each step is re-asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Contact, Ticket
from tests.conftest import FakeClock
from tests.flows import actor_of, add_customer, link_contact, sales_team, texts


async def test_open_work_and_resolve_a_complaint(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    add_customer(db, team.tom, "Brightway Logistics")
    add_customer(db, team.sara, "Pacific Steel Works")

    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Acme Machinery")
    assert team.tom.last().button_texts() == ["😠 Complaint", "🔧 Repair", "❓ Question"]
    assert "Please choose with the buttons" in texts(await bot.send(team.tom, "complaint!"))
    await bot.press(team.tom, "😠 Complaint")
    card = (await bot.send(team.tom, "Lathe #3 leaks oil since the delivery"))[0]

    # Complaints are due in 24 hours: 09:00 UTC + 24 h is 17:00 the next day in Shanghai.
    assert "🛠 Complaint #1 · Acme Machinery" in card.text
    assert "Status: open" in card.text and "Due: Thu 26 Nov 2026, 17:00" in card.text
    assert card.button_texts() == ["▶ In progress", "✅ Resolved", "Open customer"]
    with db.session() as session:
        ticket = session.exec(select(Ticket)).one()
    assert ticket.due_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Brightway Logistics")
    await bot.press(team.tom, "❓ Question")
    await bot.send(team.tom, "Do we ship to Hainan?")
    clock.advance(timedelta(hours=30))
    listing = (await bot.send(team.tom, "/tickets"))[0]
    assert "Open service requests (2, 1 overdue)" in listing.text
    assert listing.button_texts() == ["⚠️ #1 Acme Machinery", "#2 Brightway Logistics"]
    assert "No open service requests" in texts(await bot.send(team.sara, "/tickets"))
    assert "Open service requests (2" in texts(await bot.send(team.manager, "/tickets"))

    await bot.press(team.tom, "⚠️ #1 Acme Machinery")
    await bot.press(team.tom, "▶ In progress")
    assert "Status: in progress" in team.tom.last().text
    assert team.tom.last().button_texts() == ["✅ Resolved", "Open customer"]
    await bot.press(team.tom, "✅ Resolved")
    assert "Status: resolved" in team.tom.last().text and "overdue" not in team.tom.last().text
    with db.session() as session:
        assert session.get(Ticket, 1).resolved_at == clock()  # type: ignore[union-attr]
    await bot.settle(await team.tom.press_data("tk:mv:1:in_progress"))
    assert team.tom.last().text == "That ticket has already moved on."
    await bot.settle(await team.sara.press_data("tk:mv:2:resolved"))
    assert team.sara.callback_answers[-1]["text"] == "Not found."

    await bot.press(team.tom, "Open customer")
    await bot.press(team.tom, "🕘 Timeline")
    timeline = next(m.text for m in reversed(team.tom.messages) if ": timeline" in m.text)
    assert "🛠 Complaint resolved: Lathe #3 leaks oil" in timeline
    assert "🛠 Complaint opened: Lathe #3 leaks oil" in timeline
    assert timeline.index("resolved") < timeline.index("opened")


async def test_a_linked_contact_rates_the_resolved_request(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7201)

    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🔧 Repair")
    await bot.send(team.tom, "Spindle noise on lathe #2")
    before = len(li.messages)
    await bot.press(team.tom, "✅ Resolved")
    ask = li.last()
    assert len(li.messages) == before + 1
    assert ask.text.startswith(
        "Your repair “Spindle noise on lathe #2” is resolved. How did we do?"
    )
    assert ask.button_texts() == ["1★", "2★", "3★", "4★", "5★"]
    await bot.press(li, "4★")
    assert li.last().text == "Thank you for your rating (4/5)."
    with db.session() as session:
        assert session.exec(select(Ticket)).one().rating == 4
    await bot.settle(await li.press_data("ct:rate:1:1"))
    assert li.last().text == "This request has already been rated, thank you."
    with db.session() as session:
        assert session.exec(select(Ticket)).one().rating == 4
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🕘 Timeline")
    assert "Repair resolved: Spindle noise on lathe #2 · rated 4/5 by the customer" in (
        team.tom.last().text
    )


async def test_a_linked_contact_opens_a_complaint_themselves(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_customer(db, team.sara, "Brightway Logistics")
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7202)

    asked = await bot.send(li, "/ticket")
    assert asked[0].text == "What is it about?"
    assert asked[0].button_texts() == ["😠 Complaint", "🔧 Repair", "❓ Question"]
    # Text instead of a button, and a forged kind, are re-asked; nothing reaches the rep.
    before = len(team.tom.messages)
    again = await bot.send(li, "the lathe is broken")
    assert again[0].text == "Please choose with the buttons, or /cancel."
    await bot.settle(await li.press_data("ct:tk:praise"))
    assert li.callback_answers[-1]["text"] == "Not found."
    await bot.press(li, "😠 Complaint", asked[0])
    assert li.message(asked[0].message_id).text.startswith("Please describe it in a few words")
    await bot.settle(await li.send_photo(b"\x89PNG\r\n\x1a\n" + b"0" * 64))
    assert "Please describe it in a few words" in li.last().text
    assert len(team.tom.messages) == before
    with db.session() as session:
        assert session.exec(select(Ticket)).all() == []

    opened = await bot.send(li, "Second delivery arrived with a dented housing <urgent>")
    ticket = the_ticket(db)
    assert opened[0].text == (
        f"✅ Request #{ticket.id} is open. Tom has it and will get back to you within 24 hours."
    )
    assert ticket.kind == "complaint" and ticket.status == "open"
    assert ticket.owner_id == actor_of(db, team.tom.id).user_id
    assert ticket.created_by_id is None and ticket.opened_by_contact_id == li_contact_id(db)
    assert ticket.due_at == ticket.created_at + timedelta(hours=24)
    told = team.tom.last()
    assert told.text.startswith(
        f"🛠 Li Na (Acme Machinery) opened request #{ticket.id} — complaint:"
    )
    assert "dented housing <urgent>" in told.text
    await bot.press(team.tom, "🛠 Open the request")
    assert "dented housing" in team.tom.last().text
    # The next message is a question again, not a second request.
    await bot.send(li, "Thanks!")
    assert "Li Na (Acme Machinery) asks:\nThanks!" in team.tom.last().text
    with db.session() as session:
        assert len(session.exec(select(Ticket)).all()) == 1
    # /cancel while describing leaves nothing behind.
    await bot.send(li, "/ticket")
    await bot.press(li, "❓ Question")
    assert li.messages[-1].text.startswith("Please describe")
    assert (await bot.send(li, "/cancel"))[0].text == "Cancelled. Nothing was saved."
    with db.session() as session:
        assert len(session.exec(select(Ticket)).all()) == 1
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🕘 Timeline")
    assert "· Li Na (customer)\n🛠 Complaint opened: Second delivery" in team.tom.last().text


def the_ticket(db: Database) -> Ticket:
    with db.session() as session:
        return session.exec(select(Ticket)).one()


def li_contact_id(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(Contact).where(Contact.name == "Li Na")).one().id  # type: ignore[return-value]


async def test_control_characters_in_a_description_are_dropped_not_a_crash(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Found by tests/test_fuzz_flows.py: a NUL in a description crashed on PostgreSQL, which
    refuses NUL in text; escape sequences were kept. Line breaks stay."""
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🔧 Repair")
    card = (await bot.send(team.tom, "Lathe\x00 #3\x1b[31m leaks\nsince Monday"))[0]
    assert "🛠 Repair #1 · Acme Machinery" in card.text
    with db.session() as session:
        ticket = session.exec(select(Ticket)).one()
    assert ticket.description == "Lathe #3[31m leaks\nsince Monday"
