"""Snoozing a follow-up from its reminder: ⏰ 1 hour and Tomorrow move it at once; 📅 Pick a
date asks when, in plain words. The reminder moves with the follow-up."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
)
from bot.handlers.replies import answer_query, callback_parts, int_part, message_text, reply, show
from bot.parsing.dates import parse_when
from bot.services import visits
from bot.services.errors import NotFound

NAME = "snooze"
WHEN = 0


async def snooze_now(update: Update, context: BotContext) -> None:
    """⏰ 1 hour or Tomorrow under a reminder."""
    parts = callback_parts(update, "fu")
    touch_id = int_part(parts, 1)
    if touch_id is None or len(parts) != 3:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        moved = visits.snooze_follow_up(session, context.me, touch_id, parts[2], now=deps.now())
    await show(update, context, "reminders/snoozed", follow_up=moved, timezone=context.me.timezone)


async def pick(update: Update, context: BotContext) -> int:
    touch_id = int_part(callback_parts(update, "fu"), 1)
    if touch_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        promised = visits.follow_up(session, context.me, touch_id)
    clear_conversation_data(context, NAME)
    conversation_data(context, NAME)["touch_id"] = touch_id
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "reminders/ask_snooze", follow_up=promised)
    return WHEN


async def when_typed(update: Update, context: BotContext) -> int | None:
    deps = context.deps
    text = message_text(update)
    when = parse_when(text, now=deps.now(), zone=context.me.timezone)
    instant = when.instant(context.me.timezone) if when is not None else None
    if (
        when is None
        or instant is None
        or (when.day < context.local_today() or (when.time is not None and instant <= deps.now()))
    ):
        await reply(update, context, "reminders/snooze_unclear", text=text)
        return None
    touch_id = int(conversation_data(context, NAME)["touch_id"])
    with deps.db.session() as session:
        moved = visits.move_follow_up(
            session, context.me, touch_id, instant, has_time=when.time is not None, now=deps.now()
        )
    clear_conversation_data(context, NAME)
    await reply(update, context, "reminders/snoozed", follow_up=moved, timezone=context.me.timezone)
    return END


def snooze_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(pick, pattern=r"^fu:pick:\d+$")],
        states={WHEN: [MessageHandler(filters.TEXT & ~filters.COMMAND, when_typed)]},
    )
