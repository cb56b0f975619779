"""``python main.py --worker``: a process that only writes and sends scheduled messages, without
polling for updates: a second (third…) process beside the bot, sharing its PostgreSQL database.
Rows are claimed with SKIP LOCKED, so no two processes send the same message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from sqlmodel import col, select

from bot.app import SalesbotApplication
from models import OutboxMessage, OutboxState

logger = logging.getLogger("salesbot.worker")


def _nothing_waiting(app: SalesbotApplication) -> bool:
    with app.deps.db.session() as session:
        return (
            session.exec(
                select(OutboxMessage.id).where(
                    col(OutboxMessage.state).in_(
                        [OutboxState.PENDING.value, OutboxState.SENDING.value]
                    )
                )
            ).first()
            is None
        )


async def run_worker(app: SalesbotApplication, *, until_idle: bool = False) -> int:
    """Tick every SCHEDULER_TICK_SECONDS until SIGTERM/SIGINT (or, with ``until_idle``, until a
    tick finds nothing to send). Returns how many messages this process sent."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sent = 0
    await app.bot.initialize()
    try:
        logger.info("salesbot worker ready: sending scheduled messages")
        while not stop.is_set():
            report = await app.scheduler.tick()
            sent += report.dispatch.sent
            if until_idle and not report.dispatch.sent and _nothing_waiting(app):
                break
            if not report.dispatch.sent:  # wait for the next tick, or for flood control to end
                wait = float(app.deps.settings.scheduler_tick_seconds)
                paused = app.scheduler.dispatcher.paused_until
                if paused is not None:
                    wait = min(wait, max((paused - app.deps.now()).total_seconds(), 0.1))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        await app.bot.shutdown()
        app.scheduler.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    logger.info("salesbot worker stopped after sending %d messages", sent)
    return sent
