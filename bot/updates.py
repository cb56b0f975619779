"""How updates are processed: the updates of different chats at the same time, the updates of
one chat strictly one after the other, in the order they came.

Python-telegram-bot handles one update at a time unless told otherwise, so one person's answer
waiting on the network (or a slow query) held up everybody else's. Conversations need their
steps in order, but only within their own chat: each chat gets a lock that its updates take in
turn (asyncio's locks are first come, first served), and chats do not wait for each other.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 1024


def _chat_of(update: object) -> int | str | None:
    if isinstance(update, Update):
        # A business account's updates (its connection and every chat's messages) in order.
        business = _business_connection_of(update)
        if business is not None:
            return f"business:{business}"
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None  # anything else: one at a time among themselves


def _business_connection_of(update: Update) -> str | None:
    if update.business_connection is not None:
        return update.business_connection.id
    message = update.business_message or update.edited_business_message
    if message is not None:
        return message.business_connection_id
    if update.deleted_business_messages is not None:
        return update.deleted_business_messages.business_connection_id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat; knows which updates are done."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int | str | None, asyncio.Lock] = {}
        self._queued: Counter[int | str | None] = Counter()
        self._running: set[int] = set()
        self._finished: set[int] = set()  # handled while an earlier update still runs
        self._last_seen = 0
        self._progress: asyncio.Condition | None = None

    async def initialize(self) -> None:
        self._progress = asyncio.Condition()

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None:
            self._running.add(update_id)
            self._last_seen = max(self._last_seen, update_id)
        chat = _chat_of(update)
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._queued[chat] += 1
        try:
            async with lock:
                await coroutine
        finally:
            self._queued[chat] -= 1
            if not self._queued[chat]:
                del self._queued[chat], self._locks[chat]
            if update_id is not None:
                self._running.discard(update_id)
                self._finished.add(update_id)
                watermark = self._handled_up_to()
                self._finished = {done for done in self._finished if done > watermark}
                if self._progress is not None:
                    async with self._progress:
                        self._progress.notify_all()

    def _handled_up_to(self) -> int:
        """Every update up to this id has been handled (updates arrive in id order)."""
        return min(self._running) - 1 if self._running else self._last_seen

    def handled(self, update_id: int) -> bool:
        """Whether update ``update_id`` has been handled (and so every earlier one of its
        chat)."""
        return update_id <= self._handled_up_to() or update_id in self._finished

    async def wait_processed(self, update_id: int, *, all_chats: bool = True) -> None:
        """Wait until update ``update_id`` has been handled, and every earlier one: of every
        chat (``all_chats``, what a test driving several people wants), or of its own chat."""
        if self._progress is None:
            self._progress = asyncio.Condition()
        async with self._progress:
            if all_chats:
                await self._progress.wait_for(lambda: self._handled_up_to() >= update_id)
            else:
                await self._progress.wait_for(lambda: self.handled(update_id))
