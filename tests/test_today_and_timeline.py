"""End to end: /today (follow-ups due and overdue, late deals, birthdays, all in the rep's time
zone) and a customer's timeline, newest first, paged, with who wrote each entry."""

from __future__ import annotations

from datetime import timedelta

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from tests.conftest import FakeClock
from tests.flows import add_customer, sales_team, texts
from tests.test_deals import create_deal


async def test_my_day_lists_what_is_due_each_as_a_button(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", phone="+86 138 0000 0101")
    add_customer(db, team.tom, "Brightway Logistics")
    add_customer(db, team.tom, "Golden Harvest Foods", contact="Chen Jie", birthday=(11, 26))
    add_customer(db, team.sara, "Pacific Steel Works", contact="Sun Hui", birthday=(11, 26))
    assert texts(await bot.send(team.tom, "/today")).startswith("Nothing due today (Wed 25 Nov)")

    # Logged on the 25th (17:00 in Shanghai): one follow-up for the 26th 10:00, one for the 27th.
    await bot.send(team.tom, "/visit Acme Machinery: demo; next: quote tomorrow 10am")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.tom, "/visit Brightway: call; next: samples in 2 days")
    await bot.press(team.tom, "✅ Save")
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "12k", close="tomorrow")

    clock.advance(timedelta(days=1, hours=2))  # the 26th, 19:00 in Shanghai
    day = (await bot.send(team.tom, "/today"))[0]
    assert "Your day, Thu 26 Nov" in day.text
    assert "Follow-ups (1, 1 overdue)" in day.text
    assert "⚠️ Acme Machinery: quote · Thu 26 Nov 2026, 10:00" in day.text
    assert "Brightway" not in day.text  # due tomorrow
    assert "Birthdays today\n🎂 Chen Jie (Golden Harvest Foods)" in day.text
    assert "Sun Hui" not in day.text  # Sara's customer
    assert day.button_texts() == ["⚠️ Acme Machinery: quote", "🎂 Chen Jie · Golden Harvest Foods"]

    clock.advance(timedelta(days=1))  # the 27th: the deal's close date has passed
    day = (await bot.send(team.tom, "/today"))[0]
    assert "Follow-ups (2, 1 overdue)" in day.text
    assert "Deals past their close date\n• Lathes · Acme Machinery · 26 Nov" in day.text
    assert "⏰ Lathes · Acme Machinery" in day.button_texts()
    await bot.press(team.tom, "⏰ Lathes · Acme Machinery")
    assert "💼 Lathes" in team.tom.last().text

    # Logging a new touch on Acme closes its open follow-up.
    await bot.send(team.tom, "/visit Acme Machinery: sent the quote")
    await bot.press(team.tom, "✅ Save")
    assert "Follow-ups (1)" in texts(await bot.send(team.tom, "/today"))


async def test_timeline_is_newest_first_paged_and_signed(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    for number in range(1, 7):
        await bot.send(team.tom, f"/visit Acme Machinery: call number {number}")
        await bot.press(team.tom, "✅ Save")
        clock.advance(timedelta(hours=1))
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "12k")
    await bot.press(team.tom, "→ Quoted")
    await bot.send(team.manager, "acme")
    await bot.press(team.manager, "Acme Machinery")
    await bot.press(team.manager, "🕘 Timeline")

    first = team.manager.last()
    assert first.text.startswith("Acme Machinery: timeline")
    lines = first.text
    assert lines.index("“Lathes”: Lead → Quoted") < lines.index("New deal “Lathes” (Lead)")
    assert lines.index("New deal “Lathes”") < lines.index("Visit: call number 6")
    assert "· Tom" in lines and "Visit: call number 6" in lines and "number 3" not in lines
    assert first.button_texts() == ["Older ▶", "◀ Customer"]
    await bot.press(team.manager, "Older ▶")
    second = team.manager.last()
    assert "page 2" in second.text and "Visit: call number 3" in second.text
    assert "Visit: call number 1" in second.text and "number 4" not in second.text
    assert second.button_texts() == ["◀ Newer", "◀ Customer"]
    await bot.press(team.manager, "◀ Newer")
    assert "Visit: call number 4" in team.manager.last().text
