"""End to end: /import customers with a trade show's business cards typed into a sheet (blank
lines, stray and full-width spaces, the same company twice): the preview lists new customers,
merges into existing ones field by field with the conflicts kept, bad rows with their number
and reason, ignored columns; nothing is written before the confirming tap, then all at once,
with a line on each customer's timeline. Chinese headers in an XLSX file from a manager (whose
rows stay in their team), nonsense files, and the roles that may not import."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from sqlmodel import col, func, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.rendering import Renderer
from bot.services.customer_import import preview_customer_import
from bot.services.tables import read_table
from models import ChangeEntry, Contact, Customer, Role, User
from tests.flows import actor_of, add_customer, register, sales_team, texts, user_row

CARDS_CSV = (
    "Name ,Phone,Contact,Role,Industry,Address,Birthday,Tier,Owner,Notes,Fax\n"  # row 1
    "ACME Machinery,+86 21 5555 0101,Wang Wei,Buyer,Machinery,New address,12 May,A,Tom,"
    "met at booth 12,021-1234\n"  # 2: matches Acme Machinery (same phone)
    ",,,,,,,,,,\n"  # 3: blank
    "  Golden Harvest Foods  ,＋８６　１３６　００００　０１０４,Chen Jie,,Food,,5月3日,,Sara,,\n"
    "Golden Harvest Foods,+86 136 0000 0104,Chen Jie,CEO,,Shanghai,,B,,,\n"  # 5: row 4 again
    ",+86 139 0000 0000,Nobody,,,,,,,,\n"  # 6: no name
    "Bad Birthday Co,,Zhao Lei,,,,31 Feb,,,,\n"  # 7
    "Unknown Owner Ltd,,,,,,,,Nobody Here,,\n"  # 8
    "Bad Phone Ltd,call me,,,,,,,,,\n"  # 9
).encode()


def customer_count(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(Customer)).one()


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_import_merges_a_duplicate_and_refuses_bad_rows(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    with db.session() as session:
        existing = session.get(Customer, acme)
        assert existing is not None
        existing.address = "Old address"
    admin = team.admin
    assert "Send the customer list as a .csv or .xlsx file" in texts(
        await bot.send(admin, "/import customers")
    )
    await bot.settle(await admin.send_document("customers.csv", CARDS_CSV, "text/csv"))

    preview = admin.last().text
    assert "➕ 1 new customer: Golden Harvest Foods" in preview
    assert "🔗 1 matching a customer you have, merged field by field:" in preview
    assert "• row 2 → Acme Machinery: Industry, Tier, Notes filled; new contact Wang Wei" in preview
    assert "♻️ 1 row repeats a customer of an earlier row: merged into it" in preview
    assert "• row 2, Acme Machinery · Address: keeps Old address, not New address" in preview
    assert "⚠️ 4 bad rows, left out:" in preview
    assert "• row 6: no customer name" in preview
    assert "• row 7: not a birthday (31 Feb)" in preview
    assert "• row 8: no rep or manager of that name or username (Nobody Here)" in preview
    assert "• row 9: not a phone number (call me)" in preview
    assert preview.count("• row") == 6  # one merge, one conflict, four bad rows
    assert "Columns ignored: Fax" in preview
    assert admin.last().button_texts() == ["✅ Import", "✖ Cancel"]
    assert customer_count(db) == 1  # nothing written yet

    await bot.press(admin, "✅ Import")
    assert admin.last().text == (
        "✅ Imported: 1 new customer, 1 merged into existing ones, 4 bad rows left out."
    )
    with db.session() as session:
        assert session.exec(select(func.count()).select_from(Customer)).one() == 2
        golden = session.exec(select(Customer).where(Customer.name == "Golden Harvest Foods")).one()
        sara = user_row(db, team.sara.id)
        assert sara is not None and golden.owner_id == sara.id
        assert (golden.phone, golden.address, golden.tier, golden.industry) == (
            "+86 136 0000 0104",
            "Shanghai",
            "B",
            "Food",
        )
        chen = session.exec(select(Contact).where(Contact.customer_id == golden.id)).one()
        assert (chen.title, chen.birth_month, chen.birth_day) == ("CEO", 5, 3)
        merged = session.get(Customer, acme)
        assert merged is not None
        assert (merged.address, merged.industry, merged.tier, merged.notes) == (
            "Old address",
            "Machinery",
            "A",
            "met at booth 12",
        )
        people = session.exec(
            select(Contact).where(Contact.customer_id == acme).order_by(col(Contact.id))
        ).all()
        assert [(p.name, p.title, p.birth_month, p.birth_day) for p in people] == [
            ("Li Na", None, None, None),
            ("Wang Wei", "Buyer", 5, 12),
        ]
        admin_row = user_row(db, admin.id)
        assert admin_row is not None
        lines = session.exec(
            select(ChangeEntry.record_id, ChangeEntry.field, ChangeEntry.changed_by_id).where(
                col(ChangeEntry.field).in_(["imported", "merged"])
            )
        ).all()
        assert sorted(lines) == sorted(
            [(str(golden.id), "imported", admin_row.id), (str(acme), "merged", admin_row.id)]
        )

    # The same file again: nothing new, the conflict still shown, no button.
    await bot.send(admin, "/import customers")
    await bot.settle(await admin.send_document("customers.csv", CARDS_CSV, "text/csv"))
    again = admin.last()
    assert "➕ 0 new customers" in again.text and "🔗 0 matching" in again.text
    assert "= 2 matching customers have nothing new in the file" in again.text
    assert "keeps Old address, not New address" in again.text
    assert "Nothing to import." in again.text and again.button_texts() == []

    # Tom reads on Acme's timeline who merged what.
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🕘 Timeline")
    timeline = team.tom.last().text
    assert "Alice Admin\n📥 Merged with rows of customers.csv" in timeline
    assert "Industry: — → Machinery" in timeline and "👤 New contact: Wang Wei" in timeline


async def test_a_manager_imports_chinese_headers_from_xlsx_within_the_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.ken, "宏达机电", phone="13800138000")  # another team's: not visible
    with db.session() as session:
        sara = session.exec(select(User).where(User.telegram_id == team.sara.id)).one()
        sara.username = "sara_north"
    book = xlsx(
        [
            ["2026 广交会名片", None, None],  # a title line above the header
            ["客户名称", "电话", "联系人", "职务", "生日", "负责人", "备注", "网址"],
            ["宏达机电", 13800138000, "王伟", "采购经理", datetime(1985, 5, 12), "Tom", "展会名片"],
            [None, None, None, None, None, None, None, None],
            ["东方钢铁", "+86 21 6666 0000", "李娜", None, "5月12日", "@sara_north", None, None],
            ["南方重工", None, None, None, None, "Ken", None, None],
            ["北方机床", "12", None, None, None, None, None, None],
        ]
    )
    assert texts(await bot.send(team.tom, "/import customers")) == (
        "You can't do that with your role."
    )
    await bot.send(team.manager, "/import customers")
    await bot.settle(await team.manager.send_document("展会.xlsx", book))
    preview = team.manager.last().text
    assert "➕ 2 new customers: 宏达机电, 东方钢铁" in preview
    assert "🔗 0 matching a customer you have" in preview  # Ken's 宏达机电 is not Mei's to see
    assert "• row 6: owner is not a rep or manager of your team (Ken)" in preview
    assert "• row 7: not a phone number (12)" in preview
    assert "Columns ignored: 网址" in preview
    assert "A new customer without an owner in the file is yours (Mei)." in preview
    await bot.press(team.manager, "✅ Import")
    assert team.manager.last().text == (
        "✅ Imported: 2 new customers, 0 merged into existing ones, 2 bad rows left out."
    )
    with db.session() as session:
        rows = session.exec(
            select(Customer, User)
            .join(User, col(Customer.owner_id) == col(User.id))
            .order_by(col(Customer.id))
        ).all()
        assert [(c.name, c.phone, u.full_name) for c, u in rows] == [
            ("宏达机电", "13800138000", "Ken"),
            ("宏达机电", "13800138000", "Tom"),
            ("东方钢铁", "+86 21 6666 0000", "Sara"),
        ]
        wang = session.exec(select(Contact).where(Contact.name == "王伟")).one()
        assert (wang.title, wang.birth_year, wang.birth_month, wang.birth_day) == (
            "采购经理",
            1985,
            5,
            12,
        )
        assert rows[1][0].notes == "展会名片"
        li = session.exec(select(Contact).where(Contact.name == "李娜")).one()
        assert (li.birth_year, li.birth_month, li.birth_day) == (None, 5, 12)


async def test_nonsense_files_and_answers_are_refused_and_nothing_is_saved(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5205, "Dora", team=None)
    assert texts(await bot.send(director, "/import customers")) == (
        "You can't do that with your role."
    )
    assert "For a list of customers and their contacts send /import customers." in texts(
        await bot.send(team.manager, "/import")
    )
    admin = team.admin
    await bot.send(admin, "/import customers")
    assert "Send the customer list" in texts(await bot.send(admin, "here it comes"))
    binary = bytes(range(256)) * 8
    for filename, content, answer in [
        ("cards.csv", binary, "I couldn't read that file as a spreadsheet"),
        ("cards.xlsx", b"PK\x03\x04 not really a workbook", "I couldn't read that file"),
        ("cards.csv", b"", "That file has no customers in it."),
        ("cards.csv", b"name,phone\n\n,,\n", "That file has no customers in it."),
        ("cards.csv", b"company code,fax\nA1,123\n", "one of them the customer's name"),
        ("cards.pdf", b"%PDF-1.4", "I can read .csv and .xlsx files only."),
    ]:
        await bot.settle(await admin.send_document(filename, content))
        assert admin.last().text.startswith(answer) or answer in admin.last().text, filename
    # A good file at last; text instead of a button at the confirming step is re-asked.
    await bot.settle(await admin.send_document("cards.csv", b"name\nAcme Tools\n"))
    asked = admin.last()
    assert "➕ 1 new customer: Acme Tools" in asked.text
    assert texts(await bot.send(admin, "yes")) == (
        "Please choose with the buttons above, or send /cancel."
    )
    await bot.press(admin, "✖ Cancel", asked)
    assert asked.text == "✖ Import cancelled: nothing was saved." and asked.button_texts() == []
    assert customer_count(db) == 0
    # A file where nothing can be imported ends the flow without buttons.
    await bot.send(admin, "/import customers")
    await bot.settle(await admin.send_document("cards.csv", b"name,phone\n,123456\n"))
    assert "Nothing to import." in admin.last().text and admin.last().button_texts() == []
    assert customer_count(db) == 0


async def test_the_chinese_preview_renders_every_part(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    with db.session() as session:
        preview = preview_customer_import(
            session,
            actor_of(db, team.admin.id),
            read_table("名片.csv", CARDS_CSV, max_rows=100),
            now=datetime(2026, 11, 25),
        )
    text = Renderer().message(
        "zh", "customer_import/preview", preview=preview, me="Alice", changed=True
    )
    assert text.startswith("⚠️ 预览之后客户资料有变动")
    assert "➕ 新增客户 1 个：Golden Harvest Foods" in text
    assert "• 第 2 行 → Acme Machinery：补充行业、地址、客户类别、备注；新联系人 Wang Wei" in text
    assert "• 第 7 行：不是有效的生日（31 Feb）" in text
    assert "已忽略的列：Fax" in text


async def test_a_customer_added_after_the_preview_is_merged_only_after_a_second_look(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    await bot.send(team.manager, "/import customers")
    cards = "名称,电话,联系人\nLotus Pumps,020-8888-0001,Ma Lin\n".encode()
    await bot.settle(await team.manager.send_document("cards.csv", cards))
    preview = team.manager.last()
    assert "➕ 1 new customer: Lotus Pumps" in preview.text
    # Meanwhile Tom adds the same company (its phone written another way).
    add_customer(db, team.tom, "Lotus Pumps Co.", phone="+86 20 8888 0001")
    await bot.press(team.manager, "✅ Import", preview)
    assert preview.text.startswith("⚠️ Your customers changed since the preview")
    assert "➕ 0 new customers" in preview.text
    assert "• row 2 → Lotus Pumps Co.: new contact Ma Lin" in preview.text
    assert "⚖️" not in preview.text  # the same phone number, however written
    assert customer_count(db) == 1
    await bot.press(team.manager, "✅ Import", preview)
    assert preview.text == ("✅ Imported: 0 new customers, 1 merged into existing ones.")
    with db.session() as session:
        lotus = session.exec(select(Customer)).one()
        people = session.exec(select(Contact).where(Contact.customer_id == lotus.id)).all()
    assert lotus.phone == "+86 20 8888 0001" and [p.name for p in people] == ["Ma Lin"]


async def test_business_card_columns_name_the_person_and_the_company(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = (await sales_team(bot, emulator)).admin
    cards = (
        b"Name,Company,Title,Mobile,Tel,E-mail\n"
        b"Li Lei,Sunrise Valves,Sales director,139 1234 5678,0571-8888 1234,lilei@sunrise.cn\n"
        b"Han Meimei,Sunrise Valves Co.,Buyer,138 8765 4321,,han@sunrise.cn\n"
        b"Jim Green,Bluesky Pumps,,ext. 12,,\n"
        b"Lucy King,Redstone Mining,,,,lucy at redstone\n"
    )
    await bot.send(admin, "/import customers")
    await bot.settle(await admin.send_document("cards.csv", cards))
    preview = admin.last().text
    assert "➕ 1 new customer: Sunrise Valves" in preview
    assert "♻️ 1 row repeats a customer of an earlier row" in preview
    assert "⚖️" not in preview and "Columns ignored" not in preview
    assert "• row 4: not a phone number (ext. 12)" in preview
    assert "• row 5: not an e-mail address (lucy at redstone)" in preview
    await bot.press(admin, "✅ Import")
    with db.session() as session:
        sunrise = session.exec(select(Customer)).one()
        people = session.exec(select(Contact).order_by(col(Contact.id))).all()
    assert (sunrise.name, sunrise.phone) == ("Sunrise Valves", "0571-8888 1234")
    assert [(p.name, p.title, p.phone, p.email) for p in people] == [
        ("Li Lei", "Sales director", "139 1234 5678", "lilei@sunrise.cn"),
        ("Han Meimei", "Buyer", "138 8765 4321", "han@sunrise.cn"),
    ]
