"""The access gate reads the person behind an update from memory after the first time, and a
change to that person (deactivated, a new role, a new language) is seen by the very next
update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from tests.flows import sales_team, texts, user_row
from tests.test_onboarding import NOT_REGISTERED


def _user_lookups(db: Database) -> tuple[list[str], Any]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        flat = " ".join(statement.lower().split())
        if flat.startswith("select") and "from user" in flat and "user.telegram_id =" in flat:
            seen.append(flat[:80])

    event.listen(db.engine, "before_cursor_execute", record)
    return seen, record


async def test_the_gate_reads_a_known_person_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    await bot.send(team.tom, "/help")  # first update after the fixture: may read the user
    seen, record = _user_lookups(db)
    try:
        for _ in range(4):
            answer = await bot.send(team.tom, "/help")
            assert answer and "/today" in answer[-1].text
        assert seen == []
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


async def test_a_change_to_a_person_is_seen_by_their_next_update(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    assert "What you can do" in texts(await bot.send(team.tom, "/help"))  # Tom is remembered
    await bot.send(team.admin, "/users")
    await bot.press(team.admin, "Tom · Sales rep")
    await bot.press(team.admin, "Deactivate")
    assert NOT_REGISTERED in texts(await bot.send(team.tom, "/help"))
    await bot.press(team.admin, "Reactivate")
    assert "What you can do" in texts(await bot.send(team.tom, "/help"))

    # His own change of language: the next answer is in Chinese.
    await bot.send(team.tom, "/language")
    await bot.press(team.tom, "中文")
    assert "What you can do" not in texts(await bot.send(team.tom, "/help"))
    assert user_row(db, team.tom.id).language == "zh"  # type: ignore[union-attr]
