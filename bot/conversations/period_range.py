"""📅 Choose days under /funnel or /team: asks for two dates in plain words (``1 Nov - 30 Nov``,
``2026-10-01 to 2026-12-31``, ``11月1日至11月30日``) and shows the view for them; anything else
is asked again. Which view and whose work are kept with the step (``fun`` or ``team``, and the
scope token), and checked again when the view is shown."""

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
from bot.handlers.funnel import send_funnel
from bot.handlers.replies import answer_query, callback_parts, message_text, reply
from bot.handlers.team import send_team
from bot.services import analytics
from bot.services.errors import NotFound

NAME = "period_range"
DAYS = 0
VIEWS = ("fun", "team")


async def ask_days(update: Update, context: BotContext) -> int:
    query = update.callback_query
    view = (query.data or "").split(":")[0] if query is not None else ""
    parts = callback_parts(update, view) if view in VIEWS else []
    if len(parts) != 2:
        raise NotFound()
    with context.deps.db.session() as session:
        analytics.resolve_scope(session, context.me, parts[1])  # a forged scope: Not found.
    clear_conversation_data(context, NAME)
    data = conversation_data(context, NAME)
    data["view"], data["scope"] = view, parts[1]
    if query is not None:
        await answer_query(update)
    await reply(update, context, "periods/ask_range", view=view)
    return DAYS


async def days_typed(update: Update, context: BotContext) -> int | None:
    text = message_text(update)
    period = analytics.parse_range(text, now=context.deps.now(), zone=context.me.timezone)
    if period is None:
        await reply(update, context, "periods/range_unclear", text=text)
        return None
    data = conversation_data(context, NAME)
    view, scope = str(data.get("view", "")), str(data.get("scope", "my"))
    clear_conversation_data(context, NAME)
    if view == "team":
        await send_team(update, context, scope, period.token)
    else:
        await send_funnel(update, context, scope, period.token)
    return END


def period_range_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[
            CallbackQueryHandler(ask_days, pattern=r"^(fun|team):range:(my|t\d+)$"),
        ],
        states={DAYS: [MessageHandler(filters.TEXT & ~filters.COMMAND, days_typed)]},
    )
