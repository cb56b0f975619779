"""The console plays an admin's set-up: /pipeline renames a stage (everyone then sees the new
name), and /templates refuses a broken birthday greeting with its error, previews a good one on
the sample contact and saves it."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
4
:as admin
/pipeline
3
1
Proposal sent
/templates
1
1
Happy birthday {{ nosuch }}
Happy birthday, <b>{{ contact.name }}</b>! From {{ rep_name }}.
1
:as rep1
/funnel
:quit
"""


def test_console_pipeline_and_templates(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT)
    admin = out.split("-- you are now Alice Admin (admin) --")[1].split("-- you are now")[0]
    assert "[3] Quoted · 50%" in admin
    assert "What should Quoted be called?" in admin
    assert "✅ Saved." in admin and "Stage Proposal sent (quoted), named by an admin" in admin
    assert "[1] 🎂 Birthday greeting · English" in admin
    assert "❌ Not saved: it uses a value there is none of" in admin
    assert "Happy birthday, Li Na! From Tom Chen." in admin
    assert "✅ Saved: contacts who read English get your birthday greeting" in admin
    rep = out.split("-- you are now Tom Chen (rep) --")[-1]
    assert "Proposal sent" in rep and "Quoted" not in rep
