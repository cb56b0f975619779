"""Running the Application: start, log one line when ready, stop cleanly; by long polling or
by Telegram's webhook (our own aiohttp server, ``bot.web``), as the leader of several processes
or a standby that waits to take over (``bot.leader``).

Used by ``main.py`` (until SIGTERM or SIGINT, or until the leadership is lost) and by
``bot.local`` (the console and the tests), so both start and stop the bot the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.app import ALLOWED_UPDATES, SalesbotApplication
from bot.db import describe_url
from bot.leader import Leadership

if TYPE_CHECKING:  # aiohttp's server is loaded only when something is served
    from bot.web import WebServer

logger = logging.getLogger("salesbot")


EXIT_LEADERSHIP_LOST = 3


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates (WEBHOOK_URL) and the secret it sends with each."""

    url: str
    secret: str


async def start_bot(
    app: SalesbotApplication,
    *,
    poll_timeout: timedelta,
    schedule: bool = True,
    webhook: Webhook | None = None,
) -> None:
    """Initialise, publish the menus, start polling (or set the webhook) and handling updates,
    and (unless ``schedule`` is off, as in tests that drive the scheduler by hand) the
    scheduler's ticks. With a webhook, a ``WebServer`` feeds the updates to the Application."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    if webhook is None:
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
    else:
        await app.bot.set_webhook(
            webhook.url, secret_token=webhook.secret, allowed_updates=ALLOWED_UPDATES
        )
    await app.start()
    if schedule:
        app.scheduler.install()


async def stop_bot(app: SalesbotApplication) -> None:
    """Stop polling, finish the update in hand, write the conversation state, close."""
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    app.scheduler.close()


async def serve(
    app: SalesbotApplication, leadership: Leadership, *, webhook: Webhook | None = None
) -> int:
    """Run until SIGTERM or SIGINT (exit code 0) or until the leadership is lost
    (``EXIT_LEADERSHIP_LOST``). A standby serves /healthz and waits for the leadership; the
    leader polls (or takes webhooks) and ticks. A signal during start-up stops the bot once it
    is up."""
    settings = app.deps.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server: WebServer | None = None
    serves_pages = webhook is not None or settings.public_url is not None
    port = settings.listen_port if serves_pages else settings.metrics_port
    try:
        if port is not None:
            from bot.web import WebServer, webhook_path

            server = WebServer(
                app,
                role=lambda: leadership.role,
                webhook_path=None if webhook is None else webhook_path(webhook.url),
                webhook_secret=None if webhook is None else webhook.secret,
            )
            await server.start(settings.listen_host, port)
        if not await leadership.acquire(stop):
            return 0
        return await _lead(app, leadership, stop, webhook)
    finally:
        await leadership.close()
        if server is not None:
            await server.stop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def _lead(
    app: SalesbotApplication, leadership: Leadership, stop: asyncio.Event, webhook: Webhook | None
) -> int:
    """Run as the leader until ``stop`` or until the leadership is lost."""
    try:
        await start_bot(app, poll_timeout=timedelta(seconds=10), webhook=webhook)
        logger.info(
            "salesbot ready: @%s, database %s, %s (instance %s)",
            app.bot.username,
            describe_url(app.deps.db.url),
            "polling for updates" if webhook is None else f"webhook at {webhook.url}",
            leadership.instance_id,
        )
        stopped = asyncio.create_task(stop.wait())
        lost = asyncio.create_task(leadership.lost.wait())
        await asyncio.wait({stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stopped, lost):
            task.cancel()
    except BaseException:
        await stop_bot(app)
        raise
    if not leadership.lost.is_set():
        await stop_bot(app)
        return 0
    # Another process may lead already: stop without waiting long for the database.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(stop_bot(app), 10)
    return EXIT_LEADERSHIP_LOST
