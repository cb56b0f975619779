"""The python-telegram-bot Application: what a handler gets (``BotContext``), what the
application carries (``Deps``), and how it is built for Telegram, a self-hosted Bot API server
or the local emulator."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
)
from telegram.warnings import PTBUserWarning

from bot.db import Database
from bot.documents import Documents, find_cjk_font
from bot.persistence import DatabasePersistence
from bot.reminders.scheduler import Scheduler
from bot.rendering import Renderer
from bot.services.people import Actor
from bot.settings import Settings
from models import utcnow

logger = logging.getLogger("salesbot")

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


@dataclass
class Deps:
    """What every handler needs besides the update: settings, database, texts and a clock."""

    settings: Settings
    db: Database
    renderer: Renderer = field(default_factory=Renderer)
    clock: Callable[[], datetime] = utcnow
    documents: Documents = field(init=False)

    def __post_init__(self) -> None:
        self.documents = Documents(self.renderer, find_cjk_font(self.settings.pdf_font))

    def now(self) -> datetime:
        return self.clock()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context, plus the person behind the update (set by the access gate)."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.actor: Actor | None = None
        # A linked customer contact's language (set by the access gate), for their answers.
        self.contact_language: str | None = None

    @property
    def deps(self) -> Deps:
        return cast(SalesbotApplication, self.application).deps

    def local_today(self) -> date:
        """Today's date where the person is (the company's zone for strangers)."""
        zone = self.actor.timezone if self.actor else self.deps.settings.default_timezone
        return self.deps.now().astimezone(ZoneInfo(zone)).date()

    @property
    def me(self) -> Actor:
        """The registered person behind this update; handlers after the gate may rely on it."""
        if self.actor is None:
            raise RuntimeError("handler reached without a registered user")
        return self.actor


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
        self._last_processed = 0
        self._progress = asyncio.Condition()

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if self.persistence is not None:
                await self.update_persistence()  # a crash loses at most the step in hand
            if isinstance(update, Update):
                async with self._progress:
                    self._last_processed = max(self._last_processed, update.update_id)
                    self._progress.notify_all()

    async def wait_processed(self, update_id: int) -> None:
        """Wait until the update ``update_id`` (and every earlier one) has been handled."""
        async with self._progress:
            await self._progress.wait_for(lambda: self._last_processed >= update_id)


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
        .concurrent_updates(False)
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
