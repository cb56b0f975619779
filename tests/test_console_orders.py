"""The console plays quote → accepted by the customer's contact → won → the order billing the
quote, on the demo company (Tom Chen's Acme Machinery, Li Na its linked contact)."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

QUOTE_TO_ORDER_SCRIPT = """\
rep1
/deal
1
Tool sets
12k
1
1
1
/quote
1
TL-SET
1
2
1
4
1
:as contact
1
/myorders
:as rep1
1
6
1
Dec 15
1
2
1
:as contact
/myorders
:quit
"""


def test_console_order_bills_the_quote_the_contact_accepted(tmp_path: Path) -> None:
    out = run_console(
        tmp_path, QUOTE_TO_ORDER_SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai", DEFAULT_CURRENCY="CNY"
    )
    # A deal worth 12k, quoted for two tool sets (CNY 4,800.00), sent to Li Na.
    assert "Value: CNY 12,000.00" in out
    assert "✅ Quote Q-2026-00001 issued: CNY 4,800.00" in out
    assert "📤 Quote Q-2026-00001 sent to Li Na." in out
    contact_side, rep_side, contact_again = out.split("-- you are now ")[2:5]
    # She accepts; her company has no order yet.
    assert contact_side.startswith("Na Li (customer contact) --")
    assert "Thank you! Tom Chen will prepare the contract" in contact_side
    assert "There are no orders for Acme Machinery yet." in contact_side
    # Tom is told, and the deal is now worth what she accepted.
    assert "✅ Li Na (Acme Machinery) accepted quote Q-2026-00001." in rep_side
    assert "The deal's value is now CNY 4,800.00 (was CNY 12,000.00)." in rep_side
    assert "Value: CNY 4,800.00 · 90%" in rep_side
    # Won → the order: the flow names the quote it bills, and the order carries its lines.
    assert "it bills quote Q-2026-00001, accepted by the customer, CNY 4,800.00." in rep_side
    assert "[1] ✅ One payment: CNY 4,800.00 due 14 Jan 2027" in rep_side
    assert "🧾 Bills quote Q-2026-00001:" in rep_side
    assert "1. Tool set 刀具套装 × 2 set @ CNY 2,400.00 = CNY 4,800.00" in rep_side
    assert "Total CNY 4,800.00 · paid CNY 0.00 · due CNY 4,800.00" in rep_side
    assert "Delivers: Tom Chen · collects: Mei Lin" in rep_side
    # Li Na's /myorders bills the quote, by its number.
    assert "📦 O-2026-00001 · Tool sets · quote Q-2026-00001" in contact_again
    assert "Total CNY 4,800.00 · paid CNY 0.00 · due CNY 4,800.00" in contact_again
    assert "12,000" not in contact_again
