"""⚙️ Ask for terms on a customer card (reps and managers): which term, the new value, a reason;
the request then goes to the team's manager and to finance (``bot.handlers.approvals``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    finishing,
    make_conversation,
    pick_with_buttons,
)
from bot.conversations.terms import parse_term
from bot.handlers.approvals import ask_approvers
from bot.handlers.replies import (
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    show,
)
from bot.services import approvals, customers
from bot.services.errors import NotFound

NAME = "terms_request"
FIELD, VALUE, REASON = range(3)
TEXT = filters.TEXT & ~filters.COMMAND


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


async def start(update: Update, context: BotContext) -> int:
    customer_id = int_part(callback_parts(update, "tq"), 0)
    if customer_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        approvals.current_terms(session, context.me, customer_id)
        card = customers.customer_card(
            session, context.me, customer_id, today=context.local_today()
        )
    clear_conversation_data(context, NAME)
    _data(context)["customer_id"] = customer_id
    rows = [
        [(label(update, context, "term_field", field), f"tq:f:{field}")]
        for field in customers.TERM_FIELDS
    ]
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "approvals/ask_pick", markup=keyboard(rows), card=card)
    return FIELD


async def field_chosen(update: Update, context: BotContext) -> int:
    field = callback_parts(update, "tq")[1]
    if field not in customers.TERM_FIELDS:
        raise NotFound()
    _data(context)["field"] = field
    await show(update, context, "customers/terms_ask", field=field)
    return VALUE


async def value_given(update: Update, context: BotContext) -> int | None:
    data = _data(context)
    field = data["field"]
    understood, value = parse_term(field, message_text(update))
    try:
        if not understood:
            raise customers.TermsInvalid(field=field)
        customers.check_term(field, value)
    except customers.TermsInvalid as invalid:
        await reply(update, context, invalid.template, **invalid.details)
        return None
    data["value"] = None if value is None else str(value)
    await reply(update, context, "approvals/ask_reason", field=field, value=value)
    return REASON


async def reason_given(update: Update, context: BotContext) -> int | None:
    data = _data(context)
    raw = data.get("value")
    value = None if raw is None else Decimal(raw)
    deps = context.deps
    try:
        with finishing(update, context, NAME) as session:
            decision = approvals.request_terms(
                session,
                context.me,
                int(data["customer_id"]),
                data["field"],
                value,
                message_text(update),
                now=deps.now(),
            )
            view = approvals.request_view(session, context.me, decision.request_id)
    except approvals.ReasonInvalid as invalid:
        await reply(update, context, invalid.template)
        return None
    clear_conversation_data(context, NAME)
    await reply(update, context, "approvals/asked", request=view, waiting=bool(decision.notify))
    await ask_approvers(context, decision)
    return END


def terms_request_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(start, pattern=r"^tq:\d+$")],
        states={
            FIELD: [
                CallbackQueryHandler(field_chosen, pattern=r"^tq:f:\w+$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            VALUE: [MessageHandler(TEXT, value_given)],
            REASON: [MessageHandler(TEXT, reason_given)],
        },
    )
