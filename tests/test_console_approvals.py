"""The console plays a terms request: the rep asks from the customer card, the manager and then
finance approve it from /approvals, and the rep reads the outcome and the timeline."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
4
acme
1
5
2
soon
60
Pays early, orders every month
:as manager
/approvals
1
1
:as finance
/approvals
1
1
/approvals
:as rep1
acme
1
3
:quit
"""


def test_console_asks_for_terms_and_the_manager_then_finance_approve(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    assert "[5] ⚙️ Ask for terms" in out
    assert "That is not a number of days" in out
    assert "📨 Asked for Acme Machinery: Payment terms: 30 days → 60 days." in out
    assert "8. Fay Huang (finance)" in out
    assert "[1] ⚙️ Acme Machinery · Tom Chen" in out
    assert "It goes on to finance." in out
    assert "Approved by Mei Lin (manager); finance decides now." in out
    assert "The customer's terms are changed." in out
    assert "✅ Nothing is waiting for your decision." in out
    assert "approved by Fay Huang: Payment terms: 30 days → 60 days applies now." in out
    assert "Owner: Tom Chen · terms 60 days" in out
    timeline = out.split("Acme Machinery: timeline")[1]
    assert "· Fay Huang\n     ⚙️ Payment terms: 30 days → 60 days approved by finance" in timeline
    assert "· Mei Lin\n     ⚙️ Payment terms: 30 days → 60 days approved by the manager" in timeline
