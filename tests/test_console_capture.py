"""``python main.py --console`` plays quick capture as people really send it: labels after a
comma, an unknown customer added from the capture, a full name picked at once, a voice note,
photo and location outside a flow, and a long note Telegram sends in parts."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select

from bot.db import Database
from models import Attachment, Customer, Touch
from tests.test_console import run_console

LONG_NOTE = "".join(f"Point {n}: the line runs three shifts. " for n in range(150))
LONG_CAPTURE = "/visit Acme Tools: " + "Audit of every spindle. " * 200 + "; next: call Wang"

SCRIPT = f"""\
rep1
/visit 宏达：演示很顺利，下一步：下周五发报价
1
/visit Jade Garden: met the chef, next: send samples mon
1
1
/newcustomer Acme Tools
1
1
/visit Acme Machinery: demo for the engineers
1
:voice
1
golden
1
1
1
Skip
1
1
1
:location 31.23 121.47
1
northstar
1
1
walked the store
1
1
1
/visit
northstar
1
3
:paste note.txt
Skip
1
1
1
{LONG_CAPTURE}
1
:photo their shelf
:quit
"""


def test_console_plays_quick_capture_as_typed(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text(LONG_NOTE + "\n")
    out = run_console(tmp_path, SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai")
    # A label after a full-width comma.
    assert "bot> Visit · 上海宏达机电有限公司\n     演示很顺利\n     Next: 发报价\n" in out
    # An unknown name: the flow ends with a button that adds it and keeps what was typed.
    assert '[1] ➕ Add "Jade Garden" as a new customer' in out
    assert "bot (edited)> ➕ New customer added: Jade Garden\n     Visit · Jade Garden" in out
    assert "✅ Saved: Visit · Jade Garden\n     met the chef\n     Next: send samples" in out
    # The full name is picked though "Acme Tools" shares a word.
    assert "Which customer did you mean" not in out
    assert "✅ Saved: Visit · Acme Machinery\n     demo for the engineers" in out
    # A voice note, a location and a photo outside a flow are offered as a visit.
    assert "bot> 🎙 Got your voice note." in out and "[1] 📝 Log a visit with this" in out
    assert "✅ Saved: Visit · Golden Harvest Foods\n     — 📎1" in out
    assert "bot> 📍 Got your location." in out
    assert "✅ Saved: Visit · Northstar Retail\n     walked the store 📍" in out
    assert "bot> 📷 Got your photo." in out
    assert "I'm not sure what to do with that" not in out
    # A long note (a file, or a line typed too long) arrives in parts and is joined.
    assert f"bot> ➕ Added to the note: {len(LONG_NOTE.strip()):,} characters in all." in out
    assert "✅ Saved: Meeting · Northstar Retail\n     Point 0:" in out
    assert "Next: call Wang" in out
    assert "Share your location with the 📍 button below" not in out

    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        with db.session() as session:
            rows = session.exec(
                select(Touch, Customer).join(Customer).order_by(col(Touch.id))
            ).all()
            logged = {customer.name: touch for touch, customer in rows}
            assert logged["Jade Garden"].next_step == "send samples"
            assert logged["上海宏达机电有限公司"].next_step == "发报价"
            assert logged["上海宏达机电有限公司"].follow_up_at is not None
            assert logged["Northstar Retail"].notes == LONG_NOTE.strip()
            assert logged["Acme Tools"].next_step == "call Wang"
            assert logged["Acme Tools"].notes == ("Audit of every spindle. " * 200).rstrip(" .")
            golden = logged["Golden Harvest Foods"]
            [attachment] = session.exec(
                select(Attachment).where(Attachment.touch_id == golden.id)
            ).all()
            assert attachment.kind == "voice"
    finally:
        db.dispose()


NEAR_SCRIPT = """\
rep1
acme machinery
1
8
next to the river
:location 31.2304 121.4737
/near
:location 31.2350 121.4737
:quit
"""


def test_console_sets_a_customers_place_and_lists_the_customers_near_me(tmp_path: Path) -> None:
    out = run_console(tmp_path, NEAR_SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai")
    assert "[8] 📍 Set location" in out
    assert "📍 Where is Acme Machinery?\n     Send it as a location" in out
    assert "I need a location for Acme Machinery" in out
    assert "📍 Saved as the place of Acme Machinery." in out
    assert "📍 Where are you?" in out and "(📍 Share my location)" in out
    assert "1. Acme Machinery" in out and "0.5 km" in out
    assert "[location 31.2304, 121.4737] Acme Machinery · 0.5 km from you" in out
