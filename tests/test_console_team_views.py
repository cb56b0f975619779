"""The console plays a rep's visit and deal, then the manager's /funnel (chart and numbers, a
stage's deals, a deal's card) and /team with a typed range, nonsense first."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
rep1
/visit Acme: demo went well
1
/deal
1
20 CNC lathes
12k
end of month
1
1
:as manager
/funnel
1
1
/team
3
someday
2026-11-01 to 2026-11-30
:as rep1
/team
:quit
"""


def test_console_manager_sees_funnel_and_team(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai", DEFAULT_CURRENCY="CNY")
    manager = out.split("-- you are now Mei Lin")[1]
    assert "[picture] 📈 Funnel · East China: open deals by stage in CNY" in manager
    assert "📈 Funnel · East China — this month, 1 Nov – 30 Nov 2026" in manager
    assert "• Lead (10%): 1 · CNY 12,000.00 · weighted CNY 1,200.00" in manager
    assert "Forecast (expected to close this month" in manager
    assert "[1] Lead (1)" in manager
    # The stage's deals, then the deal's card.
    assert "📈 Lead · East China: 1 open deal" in manager
    assert "[1] 20 CNC lathes · Acme Machinery" in manager
    assert "💼 20 CNC lathes" in manager
    # /team: a typed range, nonsense first.
    assert "👥 Team · East China — this week" in manager
    assert "Tom Chen\n     🚗 1 visit · 📞 0 calls · 💼 1 new deal" in manager
    assert 'I couldn\'t read "someday" as two days' in manager
    assert "👥 Team · East China — chosen days, 1 Nov – 30 Nov 2026" in manager
    rep = out.split("-- you are now Tom Chen")[-1]
    assert "You can't do that with your role." in rep
