"""The python-telegram-bot Application and how it is built for Telegram, a self-hosted Bot API
server or the local emulator: the wiring, the one module that sees every layer (what a handler
gets is in ``bot.context``)."""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any, cast

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
)
from telegram.warnings import PTBUserWarning

from bot import failures
from bot.context import BotContext, Deps
from bot.handlers import replies
from bot.metrics import HANDLER_SECONDS, UPDATES
from bot.persistence import DatabasePersistence
from bot.reminders.scheduler import Scheduler
from bot.updates import ChatOrderedProcessor

__all__ = ["ALLOWED_UPDATES", "BotContext", "Deps", "SalesbotApplication", "build_application"]

logger = logging.getLogger("salesbot")

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    # A rep's own customer chats through Telegram Business (bot.handlers.business).
    Update.BUSINESS_CONNECTION,
    Update.BUSINESS_MESSAGE,
    Update.EDITED_BUSINESS_MESSAGE,
    Update.DELETED_BUSINESS_MESSAGES,
]


class SalesbotApplication(
    Application[
        ExtBot[None],
        BotContext,
        dict[Any, Any],
        dict[Any, Any],
        dict[Any, Any],
        JobQueue[BotContext],
    ]
):
    """The Application, counting processed updates so a driver can wait for the bot's answer."""

    def __init__(self, *, deps: Deps, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deps = deps
        self.scheduler: Scheduler  # set by build_application
        self.handler_errors: list[BaseException] = []

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        failures.begin_update()
        replies.begin_update()
        try:
            await super().process_update(update)
            await replies.answer_unanswered(update)
        finally:
            if self.persistence is not None:
                await self.update_persistence()  # a crash loses at most the step in hand
            HANDLER_SECONDS.observe(time.perf_counter() - started)
            UPDATES.labels(update_kind(update)).inc()

    async def wait_processed(self, update_id: int, *, all_chats: bool = True) -> None:
        """Wait until the update ``update_id`` has been handled, and every earlier one (of
        every chat, or with ``all_chats=False`` of its own chat: what one person waits for)."""
        processor = self.update_processor
        assert isinstance(processor, ChatOrderedProcessor)
        await processor.wait_processed(update_id, all_chats=all_chats)


def update_kind(update: object) -> str:
    """What an update carries (``message``, ``callback_query``, …), for the metrics."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return str(kind)
    return "other"


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    from bot.handlers.menu import publish_all_menus

    await publish_all_menus(cast(SalesbotApplication, application))


def build_application(
    deps: Deps,
    *,
    token: str,
    base_url: str | None = None,
    base_file_url: str | None = None,
) -> SalesbotApplication:
    """The bot, wired with every handler, talking to ``base_url`` (default: the settings)."""
    from bot.handlers import register_handlers

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url or deps.settings.telegram_api_url)
        .base_file_url(base_file_url or deps.settings.file_url)
        .application_class(SalesbotApplication, {"deps": deps})
        .context_types(ContextTypes(context=BotContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(ChatOrderedProcessor())
        # No rate limiter on the bot: an answer to a person who just wrote is not a broadcast
        # and must not queue behind one. The outbox paces its own sends (Dispatcher).
        .persistence(DatabasePersistence(deps.db))
        .post_init(_post_init)
    )
    application = cast(SalesbotApplication, builder.build())
    application.scheduler = Scheduler(application)
    with warnings.catch_warnings():
        # Our conversations are per chat and user on purpose; buttons carry their own ids.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        register_handlers(application)
    return application
