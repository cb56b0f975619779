"""The bot's one web server (aiohttp): Telegram's webhook in ``--webhook`` mode, ``/healthz`` and
``/metrics`` always (on LISTEN_PORT, or on METRICS_PORT when polling). Other pages are added to
``WebServer.app`` (an aiohttp ``web.Application``) before ``start()``.

What an update means is not decided here: an accepted webhook update goes to the Application's
``update_queue``, exactly where long polling puts it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, text
from sqlmodel import select
from telegram import Update

from bot.app import SalesbotApplication
from bot.board_web import add_board_pages
from bot.calendar_page import add_calendar_feed
from bot.metrics import OUTBOX_ROWS
from bot.reminders.instance import default_instance_id
from models import OutboxMessage, OutboxState

logger = logging.getLogger("salesbot.web")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DATABASE_CHECK_SECONDS = 5.0


def stale_after(tick_seconds: int) -> float:
    """Seconds without a finished tick after which the scheduler counts as stuck."""
    return max(3.0 * tick_seconds, 60.0)


def add_pages(server: WebServer) -> None:
    """The pages people open from the bot (with PUBLIC_URL set): each feature adds its routes
    to ``server.app`` here."""
    add_calendar_feed(server)
    add_board_pages(server.app, server.application)


class WebServer:
    """``/healthz``, ``/metrics`` and (with ``webhook_path`` and ``webhook_secret``) the webhook.

    ``role`` says "leader" or "standby"; only a running leader accepts updates (a standby
    answers 503, so Telegram tries again later).
    """

    def __init__(
        self,
        application: SalesbotApplication,
        *,
        role: Callable[[], str] = lambda: "leader",
        webhook_path: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.application = application
        self.role = role
        self.webhook_secret = webhook_secret
        self.app = web.Application()
        self.app.router.add_get("/healthz", self.healthz)
        self.app.router.add_get("/metrics", self.metrics)
        if webhook_path is not None:
            if not webhook_secret:
                raise ValueError("a webhook needs its secret token")
            self.app.router.add_post(webhook_path, self.webhook)
        if application.deps.settings.public_url is not None:
            add_pages(self)
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host``:``port`` (0: a free port, then read ``self.port``)."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        logger.info("web server listening on %s:%d", host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- Telegram's webhook ---------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        assert self.webhook_secret is not None
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            logger.warning("webhook request without the right secret token refused")
            return web.Response(status=403, text="forbidden")
        application = self.application
        if self.role() != "leader" or not application.running:
            return web.Response(status=503, text="standby: not taking updates")
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError) as error:
            logger.warning("webhook request with a malformed update refused: %s", error)
            return web.Response(status=400, text="malformed update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    # -- operations ---------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        body = await self.health()
        return web.json_response(body, status=200 if body["healthy"] else 503)

    async def health(self) -> dict[str, Any]:
        """The database answers, the scheduler ticks (on the leader), and the role."""
        deps = self.application.deps
        database_ok, database_error = True, None
        try:
            await asyncio.wait_for(asyncio.to_thread(self._select_one), DATABASE_CHECK_SECONDS)
        except Exception as error:
            database_ok, database_error = False, str(error).splitlines()[0] or type(error).__name__
        role = self.role()
        scheduler: dict[str, Any] = {"running": False}
        scheduler_ok = True
        if role == "leader":
            ticks = self.application.scheduler
            since = ticks.last_tick or ticks.installed_at
            age = None if since is None else round(time.time() - since, 1)
            limit = stale_after(deps.settings.scheduler_tick_seconds)
            scheduler_ok = age is not None and age <= limit
            scheduler = {
                "running": ticks.installed_at is not None,
                "last_tick": ticks.last_tick,
                "seconds_since": age,
                "stale_after": limit,
            }
        database: dict[str, Any] = {"ok": database_ok}
        if database_error is not None:
            database["error"] = database_error
        return {
            "healthy": database_ok and scheduler_ok,
            "role": role,
            "instance": deps.settings.instance_id or default_instance_id(deps.db.url),
            "database": database,
            "scheduler": {"ok": scheduler_ok, **scheduler},
        }

    def _select_one(self) -> None:
        with self.application.deps.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(asyncio.to_thread(self.count_outbox), DATABASE_CHECK_SECONDS)
        except Exception as error:
            logger.warning("metrics: cannot count the outbox: %s", error)
        return web.Response(
            body=generate_latest(),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    def count_outbox(self) -> dict[str, int]:
        """Set the outbox gauge from the database (one COUNT … GROUP BY state)."""
        counts = {state.value: 0 for state in OutboxState}
        with self.application.deps.db.session() as session:
            for state, count in session.exec(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ):
                counts[str(state)] = int(count)
        for state, count in counts.items():
            OUTBOX_ROWS.labels(state).set(count)
        return counts


def webhook_path(url: str) -> str:
    """The path of WEBHOOK_URL, where the server takes Telegram's posts (``/`` if none)."""
    return urlsplit(url).path or "/"
