"""End to end: a customer contact linked by the rep's one-time link gives consent, sees only
their own company's orders, writes a question the rep answers through the bot, and /stop
works at once. Anything else they try reaches nothing."""

from __future__ import annotations

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Contact, SalesOrder
from tests.flows import add_customer, sales_team, texts
from tests.test_deals import create_deal
from tests.test_orders import order_with_one_payment


def li_na(db: Database) -> Contact:
    with db.session() as session:
        return session.exec(select(Contact).where(Contact.name == "Li Na")).one()


async def test_contact_links_sees_own_orders_asks_and_stops(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_customer(db, team.tom, "Brightway Logistics", contact="Zhang Min")
    for customer, title in (("Acme Machinery", "Lathes"), ("Brightway Logistics", "Trucks")):
        await create_deal(bot, team.tom, customer, title, "¥12,000")
        await bot.press(team.tom, "→ Won")
        await order_with_one_payment(bot, team.tom)
    with db.session() as session:
        brightway_order = session.exec(
            select(SalesOrder).where(SalesOrder.number == "O-2026-00002")
        ).one()

    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🔗 Link a contact")
    await bot.press(team.tom, "Li Na")
    link = team.tom.last().text
    code = link.split("?start=")[1].split()[0]
    assert link.startswith("Link for Li Na:") and code.startswith("c_")

    contact = emulator.user(7001, "Na", last_name="Li", language_code="en")
    welcome = await bot.send(contact, f"/start {code}")
    assert welcome[0].text.startswith("Hello Li Na! You are now connected with Tom")
    assert welcome[0].button_texts() == ["✅ Yes, message me", "No messages, thanks"]
    assert li_na(db).telegram_chat_id == 7001 and not li_na(db).opted_in
    await bot.press(contact, "✅ Yes, message me")
    assert li_na(db).opted_in

    orders = texts(await bot.send(contact, "/myorders"))
    assert "Orders of Acme Machinery" in orders and "O-2026-00001" in orders
    assert "due CNY 12,000.00" in orders and "O-2026-00002" not in orders
    assert "Trucks" not in orders
    # Nothing of the staff side, nor other customers' records, is reachable.
    for attempt in ("/visit Acme: hello", "/customers", "/deals", "/users"):
        assert "write a question to Tom" in texts(await bot.send(contact, attempt)), attempt
    for data in (f"pay:ord:{brightway_order.id}", f"ord:open:{brightway_order.id}", "cus:open:1"):
        await bot.settle(await contact.press_data(data))
        assert contact.callback_answers[-1]["text"] == "Not found.", data
    with db.session() as session:
        assert session.get(SalesOrder, brightway_order.id).paid_total == 0  # type: ignore[union-attr]

    asked = await bot.send(contact, "When will lathe #2 be delivered?")
    assert asked[0].text == "Sent to Tom; the answer will come here."
    question = team.tom.last()
    assert "Li Na (Acme Machinery) asks:\nWhen will lathe #2 be delivered?" in question.text
    await bot.press(team.tom, "↩️ Answer")
    # Nothing but spaces and control characters is asked again (it used to get no answer).
    assert "Your answer to Li Na" in texts(await bot.send(team.tom, " \x00 "))
    await bot.send(team.tom, "Next Tuesday, before noon.")
    assert team.tom.last().text == "Sent to Li Na."
    assert contact.last().text == "💬 Tom: Next Tuesday, before noon."

    assert "no more messages from us" in texts(await bot.send(contact, "/stop"))
    assert not li_na(db).opted_in

    stranger = emulator.user(7002, "Someone")
    assert "already been used" in texts(await bot.send(stranger, f"/start {code}"))
    assert "ask your admin for an invite" in texts(await bot.send(stranger, "/myorders"))
