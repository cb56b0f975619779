"""End to end: /export as XLSX read back with openpyxl: exactly the person's scope (a rep's own,
a manager's team, a director's everything; another team's customers never), header rows in the
reader's language, amounts as numbers and dates and instants as Excel dates on the reader's
clock, the button list, and refusals of what cannot be exported."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from bot.db import Database
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.services import orders
from models import Role, Touch
from tests.flows import (
    actor_of,
    add_customer,
    invite,
    join,
    make_order,
    register,
    sales_team,
    texts,
)


def sheet_of(message: BotMessage) -> list[tuple[Any, ...]]:
    assert message.kind == "document" and message.document is not None
    book = load_workbook(io.BytesIO(message.document))
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


async def export(bot: LocalBot, person: SimUser, what: str) -> tuple[BotMessage, list[Any]]:
    answer = await bot.send(person, f"/export {what}")
    assert len(answer) == 1, texts(answer)
    return answer[0], sheet_of(answer[0])


async def test_exports_hold_only_what_the_person_may_see_with_typed_cells(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    add_customer(db, team.sara, "Brightway Trading")
    pacific = add_customer(db, team.ken, "Pacific Steel Works", contact="Bob Lee")
    order_id, _ = make_order(
        db, team.tom, team.tom, acme, "20 lathes", [("6000.50", date(2026, 12, 31))]
    )
    make_order(db, team.ken, team.ken, pacific, "Steel coils", [("999", date(2026, 12, 31))])
    with db.session() as session:
        orders.log_payment(
            session,
            actor_of(db, team.tom.id),
            order_id,
            Decimal("1000.25"),
            received_on=date(2026, 11, 24),
            now=datetime(2026, 11, 24, 16, 30, tzinfo=UTC),
        )

    with db.session() as session:
        tom_id = actor_of(db, team.tom.id).user_id
        session.add(
            Touch(
                customer_id=acme,
                author_id=tom_id,
                kind="call",
                notes="asked for the lathe specs",
                next_step="send specs",
                follow_up_at=datetime(2026, 11, 27, 6, 0, tzinfo=UTC),
                created_at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC),
            )
        )
        ken_id = actor_of(db, team.ken.id).user_id
        session.add(Touch(customer_id=pacific, author_id=ken_id, kind="visit", notes="Ken's"))

    # Tom, a rep: his own customer only; created 1 Nov 00:00 UTC is 08:00 in Shanghai.
    message, rows = await export(bot, team.tom, "customers")
    assert message.filename == "customers-2026-11-25.xlsx"
    assert message.text == "📊 Customers: 1 row, as of 25 Nov 2026."
    assert rows[0][:3] == ("Customer no.", "Customer", "Owner")
    assert [row[1] for row in rows[1:]] == ["Acme Machinery"]
    header = rows[0]
    acme_row = dict(zip(header, rows[1], strict=True))
    assert acme_row["Created"] == datetime(2026, 11, 1, 8, 0)
    assert acme_row["Credit limit"] == 0 and isinstance(acme_row["Credit limit"], int | float)
    assert acme_row["Payment terms (days)"] == 30 and acme_row["Phone"] == "+86 21 5555 0101"

    _, rows = await export(bot, team.tom, "orders")
    order = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and order["Customer"] == "Acme Machinery"
    assert (order["Total"], order["Paid"], order["Due"]) == (6000.5, 1000.25, 5000.25)
    assert order["Delivery date"] == datetime(2026, 12, 1)
    assert order["Created"] == datetime(2026, 11, 25, 17, 0)  # 09:00 UTC in Shanghai

    _, rows = await export(bot, team.tom, "payments")
    payment = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and payment["Amount"] == 1000.25
    assert payment["Received on"] == datetime(2026, 11, 24)
    assert payment["Logged at"] == datetime(2026, 11, 25, 0, 30)
    assert payment["Logged by"] == "Tom"

    _, rows = await export(bot, team.tom, "deals")
    deal = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and (deal["Stage"], deal["Probability %"]) == ("Won", 100)
    assert deal["Amount"] == 6000.5 and deal["Weighted amount"] == 6000.5

    _, rows = await export(bot, team.tom, "visits")
    assert len(rows) == 2
    visit = dict(zip(rows[0], rows[1], strict=True))
    assert (visit["Kind"], visit["Customer"], visit["By"]) == ("Call", "Acme Machinery", "Tom")
    assert visit["When"] == datetime(2026, 11, 25, 7, 30)  # Shanghai's clock
    assert visit["Follow-up"] == datetime(2026, 11, 27, 14, 0)
    assert visit["Follow-up done"] is None

    _, rows = await export(bot, team.tom, "contacts")
    assert [(row[0], row[1]) for row in rows[1:]] == [("Acme Machinery", "Li Na")]

    # Mei, their manager: the team's (Tom's and Sara's), never Ken's of team South.
    _, rows = await export(bot, team.manager, "customers")
    names = {row[1] for row in rows[1:]}
    assert names == {"Acme Machinery", "Brightway Trading"}
    _, rows = await export(bot, team.manager, "deals")
    assert [row[1] for row in rows[1:]] == ["Acme Machinery"]
    # Ken sees only his own; the admin sees everyone's.
    _, rows = await export(bot, team.ken, "customers")
    assert [row[1] for row in rows[1:]] == ["Pacific Steel Works"]
    _, rows = await export(bot, team.admin, "payments")
    assert len(rows) == 2
    _, rows = await export(bot, team.admin, "orders")
    assert len(rows) == 3

    # A director sees every team's, and an empty export still has its header.
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5205, "Dora", team=None)
    _, rows = await export(bot, director, "customers")
    assert len(rows) == 4
    message, rows = await export(bot, director, "visits")
    assert len(rows) == 3 and rows[0][0] == "When" and message.text.startswith("📊 Visits")
    _, rows = await export(bot, director, "payments")
    assert len(rows) == 2  # Tom's one payment
    message, rows = await export(bot, team.ken, "payments")  # none: the header alone
    assert rows == [rows[0]] and rows[0][0] == "Order" and "0 rows" in message.text
    ken_visits = (await export(bot, team.ken, "visits"))[1]
    assert [row[4] for row in ken_visits[1:]] == ["Ken's"]

    # Someone without an invite gets the invite hint, and no file.
    stranger = emulator.user(5999, "Eve")
    answer = await bot.send(stranger, "/export customers")
    assert [m.kind for m in answer] == ["text"] and "invite" in answer[0].text


async def test_the_button_list_the_reader_language_and_refusals(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    add_customer(db, team.ken, "Pacific Steel Works")
    answer = await bot.send(team.tom, "/export")
    assert "What do you want as an Excel file?" in answer[0].text
    assert answer[0].button_texts() == [
        "👥 Customers",
        "👤 Contacts",
        "💼 Deals",
        "🚗 Visits and calls",
        "📦 Orders",
        "💰 Payments",
    ]
    sent = await bot.press(team.tom, "👥 Customers")
    assert len(sent) == 1 and [row[1] for row in sheet_of(sent[0])[1:]] == ["Acme Machinery"]
    assert "I can't export “bananas”." in texts(await bot.send(team.tom, "/export bananas"))
    # A forged button for something that is not an export is refused like any stale button.
    before = len(team.tom.messages)
    await bot.settle(await team.tom.press_data("exp:secrets", answer[0]))
    assert team.tom.callback_answers[-1]["text"] == "You can't do that with your role."
    assert len(team.tom.messages) == before

    # A rep whose Telegram speaks Chinese gets Chinese headers and a Chinese caption.
    code = await invite(bot, team.admin, Role.REP, "North")
    wang = emulator.user(5210, "伟", last_name="王", language_code="zh-hans")
    await join(bot, wang, code)
    add_customer(db, wang, "上海宏达机电有限公司", phone="13800138000")
    message, rows = await export(bot, wang, "客户")
    assert rows[0][:3] == ("客户编号", "客户", "负责人")
    assert [row[1] for row in rows[1:]] == ["上海宏达机电有限公司"]
    assert message.text.startswith("📊 客户：共 1 行")
