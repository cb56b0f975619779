"""The calendar feed in ``python main.py --console``: the console serves the bot's pages on a
local port (PUBLIC_URL points there), so the link /calendar gives can be fetched with
``:fetch``, and it shows the follow-up just logged, in the person's zone, linking back."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_console import run_console

SCRIPT = """\
rep1
:fetch
/visit Acme: demo went well; next: send quote fri 3pm
1
/calendar
:fetch
/calendar
:as rep3
/calendar
:fetch
:quit
"""


def test_the_console_serves_the_calendar_feed(tmp_path: Path) -> None:
    out = run_console(tmp_path, SCRIPT, DEFAULT_TIMEZONE="Asia/Shanghai")
    served = "The bot's web pages (calendar feeds from /calendar) are served at http://127.0.0.1:"
    assert served in out
    tom, wang = out.split("-- 你现在是王伟")
    assert "-- no local link to fetch: send /calendar first" in tom  # before /calendar
    assert "bot> 📅 Your calendar link" in tom
    assert ".ics: 200 --\nBEGIN:VCALENDAR" in tom
    assert "X-WR-CALNAME:salesbot · Tom Chen" in tom
    assert "BEGIN:VTIMEZONE\nTZID:Asia/Shanghai" in tom
    # Friday at 15:00 where Tom is (the console's clock is the real one: no fixed date).
    assert re.search(
        r"SUMMARY:🔔 Acme Machinery: send quote\nDTSTART;TZID=Asia/Shanghai:\d{8}T150000\n", tom
    )
    assert "URL:https://t.me/salesbot_demo_bot?start=cus_" in tom
    assert "bot> 📅 You already have a calendar link" in tom
    # 王伟 uses Telegram in Chinese: his link and his feed's name are in Chinese; none of Tom's.
    assert "bot> 📅 你的日历链接" in wang
    assert "X-WR-CALNAME:销售助手 · 王伟" in wang
    assert "Acme Machinery" not in wang.split("你的日历链接")[1]
