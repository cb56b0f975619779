"""``python main.py --console`` plays the first morning brief: started in the afternoon, no "Good
morning" that day; the next morning's comes at the brief time; one the console's clock jumps
past by less than two hours comes marked late."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_console

AFTERNOON_SCRIPT = """\
rep1
:time +0 15:00
:time +1 08:29
:later 1m
:time +1 09:45
:quit
"""


def test_a_console_started_in_the_afternoon_says_good_morning_only_the_next_morning(
    tmp_path: Path,
) -> None:
    out = run_console(tmp_path, AFTERNOON_SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai")
    afternoon, before_brief, at_brief, late = out.split("-- the clock says ")[1:]
    assert afternoon.split(" --")[0].endswith("15:00 CST")
    assert "Good morning" not in afternoon  # not at once, though 08:30 has passed today
    assert before_brief.split(" --")[0].endswith("08:29 CST")
    assert "Good morning" not in before_brief
    assert at_brief.split(" --")[0].endswith("08:30 CST")
    assert "bot> ☀️ Good morning, Tom Chen" in at_brief  # on time: no late note on top
    # A day later the clock jumps to 09:45: within two hours, so it comes, marked late.
    day = late.split(" --")[0].removesuffix(" 09:45 CST").rsplit(" ", 1)[0]  # "Mon 30 Nov"
    assert f"bot> ⏰ Late: this was due {day} 08:30.\n     ☀️ Good morning, Tom Chen" in late
    assert out.count("Good morning") == 2
