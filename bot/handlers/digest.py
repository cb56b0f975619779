"""/digest (managers, directors): the day's digest now, the same as the one sent at DIGEST_TIME;
the funnel chart is drawn in a worker thread."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import reader_language, render, reply
from bot.reminders.producers.digest import digest_text, fits_caption, funnel_chart
from bot.services.digest import team_digest


async def send_digest(update: Update, context: BotContext) -> None:
    deps, me, chat = context.deps, context.me, update.effective_chat
    with deps.db.session() as session:
        digest = team_digest(
            session,
            me,
            day=context.local_today(),
            now=deps.now(),
            currency=deps.settings.default_currency,
        )
    if chat is None:
        return
    if digest.empty:
        await reply(update, context, "digest/empty", digest=digest)
        return
    limit, text = digest_text(
        lambda n: render(
            update, context, "digest/digest", digest=digest, timezone=me.timezone, limit=n
        )
    )
    chart = await asyncio.to_thread(
        funnel_chart, deps.renderer, reader_language(update, context), digest, deps.documents.font
    )
    if fits_caption(text):
        await context.bot.send_photo(chat.id, chart, caption=text)
        return
    await reply(update, context, "digest/digest", digest=digest, timezone=me.timezone, limit=limit)
    caption = render(update, context, "digest/chart_caption", digest=digest)
    await context.bot.send_photo(chat.id, chart, caption=caption)
