"""Start-up publishes a person's command menu only when it changed since it was last shown:
a restart with nothing changed costs no call per person."""

from __future__ import annotations

from sqlmodel import col, update

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import User
from tests.flows import sales_team


def _chat_menus_set(emulator: BotAPIEmulator, since: int) -> list[int]:
    return [
        params["scope"]["chat_id"]
        for name, params in emulator.requests[since:]
        if name in {"setMyCommands", "deleteMyCommands"}
        and isinstance(params.get("scope"), dict)
        and params["scope"].get("type") == "chat"
    ]


async def test_a_restart_republishes_only_the_menus_that_changed(
    deps: Deps, emulator: BotAPIEmulator, db: Database
) -> None:
    first = LocalBot(deps, emulator)
    await first.start()
    team = await sales_team(first, emulator)
    await first.stop()

    mark = len(emulator.requests)
    second = LocalBot(deps, emulator)
    await second.start()
    await second.stop()
    assert _chat_menus_set(emulator, mark) == []  # five people, nothing changed

    # Tom's language changed behind the bot's back (say, by an import): his menu, only.
    with db.session() as session:
        session.execute(
            update(User).where(col(User.telegram_id) == team.tom.id).values(language="zh")
        )
    mark = len(emulator.requests)
    third = LocalBot(deps, emulator)
    await third.start()
    try:
        assert _chat_menus_set(emulator, mark) == [team.tom.id]
        menu = emulator.commands_for({"type": "chat", "chat_id": team.tom.id})
        assert {c["command"]: c["description"] for c in menu}["help"] == "我能帮你做什么"
    finally:
        await third.stop()
