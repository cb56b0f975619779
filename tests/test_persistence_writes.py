"""Conversation state and scratch data go to the database when they change, not after every
update: an update that changes neither costs no query on their tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from tests.flows import add_customer, sales_team


async def test_updates_that_change_no_flow_state_touch_none_of_it(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    writes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        flat = statement.lower()
        if "scratch_data" in flat or "conversation_state" in flat:
            writes.append(flat[:60])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            await bot.send(team.tom, "acme")
            await bot.press(team.tom, "Acme Machinery")
        await bot.send(team.tom, "/today")
        assert writes == []  # searches, cards and /today: not even a read of flow state

        await bot.send(team.tom, "/visit")  # a flow starts: its step is kept
        assert any("conversation_state" in write for write in writes)
        started = len(writes)
        await bot.send(team.tom, "/cancel")  # and dropped when it ends
        assert len(writes) > started
        ended = len(writes)
        await bot.send(team.tom, "acme")
        assert len(writes) == ended
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
