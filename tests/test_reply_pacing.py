"""Answers to people who just wrote are not held back by the broadcast cap: only what the bot
sends by itself (the outbox) is paced to OUTBOX_MAX_PER_SECOND."""

from __future__ import annotations

from bot.context import Deps
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from tests.flows import texts
from tests.test_outbox import enqueue_notes, people


async def test_replies_go_out_beyond_the_cap_while_the_outbox_keeps_it(
    deps: Deps, emulator: BotAPIEmulator
) -> None:
    deps.settings = deps.settings.model_copy(
        update={"outbox_max_per_second": 2, "outbox_chat_interval": 0}
    )
    bot = LocalBot(deps, emulator)
    await bot.start()
    try:
        strangers = [emulator.user(8500 + number, f"S{number}") for number in range(8)]
        for stranger in strangers:
            assert "invite" in texts(await bot.send(stranger, "hello"))
        # Eight answers: with the cap of two a second on every send they would need 3.5 s,
        # so no one second could hold more than three of them.
        replies_peak = emulator.max_sends_in_window(1.0)
        assert replies_peak > 3, replies_peak

        # Six scheduled messages to six chats: the outbox keeps the cap.
        users = people(emulator, 6, first_id=8600)
        enqueue_notes(deps.db, users)
        await bot.tick()
        assert all(len(user.messages) == 1 for user in users)
        chats = {user.id for user in users}
        times = sorted(moment for moment, chat, _ in emulator.send_log if chat in chats)
        peak = max(sum(1 for other in times if 0 <= other - moment < 1.0) for moment in times)
        assert peak <= 3, peak  # two a second, plus the one a fresh bucket lets through
    finally:
        await bot.stop()
