"""``python main.py --console`` as a person uses it: pick a demo person, chat, press buttons."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_process import ROOT, bot_env

SCRIPT = """\
4
/help
/customers
:as admin
/invite
9
1
:who
\\2
:quit
"""


def test_scripted_console_session(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--console", "--demo-db", "demo.db"],
        cwd=tmp_path,
        env=bot_env(tmp_path),
        input=SCRIPT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "demo database demo.db (new demo company)" in out
    assert "-- you are now Tom Chen (rep) --" in out
    assert "What you can do (as sales rep)" in out
    assert "/invite" not in out.split("-- you are now Alice Admin")[0]
    # Tom's customers only, Chinese names included.
    assert "Customers (6)" in out and "上海宏达机电有限公司" in out
    assert "Pacific Steel Works" not in out
    # The admin's invite: role buttons numbered, an unknown number refused, then a pick.
    assert "Whom are you inviting? Choose their role:" in out
    assert "[1] Sales rep" in out and "[4] Admin" in out
    assert "-- there is no button 9 --" in out
    assert "bot (edited)> Which team will the new sales rep be in?" in out
    assert "[1] East China" in out
    assert "rep1      Tom Chen (rep)" in out
    # "\\2" is sent as text, not a button press: the team question re-asks.
    assert out.rstrip().endswith("-- bye --")
    assert "Please choose with the buttons above, or send /cancel." in out
    assert (tmp_path / "demo.db").exists()


REP_SCRIPT = """\
rep1
/visit Acme: demo went well; next: send quote fri
1
/visit
1
2
called Li Na about the samples
1
1
tomorrow 3pm
1
/deal
1
20 CNC lathes
12k
1
1
1
/quote
1
lathe
1
1
4
4
:as manager
1
:as rep1
/today
:quit
"""


def test_console_rep_logs_visits_and_a_deal(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--console", "--demo-db", "demo.db"],
        cwd=tmp_path,
        env=bot_env(tmp_path, DEFAULT_TIMEZONE="Asia/Shanghai", DEFAULT_CURRENCY="CNY"),
        input=REP_SCRIPT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # Quick capture: one message, one tap.
    assert "bot (edited)> ✅ Saved: Visit · Acme Machinery\n     demo went well" in out
    # Step by step with a check-in from the reply keyboard.
    assert "[1] (📍 Share my location)\n     [2] (Skip)" in out
    assert "bot> 📍 Checked in." in out
    assert "✅ Saved: Call · Acme Machinery\n     called Li Na about the samples 📍" in out
    # The deal, in the company's currency.
    assert "Value: CNY 12,000.00 · 10% → CNY 1,200.00" in out
    assert "Buying: buying now" in out and "Source: referral" in out
    # A quote beyond the rep's limit, approved by the manager, the PDF back to the rep.
    assert "Needs your manager's approval." in out
    assert "📨 Sent for approval" in out
    assert "Tom Chen asks you to approve a quote for Acme Machinery" in out
    assert "✅ Approved by you: quote Q-2026-" in out
    assert "[document Q-20" in out and ".pdf," in out
    assert "Your day" in out or "Nothing due today" in out
