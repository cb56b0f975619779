"""The console plays /settings: an admin lowers the rep's maximum discount in 🏢 Company
settings (nonsense asked again), and a manager chooses her own digest time (one outside the
admin's window asked again)."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
4
:as admin
/settings
3
3
lots
5
:as manager
/settings
4
15:00
17:00
/settings
:quit
"""


def test_console_company_settings_and_an_own_digest_time(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    admin = out.split("-- you are now Alice Admin (admin) --")[1].split("-- you are now")[0]
    assert "[3] 🏢 Company settings" in admin
    assert "Contact quiet hours: 21:00-08:00\n" in admin
    assert "“lots” does not fit. Send a percentage from 0 to 100" in admin
    saved = admin.split("✅ Maximum discount: rep: 5%")[1]
    assert "Maximum discount: rep: 5% (default 10%)\n" in saved
    assert "Maximum discount: manager: 20%\n" in saved
    manager = out.split("-- you are now Mei Lin (manager) --")[1]
    assert "Digest: 18:00 (the company's)\n" in manager
    assert "[3] ⏰ Brief time" in manager and "[4] 📊 Digest time" in manager
    assert "🏢" not in manager
    assert "15:00 is outside the hours your admin allows for the digest" in manager
    assert "✅ Your digest comes at 17:00 your time from now on." in manager
    assert "Digest: 17:00 (your own)\n" in manager
