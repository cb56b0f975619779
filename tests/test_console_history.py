"""The console plays a rep changing a customer's phone and reading the card's 📜 History."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
4
acme
1
6
2
+86 21 5555 0999
7
:quit
"""


def test_console_shows_a_customers_history(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    assert "[7] 📜 History" in out
    history = out.split("📜 Acme Machinery: history")[1]
    lines = history.splitlines()
    change = next(i for i, line in enumerate(lines) if "✏️ Phone:" in line)
    assert lines[change].strip() == "✏️ Phone: +86 21 5555 0101 → +86 21 5555 0999"
    assert lines[change - 1].strip().endswith("· Tom Chen")
    assert "➕ Created: Name Acme Machinery" in history
    assert "[1] ◀ Customer" in history
