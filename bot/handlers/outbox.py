"""/outbox (admins): how many scheduled messages are waiting, sent, skipped and failed, and the
last ones that were not sent, with why."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import reply
from bot.reminders import outbox


async def show_outbox(update: Update, context: BotContext) -> None:
    with context.deps.db.session() as session:
        stats = outbox.report(session, context.me)
    await reply(update, context, "outbox/stats", stats=stats, timezone=context.me.timezone)
