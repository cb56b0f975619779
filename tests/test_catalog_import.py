"""End to end: /import products with a CSV of 100 rows (3 bad) and an XLSX file: the preview
lists exactly the bad rows, nothing is written before the confirming tap, then all at once."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from sqlmodel import func, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Product
from tests.flows import admin_of, sales_team, texts

BAD_ROWS = {10: "abc", 50: None, 77: "12.345"}  # row number in the file → bad price / no SKU

BAD_PRICE = "list price is not an amount above 0 with at most 2 decimals, up to 999,999,999,999.99"


def price_list_csv() -> bytes:
    lines = ["SKU,Name,Unit,List price,Currency,Floor price"]
    for number in range(2, 102):  # file rows 2..101: 100 products
        sku = "" if BAD_ROWS.get(number, "x") is None else f"CNC-{number:03d}"
        price = BAD_ROWS.get(number) or f"{1000 + number}.50"
        lines.append(f'{sku},"Lathe, model {number}",pc,{price},CNY,{900 + number}')
    return ("\n".join(lines) + "\n").encode()


def product_count(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(Product)).one()


async def test_csv_import_previews_bad_rows_and_imports_after_confirming(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    with db.session() as session:
        session.add(
            Product(
                sku="CNC-002", name="Old name", unit="pc", list_price=Decimal("1"), currency="CNY"
            )
        )
    assert "Send the price list as a .csv or .xlsx file" in texts(
        await bot.send(admin, "/import products")
    )
    await bot.settle(await admin.send_document("prices.csv", price_list_csv(), "text/csv"))

    preview = admin.last()
    assert "➕ 96 new products" in preview.text and "✏️ 1 to update" in preview.text
    assert "⚠️ 3 bad rows, left out:" in preview.text
    assert f"• row 10: {BAD_PRICE} (abc)" in preview.text
    assert "• row 50: no SKU" in preview.text
    assert f"• row 77: {BAD_PRICE} (12.345)" in preview.text
    assert preview.text.count("• row") == 3
    assert preview.button_texts() == ["✅ Import 97 rows"]
    assert product_count(db) == 1  # nothing written yet

    await bot.press(admin, "✅ Import 97 rows")
    assert admin.last().text == "✅ Imported: 96 added, 1 updated, 3 bad rows left out."
    assert product_count(db) == 97
    with db.session() as session:
        updated = session.exec(select(Product).where(Product.sku == "CNC-002")).one()
        lathe = session.exec(select(Product).where(Product.sku == "CNC-101")).one()
    assert updated.name == "Lathe, model 2" and updated.list_price == Decimal("1002.50")
    assert lathe.floor_price == Decimal("1001.00") and lathe.currency == "CNY"

    # The same file again changes nothing.
    await bot.send(admin, "/import products")
    await bot.settle(await admin.send_document("prices.csv", price_list_csv(), "text/csv"))
    assert "97 unchanged" in admin.last().text


async def test_xlsx_import_with_discount_column(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "name", "unit", "list_price", "currency", "max discount %"])
    sheet.append(["SP-1", "Spindle 主轴", "pc", 2400, "CNY", 15])
    sheet.append(["SP-2", "Chuck", "set", "1,200.50", "", "150"])
    sheet.append(["SP-1", "Spindle again", "pc", 2500, "CNY", 10])
    buffer = io.BytesIO()
    book.save(buffer)
    await bot.send(admin, "/import products")
    await bot.settle(await admin.send_document("prices.xlsx", buffer.getvalue()))

    preview = admin.last().text
    assert "➕ 1 new product" in preview
    assert "• row 3: maximum discount is not a percentage from 0 to 100 (150)" in preview
    assert "• row 4: same SKU as row (2)" in preview
    await bot.press(admin, "✅ Import 1 row")
    with db.session() as session:
        spindle = session.exec(select(Product)).one()
    assert spindle.name == "Spindle 主轴" and spindle.max_discount_pct == Decimal("15.00")


async def test_import_refuses_wrong_files_and_non_admins(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    assert (
        texts(await bot.send(team.tom, "/import products")) == "You can't do that with your role."
    )
    assert "For the product catalog send /import products" in texts(
        await bot.send(team.admin, "/import")
    )
    await bot.send(team.admin, "/import products")
    assert "Send the price list" in texts(await bot.send(team.admin, "here it comes"))
    await bot.settle(await team.admin.send_document("prices.pdf", b"%PDF-1.4"))
    assert team.admin.last().text.startswith("I can read .csv and .xlsx files only")
    await bot.settle(await team.admin.send_document("prices.csv", b"name,cost\nA,1\n"))
    assert "missing: sku, unit, list price" in team.admin.last().text
    await bot.settle(await team.admin.send_document("prices.xlsx", b"not a workbook"))
    assert team.admin.last().text.startswith("I couldn't open that file")
    await bot.send(team.admin, "/cancel")
    assert product_count(db) == 0


async def test_one_product_added_then_changed_with_the_same_checks(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    assert "Add or change one product in one line" in texts(await bot.send(admin, "/product"))
    refused = await bot.send(admin, "/product CNC-200, CNC lathe 200, pc, 12.345, CNY")
    assert f"⚠️ {BAD_PRICE} (12.345)" in refused[0].text
    assert product_count(db) == 0
    preview = await bot.send(admin, "/product CNC-200, CNC lathe 200, pc, 1500, CNY, 1300")
    assert preview[0].text == (
        "➕ New product CNC-200: CNC lathe 200 · CNY 1,500.00 per pc · floor CNY 1,300.00"
    )
    assert product_count(db) == 0
    await bot.press(admin, "✅ Save")
    assert admin.last().text == "✅ Imported: 1 added, 0 updated."
    await bot.send(admin, "/product CNC-200; CNC lathe 200 (2027); pc; 1450; CNY; 1300; 10")
    assert "✏️ Change CNC-200 to: CNC lathe 200 (2027) · CNY 1,450.00" in admin.last().text
    await bot.press(admin, "✅ Save")
    with db.session() as session:
        lathe = session.exec(select(Product)).one()
    assert lathe.list_price == Decimal("1450.00") and lathe.max_discount_pct == Decimal("10.00")
    assert "nothing to change" in texts(
        await bot.send(admin, "/product CNC-200; CNC lathe 200 (2027); pc; 1450; CNY; 1300; 10")
    )


async def test_hostile_cells_are_bad_rows_with_their_reason(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """A NUL name, a price beyond what an amount column holds and a SKU twice in one file are
    bad rows with their reason; control characters never reach a stored name."""
    admin = await admin_of(bot, emulator)
    rows = [
        "sku,name,unit,list price,currency",
        "N-1,\x00,pc,10,CNY",
        "N-2,Drill\x07 bit\x00 set,pc,12.50,CNY",
        "N-3,Huge,pc,99999999999999999999,CNY",
        "N-4,Just fits,pc,999999999999.99,CNY",
        "N-5,Too big,pc,1000000000000,CNY",
        "N-2,Drill again,pc,13,CNY",
    ]
    await bot.send(admin, "/import products")
    await bot.settle(await admin.send_document("hostile.csv", "\n".join(rows).encode(), "text/csv"))
    preview = admin.last().text
    price = BAD_PRICE
    assert "• row 2: no name" in preview
    assert f"• row 4: {price} (99999999999999999999)" in preview
    assert f"• row 6: {price} (1000000000000)" in preview
    assert "• row 7: same SKU as row (3)" in preview
    assert preview.count("• row") == 4
    await bot.press(admin, "✅ Import 2 rows")
    with db.session() as session:
        stored = {p.sku: (p.name, p.list_price) for p in session.exec(select(Product))}
    assert stored == {
        "N-2": ("Drill bit set", Decimal("12.50")),
        "N-4": ("Just fits", Decimal("999999999999.99")),
    }


async def test_csv_in_legacy_encodings_reads_as_written_or_is_refused(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Excel's CSV from a Western Windows (Windows-1252), a Chinese one (GBK) and its
    "Unicode Text" (UTF-16, tab-separated) read as the text that was typed; a binary file or
    text already mangled (�) is refused with the reason."""
    admin = await admin_of(bot, emulator)
    header = "sku,name,unit,list price,currency\n"
    files = {
        "western.csv": (header + "W-1,Café crème Müller,pc,12.50,EUR\n").encode("cp1252"),
        "chinese.csv": (header + "C-1,数控车床,台,1500,CNY\n").encode("gbk"),
        "unicode.csv": (header + "U-1,Spindle 主轴 ü,pc,9,EUR\n")
        .replace(",", "\t")
        .encode("utf-16"),
    }
    for name, content in files.items():
        await bot.send(admin, "/import products")
        await bot.settle(await admin.send_document(name, content, "text/csv"))
        assert "➕ 1 new product" in admin.last().text, name
        await bot.press(admin, "✅ Import 1 row")
    with db.session() as session:
        names = {p.sku: p.name for p in session.exec(select(Product))}
    assert names == {"W-1": "Café crème Müller", "C-1": "数控车床", "U-1": "Spindle 主轴 ü"}

    encoding = "I couldn't tell how the text in that file is written (its encoding)"
    for content, answer in (
        (bytes(range(256)) * 8, "I couldn't open that file"),
        ((header + "X-1,caf\ufffd,pc,1,EUR\n").encode(), encoding),
    ):
        await bot.send(admin, "/import products")
        await bot.settle(await admin.send_document("odd.csv", content, "text/csv"))
        assert admin.last().text.startswith(answer), content[:20]
        await bot.send(admin, "/cancel")
    assert product_count(db) == 3


async def test_one_product_with_an_impossible_number_is_refused_with_the_reason(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    price = BAD_PRICE
    for value in ("1e309", "NaN", "inf", "-1", "99999999999999999999"):
        answer = texts(await bot.send(admin, f"/product CNC-1, Lathe, pc, {value}, CNY"))
        assert f"⚠️ {price} ({value})" in answer, value
    discount = "maximum discount is not a percentage from 0 to 100"
    for value in ("1e309", "NaN", "sNaN", "inf", "-Infinity"):
        answer = texts(await bot.send(admin, f"/product CNC-1, Lathe, pc, 100, CNY, 90, {value}"))
        assert f"⚠️ {discount} ({value})" in answer, value
    assert product_count(db) == 0
