"""The console plays /import customers from a file (:file) as the manager, with a merge, a new
customer and a refused row, then /export customers as an XLSX document."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

from tests.test_console import run_console

CARDS = (
    "公司,电话,联系人,负责人,网址\n"
    "Acme Machinery,+86 21 5555 0101,Wang Fang,Tom Chen,acme.example\n"
    "Lotus Pumps,+86 20 8888 0001,Ma Lin,Sara Wu,\n"
    ",,,,\n"
    "Ghost Co,,,Nobody,\n"
)

SCRIPT = """\
3
/import customers
:file {cards}
1
/export customers
:as rep2
lotus
:quit
"""


def test_console_imports_customers_from_a_file_and_exports_them(tmp_path: Path) -> None:
    cards = tmp_path / "cards.xlsx"
    book = Workbook()
    for line in CARDS.splitlines():
        book.active.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    cards.write_bytes(buffer.getvalue())
    out = run_console(tmp_path, SCRIPT.format(cards=cards))
    assert "-- you are now Mei Lin (manager) --" in out
    assert "Send the customer list as a .csv or .xlsx file." in out
    assert "➕ 1 new customer: Lotus Pumps" in out
    assert "• row 2 → Acme Machinery: new contact Wang Fang" in out
    assert "• row 5: owner is not a rep or manager of your team (Nobody)" in out
    assert "Columns ignored: 网址" in out
    assert "[1] ✅ Import" in out and "[2] ✖ Cancel" in out
    assert "✅ Imported: 1 new customer, 1 merged into existing ones, 1 bad row left out." in out
    assert "[document customers-" in out and "📊 Customers:" in out
    assert "Lotus Pumps" in out.split("-- you are now Sara Wu (rep) --")[1]
