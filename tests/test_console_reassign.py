"""The console plays /reassign: the manager moves two of Tom's customers to Sara (nonsense
re-asked), Sara reads what she received and the move on the timeline, a rep is refused."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
3
/reassign
2
2
2
1
5
7
1
:as rep2
1
3
:as rep1
/reassign
:as manager
/reassign
Tom please
:quit
"""


def test_console_reassigns_chosen_customers_and_the_receiver_is_told(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    assert "[2] Tom Chen · Sales rep · 6 customers" in out
    assert "Who receives Tom Chen's customers?" in out
    assert "[7] Done (2 chosen)" in out
    assert "🔁 Tom Chen → Sara Wu\n     The chosen customers move" in out
    assert "• Customers: 2\n" in out
    assert "✅ Moved from Tom Chen to Sara Wu: 2 customers" in out
    received = out.split("-- you are now Sara Wu (rep) --")[1]
    assert received.startswith("\nbot> 📥 Mei Lin handed you Tom Chen's customers")
    assert "They are: Acme Machinery, 上海宏达机电有限公司." in received
    assert "Owner: Sara Wu" in received
    assert "· Mei Lin\n     🔁 Owner: Tom Chen → Sara Wu" in received
    rep = out.split("-- you are now Tom Chen (rep) --")[1]
    assert "Moving customers from one rep to another is for managers" in rep
    # The rest of Tom's customers are still his: four left, then text instead of a button.
    again = out.split("-- you are now Mei Lin (manager) --")[-1]
    assert "[2] Tom Chen · Sales rep · 4 customers" in again
    assert "Please choose with the buttons above, or send /cancel." in again
