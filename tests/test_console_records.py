"""The console plays editing a customer and its contacts, adding a contact with a birthday
typed as people type it, and a linked contact giving their own birthday with /birthday."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
4
acme
1
6
7
4
sometime
12 May
6
8
Wang Wei
1
+86 139 0000 0202
29 Feb
:as contact
/birthday
1990-06-03
:as rep1
acme
1
3
:quit
"""


def test_console_edits_a_contact_adds_one_and_the_contact_gives_a_birthday(
    tmp_path: Path,
) -> None:
    out = run_console(tmp_path, SCRIPT)
    assert "✏️ Acme Machinery: what do you want to change?" in out
    assert "[7] ✏️ Li Na" in out and "[8] ➕ Add contact" in out
    assert "I couldn't read that as a birthday." in out
    assert "✅ Li Na · Birthday: 14 Mar → 12 May" in out
    assert "✅ Wang Wei added as a contact of Acme Machinery." in out
    assert "• Wang Wei · +86 139 0000 0202 · 🎂 29 Feb" in out
    assert "When is your birthday?" in out
    assert "🎂 Thank you, Li Na: we have your birthday as 3 Jun 1990." in out
    timeline = out.split("Acme Machinery: timeline")[1]
    assert "· Li Na (customer)\n     ✏️ Li Na · Birthday: 12 May → 3 Jun 1990" in timeline
    assert "· Tom Chen\n     👤 New contact: Wang Wei" in timeline
