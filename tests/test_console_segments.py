"""The console plays /segments: an admin computes the tiers again, a rep sees their own
customers per tier and lifecycle stage, lists tier A and opens a card that says which tier
applies; a manager sees the team's; nonsense after the command is explained."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
4
:as admin
/segments recompute
:as rep1
/segments
1
1
:as manager
/segments
/segments nonsense
:quit
"""


def test_console_segments_counts_lists_and_the_card(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    admin = out.split("-- you are now Alice Admin (admin) --")[1]
    assert "✅ Tiers, RFM scores and lifecycle stages computed again for every customer." in admin
    assert "Segments · 15 customers\n" in admin and "• Prospects: 15" in admin
    rep = out.split("-- you are now Tom Chen (rep) --")[-1]
    assert "Segments · 6 customers (your own)" in rep
    assert "[1] Tier A (2)" in rep and "[4] 🌱 Prospects (6)" in rep
    assert "Tier A (2):\n     • Acme Machinery [A] · prospect" in rep
    assert "[3] ◀ Segments" in rep
    assert "Acme Machinery · tier A (set by hand; computed C) · Manufacturing" in rep
    assert "Buyer stage: prospect\n" in rep
    manager = out.split("-- you are now Mei Lin (manager) --")[1]
    assert "Segments · 15 customers\n" in manager and "(your own)" not in manager
    assert "I didn't understand that. Send /segments to see your customers" in manager
    assert "/segments recompute" not in manager
