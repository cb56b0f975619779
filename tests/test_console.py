"""``python main.py --console`` as a person uses it: pick a demo person, chat, press buttons."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_process import ROOT, bot_env

BAD_PRICE = "list price is not an amount above 0 with at most 2 decimals, up to 999,999,999,999.99"


def run_console(tmp_path: Path, script: str, **env: str) -> str:
    """Run ``main.py --console`` on a new demo database with ``script`` as its input."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--console", "--demo-db", "demo.db"],
        cwd=tmp_path,
        # The scripts move the console's clock themselves (:time, :later); no tick of its own.
        env=bot_env(tmp_path, **{"SCHEDULER_TICK_SECONDS": "3600", **env}),
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


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
    out = run_console(tmp_path, SCRIPT)
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
    out = run_console(
        tmp_path, REP_SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai", DEFAULT_CURRENCY="CNY"
    )
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


CONTACT_SCRIPT = """\
6
/myorders
/ticket
lathe noise
1
The lathe makes a grinding noise
Do you have spare belts?
:as rep1
1
Yes, two sets are on their way.
:as contact
/stop
:quit
"""


def test_console_customer_contact_opens_a_request_and_asks_the_rep(tmp_path: Path) -> None:
    out = run_console(
        tmp_path, CONTACT_SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai", DEFAULT_CURRENCY="CNY"
    )
    assert "6. Na Li (customer contact)" in out
    assert "-- you are now Na Li (customer contact) --" in out
    assert "There are no orders for Acme Machinery yet." in out  # only her own company
    # Text where a button is expected is re-asked; then the complaint is opened.
    assert "bot> Please choose with the buttons, or /cancel." in out
    assert "✅ Request #1 is open. Tom Chen has it and will get back to you within 24 hours." in out
    rep_side = out.split("-- you are now Tom Chen (rep) --")[1]
    assert "🛠 Li Na (Acme Machinery) opened request #1 — complaint:" in rep_side
    assert "The lathe makes a grinding noise" in rep_side
    assert "Li Na (Acme Machinery) asks:\n     Do you have spare belts?" in rep_side
    assert "Sent to Li Na." in rep_side
    contact_again = out.split("-- you are now Na Li (customer contact) --")[2]
    assert "💬 Tom Chen: Yes, two sets are on their way." in contact_again
    assert "no more messages from us" in contact_again


SALES_SCRIPT = """\
1
/import products
:file prices.csv
1
:as rep1
/deal
1
Gearboxes
3000
1
1
1
6
1
1
Dec 15
1
1
1
/pay
1
1000
1
/ticket
acme
1
2
Gearbox X1 leaks oil
:as contact
/myorders
:quit
"""


def test_console_import_order_payment_and_ticket(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text(
        "sku,name,unit,list price,currency,floor price\n"
        "GX-1,Gearbox X1,pc,1500.00,CNY,1200.00\n"
        "GX-2,Gearbox X2,pc,abc,CNY,\n"
    )
    out = run_console(
        tmp_path, SALES_SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai", DEFAULT_CURRENCY="CNY"
    )
    # The admin's import: a preview with the bad row, then one tap.
    assert "➕ 1 new product\n" in out and "⚠️ 1 bad row, left out:" in out
    assert f"• row 3: {BAD_PRICE} (abc)" in out
    assert "✅ Imported: 1 added, 0 updated, 1 bad row left out." in out
    # The rep wins a deal without a quote, confirms its value, makes the order and logs a
    # partial payment.
    assert "the order bills the deal's value: CNY 3,000.00" in out
    assert "[1] ✅ Bill CNY 3,000.00\n     [2] ✖ Cancel, no order" in out
    assert "📦 Order O-2026-00001 · Acme Machinery" in out
    assert "Total CNY 3,000.00 · paid CNY 1,000.00 · due CNY 2,000.00" in out
    # A repair request on the customer, due by its kind (72 hours), assigned to the rep.
    assert "🛠 Repair #1 · Acme Machinery\n     Gearbox X1 leaks oil\n\n     Status: open" in out
    # The customer's contact sees her company's order and what is due.
    contact_side = out.split("-- you are now Na Li (customer contact) --")[1]
    assert "Orders of Acme Machinery" in contact_side and "O-2026-00001" in contact_side
    assert "due CNY 2,000.00" in contact_side


REMINDER_SCRIPT = """\
rep1
/visit Acme: demo went well; next: call back in 3 days at 9am
1
:time +3 08:00
:time +0 09:00
2
:later 1h
:quit
"""


def test_console_time_passes_and_reminders_arrive(tmp_path: Path) -> None:
    out = run_console(tmp_path, REMINDER_SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai")
    before, after = out.split("-- the clock says ", 2)[1:]
    assert before.startswith(
        tuple(f"{day} " for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
    )
    assert "08:00 CST --" in before.splitlines()[0]
    assert "🔔" not in before and "☀️" not in before  # nothing due at 08:00 yet
    assert "☀️ Good morning, Tom Chen" in after
    reminder = after.split("bot> 🔔 Follow up: Acme Machinery\n")[1]
    assert reminder.startswith("     call back\n")
    # ⏰ 1 hour, then an hour later it comes again.
    assert "⏰ Moved: Acme Machinery — call back" in after
    assert after.count("bot> 🔔 Follow up: Acme Machinery") == 2
