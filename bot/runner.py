"""Running the Application by long polling: start, log one line when ready, stop cleanly.

Used by ``main.py`` (until SIGTERM or SIGINT) and by ``bot.local`` (the console and the tests),
so both start and stop the bot the same way.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from bot.app import ALLOWED_UPDATES, SalesbotApplication
from bot.db import describe_url

logger = logging.getLogger("salesbot")


async def start_bot(
    app: SalesbotApplication, *, poll_timeout: timedelta, schedule: bool = True
) -> None:
    """Initialise, publish the menus, start polling and handling updates, and (unless
    ``schedule`` is off, as in tests that drive the scheduler by hand) the scheduler's ticks."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
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


async def serve(app: SalesbotApplication) -> None:
    """Run until SIGTERM or SIGINT; a signal during start-up stops the bot once it is up."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await start_bot(app, poll_timeout=timedelta(seconds=10))
        logger.info(
            "salesbot ready: @%s, database %s, polling for updates",
            app.bot.username,
            describe_url(app.deps.db.url),
        )
        await stop.wait()
    finally:
        await stop_bot(app)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
