"""Rejecting a quote: the approver gives a reason in a few words; the rep is told."""

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
from bot.handlers.quotes import tell_outcome
from bot.handlers.replies import callback_parts, int_part, message_text, reply, show
from bot.parsing.text import one_line
from bot.services import company, quotes
from bot.services.errors import NotFound

NAME = "quote_reject"
REASON = 0


async def ask_reason(update: Update, context: BotContext) -> int:
    quote_id = int_part(callback_parts(update, "qa"), 1)
    if quote_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        quotes.check_pending(session, context.me, quote_id)
    conversation_data(context, NAME)["quote_id"] = quote_id
    await show(update, context, "quotes/ask_reject_reason")
    return REASON


async def reason_given(update: Update, context: BotContext) -> int | None:
    reason = one_line(message_text(update))
    if not reason:
        await reply(update, context, "quotes/ask_reject_reason")
        return None
    quote_id = int(conversation_data(context, NAME)["quote_id"])
    clear_conversation_data(context, NAME)
    deps = context.deps
    with deps.db.session() as session:
        decision = quotes.decide(
            session,
            context.me,
            quote_id,
            approve=False,
            reason=reason,
            limits=company.quote_limits(session, deps.settings),
            now=deps.now(),
        )
    await tell_outcome(update, context, decision)
    return END


def quote_reject_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(ask_reason, pattern=r"^qa:no:\d+$")],
        states={REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND, reason_given)]},
    )
