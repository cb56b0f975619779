"""The baseline: a bare python-telegram-bot echo bot — a MessageHandler that echoes the text
(with one inline button, so a simulated person has something to press) and a
CallbackQueryHandler that answers the press. No persistence, no database, no rate limiter.

``build_echo(token, base_url)`` is used in-process by the rep's-day benchmark;
``python bench/echo_bot.py`` runs it by long polling (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL),
started the same way as ``main.py``, for the start-up benchmark.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

AGAIN = InlineKeyboardMarkup([[InlineKeyboardButton("↩️ Again", callback_data="echo")]])


class EchoApplication(Application[Any, Any, Any, Any, Any, Any]):
    """An Application that counts handled updates, exactly as SalesbotApplication does, so a
    driver can wait for each answer the same way."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_processed = 0
        self._progress = asyncio.Condition()

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                async with self._progress:
                    self._last_processed = max(self._last_processed, update.update_id)
                    self._progress.notify_all()

    async def wait_processed(self, update_id: int, *, all_chats: bool = True) -> None:
        # One update at a time, in order: its own update done means every earlier one is.
        async with self._progress:
            await self._progress.wait_for(lambda: self._last_processed >= update_id)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        update.effective_message.text or "?", reply_markup=AGAIN
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("ok")


def build_echo(token: str, base_url: str) -> EchoApplication:
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .application_class(EchoApplication)
        .concurrent_updates(False)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    return app  # type: ignore[return-value]


def main() -> None:
    app = build_echo(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_URL"])
    app.run_polling(poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
