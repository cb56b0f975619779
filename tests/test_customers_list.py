"""/customers shows each person the customers they may see, with names rendered literally."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Customer, Role, User
from tests.flows import admin_of, register, texts

HOSTILE = "<b>A&B</b> </i> &amp; <script>"


def add_customer(db: Database, owner_telegram_id: int, name: str) -> None:
    with db.session() as session:
        owner = session.exec(select(User).where(User.telegram_id == owner_telegram_id)).one()
        assert owner.id is not None
        session.add(Customer(name=name, owner_id=owner.id, credit_limit=Decimal("1000.50")))


async def test_hostile_customer_name_arrives_literally(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    rep = await register(bot, emulator, admin, Role.REP, 5101, "Tom")
    add_customer(db, 5101, HOSTILE)

    answer = await bot.send(rep, "/customers")

    assert f"• {HOSTILE}" in answer[0].text
    assert answer[0].html is not None
    assert "&lt;b&gt;A&amp;amp;B&lt;/b&gt;" not in answer[0].html  # escaped once, not twice
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in answer[0].html


async def test_hostile_team_and_person_names_arrive_literally(
    bot: LocalBot, emulator: BotAPIEmulator
) -> None:
    admin = await admin_of(bot, emulator)
    await register(bot, emulator, admin, Role.REP, 5102, "<i>Eve</i> & Co", team="<u>T&T</u>")

    assert "<i>Eve</i> & Co accepted your invite" in admin.last().text
    assert "in team <u>T&T</u>" in admin.last().text
    await bot.send(admin, "/users")
    assert "<i>Eve</i> & Co · Sales rep" in admin.last().button_texts()


async def test_each_role_sees_its_own_customers(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    manager = await register(bot, emulator, admin, Role.MANAGER, 5103, "Mei", team="North")
    tom = await register(bot, emulator, admin, Role.REP, 5104, "Tom", team="North")
    sara = await register(bot, emulator, admin, Role.REP, 5105, "Sara", team="North")
    await register(bot, emulator, admin, Role.REP, 5106, "Ken", team="South")
    director = await register(bot, emulator, admin, Role.DIRECTOR, 5107, "Dave")
    add_customer(db, 5104, "Acme Machinery")
    add_customer(db, 5105, "Brightway Logistics")
    add_customer(db, 5106, "上海宏达机电")

    tom_sees = texts(await bot.send(tom, "/customers"))
    assert "Acme Machinery" in tom_sees and "Brightway" not in tom_sees and "宏达" not in tom_sees
    assert "Tom" not in tom_sees  # a rep is not shown the owner: it is always them
    assert "Brightway Logistics" in texts(await bot.send(sara, "/customers"))
    team_view = texts(await bot.send(manager, "/customers"))
    assert "Customers (2)" in team_view and "宏达" not in team_view
    assert "Acme Machinery · Tom" in team_view
    assert "Customers (3)" in texts(await bot.send(director, "/customers"))


async def test_customer_list_pages(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> None:
    admin = await admin_of(bot, emulator)
    rep = await register(bot, emulator, admin, Role.REP, 5108, "Tom")
    for number in range(12):
        add_customer(db, 5108, f"Customer {number:02d}")

    first = (await bot.send(rep, "/customers"))[0]
    assert "Customers (12), page 1 of 2" in first.text
    assert "Customer 09" in first.text and "Customer 10" not in first.text
    await bot.press(rep, "Next ▶")
    assert "page 2 of 2" in first.text and "Customer 11" in first.text
    assert first.button_texts() == ["Customer 10", "Customer 11", "◀ Previous"]


async def test_no_customers_yet(bot: LocalBot, emulator: BotAPIEmulator) -> None:
    admin = await admin_of(bot, emulator)
    rep = await register(bot, emulator, admin, Role.REP, 5109, "Tom")
    assert texts(await bot.send(rep, "/customers")) == (
        "You have no customers yet. Add one with /newcustomer, or share a contact card here."
    )
