"""The first morning brief, end to end through the emulator with an injected clock: someone who
joins in the afternoon gets no "Good morning" that day but the next morning's; a bot that starts
within two hours of the brief time sends it marked late, later than that it skips the day (the
outbox says why) and briefs the next morning. In each person's zone, across the clock change,
and with a brief time that falls in the staff's quiet hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlmodel import select

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import OutboxMessage, Role
from tests.conftest import FakeClock
from tests.flows import admin_of, register, sales_team, set_zone, texts, user_row

TOO_LATE = "too late: more than 2 h past its time"


def briefs(person: SimUser) -> list[str]:
    """The briefs a person received, with a late note on top if there was one."""
    return [m.text for m in person.messages if "☀️ Good morning" in m.text]


def brief_rows(db: Database, person: SimUser) -> list[tuple[str, str, bool, str | None]]:
    """(local day, state, late, reason) of each brief row written for ``person``."""
    row = user_row(db, person.id)
    assert row is not None
    with db.session() as session:
        found = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "brief", OutboxMessage.user_id == row.id)
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
        )
        return [(r.key.rsplit(":", 1)[1], r.state, r.late, r.reason) for r in found]


@asynccontextmanager
async def started_at(
    deps: Deps, emulator: BotAPIEmulator, clock: FakeClock, instant: datetime
) -> AsyncIterator[LocalBot]:
    """The bot (re)started at ``instant`` after being down: its first tick comes then."""
    clock.current = instant
    local = LocalBot(deps, emulator)
    await local.start()
    try:
        await local.tick()
        await local.tick()
        yield local
    finally:
        await local.stop()


async def test_a_rep_who_joins_at_1500_gets_no_brief_that_day_and_one_the_next_morning(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # Wed 15:00 in Shanghai
    admin = await admin_of(bot, emulator)
    tom = await register(bot, emulator, admin, Role.REP, 5202, "Tom")
    await bot.tick()
    await bot.tick()
    assert briefs(tom) == []
    assert brief_rows(db, tom) == [("2026-11-25", "skipped", False, TOO_LATE)]
    clock.current = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # midnight: a new day
    await bot.tick()
    clock.current = datetime(2026, 11, 26, 0, 29, tzinfo=UTC)
    await bot.tick()
    assert briefs(tom) == []
    clock.current = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # Thu 08:30 in Shanghai
    await bot.tick()
    await bot.tick()
    assert briefs(tom) == ["☀️ Good morning, Tom: nothing due today (Thu 26 Nov)."]
    assert brief_rows(db, tom) == [
        ("2026-11-25", "skipped", False, TOO_LATE),
        ("2026-11-26", "sent", False, None),
    ]


async def test_the_bot_starting_at_0945_sends_the_brief_marked_late(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, deps: Deps, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)  # Wed 17:00 in Shanghai; the bot stops at once
    await bot.stop()
    # Down through Thursday's 08:30; back at 09:45 in Shanghai, within two hours.
    async with started_at(deps, emulator, clock, datetime(2026, 11, 26, 1, 45, tzinfo=UTC)) as up:
        assert briefs(team.tom) == [
            "⏰ Late: this was due Thu 26 Nov 08:30.\n"
            "☀️ Good morning, Tom: nothing due today (Thu 26 Nov)."
        ]
        assert brief_rows(db, team.tom) == [("2026-11-26", "sent", True, None)]
        assert len(briefs(team.manager)) == len(briefs(team.sara)) == 1
        assert briefs(team.admin) == []
        clock.current = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
        await up.tick()
        assert len(briefs(team.tom)) == 1  # once
        clock.current = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # Friday, on time: no note
        await up.tick()
        assert briefs(team.tom)[1] == "☀️ Good morning, Tom: nothing due today (Fri 27 Nov)."
        assert brief_rows(db, team.tom)[1] == ("2026-11-27", "sent", False, None)


async def test_the_bot_starting_at_1100_skips_the_day_and_briefs_the_next_morning(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, deps: Deps, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    await bot.stop()
    # Back at 11:00 in Shanghai, 2 h 30 after the brief time: that day's is not sent.
    async with started_at(deps, emulator, clock, datetime(2026, 11, 26, 3, 0, tzinfo=UTC)) as up:
        for person in (team.tom, team.sara, team.manager):
            assert briefs(person) == []
            assert brief_rows(db, person) == [("2026-11-26", "skipped", False, TOO_LATE)]
        shown = texts(await up.send(team.admin, "/outbox"))
        assert f"brief · {TOO_LATE}" in shown
        clock.current = datetime(2026, 11, 27, 0, 29, tzinfo=UTC)
        await up.tick()
        assert briefs(team.tom) == []
        clock.current = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # Fri 08:30 in Shanghai
        await up.tick()
        await up.tick()
        assert briefs(team.tom) == ["☀️ Good morning, Tom: nothing due today (Fri 27 Nov)."]
        assert brief_rows(db, team.tom) == [
            ("2026-11-26", "skipped", False, TOO_LATE),
            ("2026-11-27", "sent", False, None),
        ]


async def test_the_window_is_counted_in_each_persons_own_zone(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, deps: Deps, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")
    await bot.stop()
    # 08:45 UTC: 09:45 in Berlin (late, within the window), 16:45 in Shanghai (skipped).
    async with started_at(deps, emulator, clock, datetime(2026, 11, 26, 8, 45, tzinfo=UTC)) as up:
        assert briefs(team.sara) == [
            "⏰ Late: this was due Thu 26 Nov 08:30.\n"
            "☀️ Good morning, Sara: nothing due today (Thu 26 Nov)."
        ]
        assert brief_rows(db, team.sara) == [("2026-11-26", "sent", True, None)]
        assert briefs(team.tom) == []
        assert brief_rows(db, team.tom) == [("2026-11-26", "skipped", False, TOO_LATE)]
        clock.current = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # 08:30 Shanghai, 01:30 Berlin
        await up.tick()
        assert briefs(team.tom)[-1] == "☀️ Good morning, Tom: nothing due today (Fri 27 Nov)."
        assert len(briefs(team.sara)) == 1
        clock.current = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
        await up.tick()
        assert briefs(team.sara)[-1] == "☀️ Good morning, Sara: nothing due today (Fri 27 Nov)."


async def test_the_window_is_two_real_hours_on_the_day_the_clocks_go_forward(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, deps: Deps, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.sara, "Europe/Berlin")
    await bot.stop()
    # Sunday 28 March 2027: 08:30 in Berlin is 06:30 UTC (summer time), no longer 07:30. Back at
    # 08:31 UTC, 10:31 there: more than two hours late, though only 61 minutes by winter time.
    async with started_at(deps, emulator, clock, datetime(2027, 3, 28, 8, 31, tzinfo=UTC)) as up:
        assert briefs(team.sara) == []
        assert brief_rows(db, team.sara) == [("2027-03-28", "skipped", False, TOO_LATE)]
        clock.current = datetime(2027, 3, 29, 6, 29, tzinfo=UTC)
        await up.tick()
        assert briefs(team.sara) == []
        clock.current = datetime(2027, 3, 29, 6, 30, tzinfo=UTC)  # Monday 08:30 in Berlin
        await up.tick()
        assert briefs(team.sara) == ["☀️ Good morning, Sara: nothing due today (Mon 29 Mar)."]


async def test_a_brief_time_inside_quiet_hours_is_due_when_they_end(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, deps: Deps, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    await bot.stop()
    # 06:30 is within the staff's quiet hours (22:00-07:00): the brief is due at 07:00, and the
    # two hours count from then.
    deps.settings = deps.settings.model_copy(update={"morning_brief_time": "06:30"})
    async with started_at(deps, emulator, clock, datetime(2026, 11, 26, 0, 50, tzinfo=UTC)) as up:
        # 08:50 in Shanghai: 1 h 50 after 07:00 (2 h 20 after 06:30), so sent, late.
        assert briefs(team.tom) == [
            "⏰ Late: this was due Thu 26 Nov 07:00.\n"
            "☀️ Good morning, Tom: nothing due today (Thu 26 Nov)."
        ]
        clock.current = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # Fri 06:30: still quiet
        await up.tick()
        assert len(briefs(team.tom)) == 1
        clock.current = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # Fri 07:00
        await up.tick()
        assert briefs(team.tom)[-1] == "☀️ Good morning, Tom: nothing due today (Fri 27 Nov)."
        assert brief_rows(db, team.tom)[-1] == ("2026-11-27", "sent", False, None)
    async with started_at(deps, emulator, clock, datetime(2026, 11, 28, 1, 1, tzinfo=UTC)):
        # Saturday 09:01 in Shanghai: more than two hours after 07:00.
        assert len(briefs(team.tom)) == 2
        assert brief_rows(db, team.tom)[-1] == ("2026-11-28", "skipped", False, TOO_LATE)
