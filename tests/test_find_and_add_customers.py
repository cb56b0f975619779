"""End to end: finding a customer by typing, the customer card, /newcustomer with its duplicate
check, and adding a customer from a shared contact card."""

from __future__ import annotations

from sqlmodel import func, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Contact, Customer
from tests.flows import SalesTeam, add_customer, sales_team, texts


async def seeded(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    add_customer(db, team.tom, "上海宏达机电有限公司", phone="+86 21 5555 0102", contact="王伟")
    add_customer(db, team.tom, "Brightway Logistics")
    add_customer(db, team.tom, "Acme Tools")
    add_customer(db, team.sara, "Pacific Steel Works")
    add_customer(db, team.ken, "Acme South")
    return team


def customer_count(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(Customer)).one()


async def test_typing_a_name_finds_customers_with_typos_and_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)

    partial = await bot.send(team.tom, "acme")
    assert partial[0].text.startswith("Customers matching “acme”")
    assert partial[0].button_texts() == ["Acme Machinery", "Acme Tools"]  # not Ken's Acme South
    typo = await bot.send(team.tom, "acne machinary")
    assert typo[0].button_texts()[0] == "Acme Machinery"
    chinese = await bot.send(team.tom, "宏达")
    assert chinese[0].button_texts() == ["上海宏达机电有限公司"]
    by_phone = await bot.send(team.tom, "/customers 5555 0102")
    assert by_phone[0].button_texts() == ["上海宏达机电有限公司"]
    nothing = await bot.send(team.tom, "zebra crossing")
    assert "No customer of yours matches “zebra crossing”" in nothing[0].text
    assert nothing[0].buttons() == []


async def test_recently_touched_customers_come_first(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/visit Acme Tools: quick call")
    await bot.press(team.tom, "✅ Save")

    results = await bot.send(team.tom, "acme")
    assert results[0].button_texts() == ["Acme Tools", "Acme Machinery"]
    await bot.send(team.tom, "/visit")
    assert team.tom.last().button_texts()[0] == "Acme Tools"


async def test_customer_card_shows_the_essentials(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/visit Acme Machinery: demo went well; next: send quote tomorrow 3pm")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.tom, "acme mach")
    await bot.press(team.tom, "Acme Machinery")

    card = team.tom.last()
    assert "Acme Machinery" in card.text and "☎️ +86 21 5555 0101" in card.text
    assert "• Li Na · +86 21 5555 0101" in card.text
    assert "Next follow-up: Thu 26 Nov 2026, 15:00" in card.text
    assert "Visit (Tom): demo went well → send quote" in card.text
    assert card.button_texts() == [
        "📝 Log visit",
        "💼 New deal",
        "🕘 Timeline",
        "🔗 Link a contact",
        "⚙️ Ask for terms",
        "✏️ Edit",
        "📜 History",
        "📍 Set location",
    ]


async def test_a_forged_card_button_for_anothers_customer_says_not_found(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    with db.session() as session:
        pacific = session.exec(select(Customer).where(Customer.name == "Pacific Steel Works")).one()
    for data in (f"cus:open:{pacific.id}", f"tl:{pacific.id}:0", "cus:open:999999"):
        await bot.settle(await team.tom.press_data(data))
        assert team.tom.callback_answers[-1]["text"] == "Not found."
    # Her manager sees it.
    await bot.settle(await team.manager.press_data(f"cus:open:{pacific.id}"))
    assert "Pacific Steel Works" in team.manager.last().text


async def test_newcustomer_asks_name_phone_and_contact(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    assert "What is the new customer's name?" in texts(await bot.send(team.tom, "/newcustomer"))
    assert "Their phone number?" in texts(await bot.send(team.tom, "Golden Harvest Foods"))
    assert "doesn't look like a phone number" in texts(await bot.send(team.tom, "call me"))
    assert "contact person" in texts(await bot.send(team.tom, "+86 136 0000 0104"))
    answer = await bot.send(team.tom, "Chen Jie")

    assert answer[0].text == "Added Golden Harvest Foods."
    assert "• Chen Jie · +86 136 0000 0104" in answer[1].text
    with db.session() as session:
        customer = session.exec(
            select(Customer).where(Customer.name == "Golden Harvest Foods")
        ).one()
        contact = session.exec(select(Contact).where(Contact.customer_id == customer.id)).one()
    assert customer.phone == "+86 136 0000 0104" and contact.name == "Chen Jie"


async def test_newcustomer_offers_the_existing_record_for_a_duplicate(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    before = customer_count(db)

    await bot.send(team.tom, "/newcustomer ACME Machinery Co., Ltd.")
    await bot.press(team.tom, "Skip")
    answer = await bot.press(team.tom, "Skip")
    offer = team.tom.last()
    assert answer == [] and "This looks like a customer you already have" in offer.text
    assert offer.button_texts() == ["Acme Machinery", "Create a new one anyway"]
    await bot.press(team.tom, "Acme Machinery")
    assert "☎️ +86 21 5555 0101" in team.tom.last().text
    assert customer_count(db) == before

    # The same phone under another name is a duplicate too; "anyway" creates it.
    await bot.send(team.tom, "/newcustomer Hongda Electric")
    await bot.send(team.tom, "+86 21 5555 0102")
    await bot.press(team.tom, "Skip")
    assert "上海宏达机电有限公司" in team.tom.last().button_texts()
    await bot.press(team.tom, "Create a new one anyway")
    assert customer_count(db) == before + 1


async def test_sharing_a_contact_card_adds_a_customer(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.settle(await team.tom.send_contact("+86 187 0000 0206", "He", "Ping"))
    assert team.tom.last().text == "Add He Ping (+86 187 0000 0206) as a new customer?"
    answer = await bot.press(team.tom, "Add as a new customer")

    assert answer[0].text == "Added He Ping."
    with db.session() as session:
        added = session.exec(select(Customer).where(Customer.name == "He Ping")).one()
    assert added.phone == "+86 187 0000 0206"
    # Sharing it again finds the duplicate by phone.
    await bot.settle(await team.tom.send_contact("+86 187 0000 0206", "Ping", "He"))
    await bot.press(team.tom, "Add as a new customer")
    assert "This looks like a customer you already have" in team.tom.last().text


async def test_newcustomer_steps_reask_on_nonsense(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    before = customer_count(db)
    await bot.send(team.tom, "/newcustomer")
    assert "1 to 200 characters" in texts(await bot.send(team.tom, "x" * 201))
    await bot.settle(await team.tom.send_photo(b"\x89PNG"))
    assert team.tom.last().text.startswith("Let's finish this first")
    await bot.send(team.tom, "Riverside Construction")
    assert "doesn't look like a phone number" in texts(await bot.send(team.tom, "12"))
    assert texts(await bot.send(team.tom, "/cancel")) == "Cancelled. Nothing was saved."
    assert customer_count(db) == before


async def test_control_characters_never_reach_a_customer_or_contact_name(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Found by tests/test_fuzz_flows.py: /newcustomer stored NUL, C1 control characters and
    unassigned code points in the names."""
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/newcustomer")
    assert "1 to 200 characters" in texts(await bot.send(team.tom, "\x00\x9b\u200b"))
    await bot.send(team.tom, "Kite\x00 Works\x9b\U000652d0")
    await bot.press(team.tom, "Skip")
    await bot.send(team.tom, "Li\x13 Lei\u202e")
    with db.session() as session:
        customer = session.exec(select(Customer).where(Customer.name == "Kite Works")).one()
        contacts = session.exec(select(Contact).where(Contact.customer_id == customer.id)).all()
    assert [contact.name for contact in contacts] == ["Li Lei"]
