"""The calendar feed page: ``GET /calendar/<token>.ics`` on the bot's web server (with
PUBLIC_URL set), which calendar apps fetch again and again.

A valid token gets the person's iCalendar (``bot.services.calendar_feed``), its texts from
``calendar/feed.txt`` in their language; an unknown, replaced or deactivated person's token gets
the same plain 404, so a guess learns nothing. The database is read in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot.app import SalesbotApplication
from bot.rendering import Renderer
from bot.services import calendar_feed
from bot.services.calendar_feed import FeedEvent

if TYPE_CHECKING:
    from bot.web import WebServer

logger = logging.getLogger("salesbot.calendar")

ROUTE = "/calendar/{token}.ics"
CONTENT_TYPE = "text/calendar"


class RenderedWords:
    """``FeedWords`` from the macros of ``calendar/feed.txt`` in one language."""

    def __init__(self, renderer: Renderer, language: str | None) -> None:
        self.module = renderer.template(language, "calendar/feed.txt").module

    def _say(self, name: str, /, *args: object) -> str:
        return str(getattr(self.module, name)(*args)).strip()

    def calendar_name(self, person_name: str) -> str:
        return self._say("calendar_name", person_name)

    def summary(self, event: FeedEvent) -> str:
        return self._say("summary", event)

    def description(self, event: FeedEvent, link: str) -> str:
        return self._say("description", event, link)


def add_calendar_feed(server: WebServer) -> None:
    """Serve the calendar feeds on ``server``."""
    page = CalendarFeedPage(server.application)
    server.app.router.add_get(ROUTE, page.handle)


class CalendarFeedPage:
    def __init__(self, application: SalesbotApplication) -> None:
        self.application = application
        public_url = application.deps.settings.public_url or "http://salesbot"
        self.domain = urlsplit(public_url).hostname or "salesbot"

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info.get("token", "")
        username = await self.bot_username()
        if username is None:
            return web.Response(status=503, text="not ready, try again later")
        body = await asyncio.to_thread(self.feed, token, username)
        if body is None:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=body,
            content_type=CONTENT_TYPE,
            charset="utf-8",
            headers={"Cache-Control": "private, no-cache"},
        )

    def feed(self, token: str, username: str) -> bytes | None:
        deps = self.application.deps
        with deps.db.session() as session:
            person = calendar_feed.person_for_token(session, token)
            if person is None:
                return None
            return calendar_feed.feed(
                session,
                person,
                deps.now(),
                words=RenderedWords(deps.renderer, person.language),
                bot_username=username,
                domain=self.domain,
            )

    async def bot_username(self) -> str | None:
        """The bot's @username for the links back (asked of Telegram once on a standby, whose
        bot was not started)."""
        bot = self.application.bot
        try:
            return bot.username
        except RuntimeError:
            pass
        try:
            await bot.initialize()
            return bot.username
        except Exception as error:
            logger.warning("calendar feed: cannot learn the bot's username: %s", error)
            return None
