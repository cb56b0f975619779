"""The real bot running against the in-process Bot API emulator, for ``--console`` and tests.

``LocalBot`` starts the emulator and the Application (long polling, exactly as in production)
and lets a simulated person talk to it, returning once the bot has handled each step.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import Deps, SalesbotApplication, build_application
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.reminders.scheduler import TickReport
from bot.runner import start_bot, stop_bot

SETTLE_TIMEOUT = 15.0


class LocalBot:
    def __init__(
        self, deps: Deps, emulator: BotAPIEmulator | None = None, *, schedule: bool = False
    ) -> None:
        self.deps = deps
        self.schedule = schedule  # tests tick the scheduler themselves, with their own clock
        self.emulator = emulator or BotAPIEmulator()
        self._owns_emulator = emulator is None
        self.app: SalesbotApplication | None = None

    async def start(self) -> SalesbotApplication:
        if self._owns_emulator:
            await self.emulator.start()
        app = build_application(
            self.deps,
            token=self.emulator.token,
            base_url=self.emulator.base_url,
            base_file_url=self.emulator.base_file_url,
        )
        await start_bot(app, poll_timeout=timedelta(seconds=2), schedule=self.schedule)
        self.app = app
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is not None:
            await stop_bot(app)
        if self._owns_emulator:
            await self.emulator.stop()

    async def tick(self) -> TickReport:
        """One scheduler tick at the clock's current time: write what is due, send it."""
        assert self.app is not None, "the bot is not running"
        return await self.app.scheduler.tick()

    async def settle(self, update_id: int) -> None:
        """Return once the bot has handled update ``update_id`` and everything before it."""
        assert self.app is not None, "the bot is not running"
        await asyncio.wait_for(self.app.wait_processed(update_id), SETTLE_TIMEOUT)

    async def send(self, user: SimUser, text: str) -> list[BotMessage]:
        """``user`` sends ``text``; returns what the bot sent them in answer."""
        before = len(user.messages)
        await self.settle(await user.send(text))
        return user.messages[before:]

    async def press(
        self, user: SimUser, button: str, message: BotMessage | None = None
    ) -> list[BotMessage]:
        """``user`` presses an inline button (by label or data); returns new bot messages.

        A button usually edits its own message: read it again from ``user.messages``.
        """
        before = len(user.messages)
        await self.settle(await user.press(button, message))
        return user.messages[before:]
