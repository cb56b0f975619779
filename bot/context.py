"""What a handler gets besides the update: ``BotContext`` (the person behind it, the
dependencies) and ``Deps`` (settings, database, texts, documents and a clock).

This module imports no handler, conversation or the Application wiring (``bot.app``), so every
layer may depend on it without an import circle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.ext import Application, CallbackContext, ExtBot

from bot.db import Database
from bot.documents import Documents, find_cjk_font
from bot.metrics import HANDLER_ERRORS
from bot.rendering import Renderer
from bot.services import pipeline
from bot.services.people import Actor
from bot.settings import Settings
from models import utcnow


@dataclass
class Deps:
    """What every handler needs besides the update: settings, database, texts and a clock."""

    settings: Settings
    db: Database
    renderer: Renderer = field(default_factory=Renderer)
    clock: Callable[[], datetime] = utcnow
    documents: Documents = field(init=False)

    def __post_init__(self) -> None:
        self.db.clock = self.clock  # the change history's time stamps
        self.renderer.stage_names.loader = partial(pipeline.name_loader, self.db)
        self.documents = Documents(self.renderer, find_cjk_font(self.settings.pdf_font))

    def now(self) -> datetime:
        return self.clock()


class Host(Protocol):
    """What carries the bot and the dependencies: the Application, or a handler's context."""

    @property
    def bot(self) -> Bot: ...

    @property
    def deps(self) -> Deps: ...


class _Carrier(Protocol):
    deps: Deps
    handler_errors: list[BaseException]


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
        return cast(_Carrier, self.application).deps

    def record_error(self, error: BaseException) -> None:
        """Count an unexpected error, and keep it where a test driver can see it (the
        Application's list)."""
        HANDLER_ERRORS.inc()
        errors = getattr(self.application, "handler_errors", None)
        if isinstance(errors, list):
            errors.append(error)

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
