"""⚙️ Terms on a customer card (directors, finance and admins: the people who may decide a terms
request's last step): the customer's allowed discount, payment terms or credit limit, one at a
time, set directly and recorded in the change history. Managers ask instead (⚙️ Ask for terms:
approved at their step, then finance decides)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
    pick_with_buttons,
)
from bot.handlers.customers import send_card
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
from bot.parsing.amounts import MAX_AMOUNT
from bot.services import customers
from bot.services.errors import NotAllowed, NotFound

NAME = "terms"
FIELD, VALUE = range(2)
TEXT = filters.TEXT & ~filters.COMMAND
NO_LIMIT = {"none", "no limit", "-", "—", "no", "不限", "无"}


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def parse_term(field: str, text: str) -> tuple[bool, Decimal | None]:
    """(understood, value) for a term typed by a person: "12.5%", "45", "50,000" or "none"."""
    flat = text.strip().lower()
    if field == "discount" and flat in NO_LIMIT:
        return True, None
    flat = flat.removesuffix("%").removesuffix("days").removesuffix("天").replace(",", "").strip()
    try:
        value = Decimal(flat)
    except InvalidOperation:
        return False, None
    return value.is_finite() and abs(value) <= MAX_AMOUNT, value


async def start(update: Update, context: BotContext) -> int:
    customer_id = int_part(callback_parts(update, "trm"), 0)
    if customer_id is None:
        raise NotFound()
    if not customers.may_set_terms(context.me):
        raise NotAllowed()
    clear_conversation_data(context, NAME)
    _data(context)["customer_id"] = customer_id
    rows = [
        [(label(update, context, "term_field", field), f"trm:f:{field}")]
        for field in customers.TERM_FIELDS
    ]
    with context.deps.db.session() as session:
        card = customers.customer_card(
            session, context.me, customer_id, today=context.local_today()
        )
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "customers/terms_pick", markup=keyboard(rows), card=card)
    return FIELD


async def field_chosen(update: Update, context: BotContext) -> int:
    field = callback_parts(update, "trm")[1]
    if field not in customers.TERM_FIELDS:
        raise NotFound()
    _data(context)["field"] = field
    await show(update, context, "customers/terms_ask", field=field)
    return VALUE


async def value_given(update: Update, context: BotContext) -> int | None:
    data = _data(context)
    field, customer_id = data["field"], int(data["customer_id"])
    understood, value = parse_term(field, message_text(update))
    deps = context.deps
    try:
        if not understood:
            raise customers.TermsInvalid(field=field)
        with deps.db.session() as session:
            customers.set_terms(session, context.me, customer_id, field, value, now=deps.now())
    except customers.TermsInvalid as invalid:
        await reply(update, context, invalid.template, **invalid.details)
        return None
    clear_conversation_data(context, NAME)
    await reply(update, context, "customers/terms_saved", field=field, value=value)
    await send_card(update, context, customer_id, edit=False)
    return END


def terms_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(start, pattern=r"^trm:\d+$")],
        states={
            FIELD: [
                CallbackQueryHandler(field_chosen, pattern=r"^trm:f:\w+$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            VALUE: [MessageHandler(TEXT, value_given)],
        },
    )
