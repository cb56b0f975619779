"""/pay: log a payment received against an order: which order, how much, and when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    finishing,
    make_conversation,
)
from bot.handlers.orders import send_order_card
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
from bot.parsing.amounts import parse_amount
from bot.parsing.dates import parse_when
from bot.services import orders
from bot.services.errors import NotFound

NAME = "pay"
ORDER, AMOUNT, RECEIVED = range(3)
TEXT = filters.TEXT & ~filters.COMMAND


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


async def start(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    with context.deps.db.session() as session:
        payable = orders.payable_orders(session, context.me, today=context.local_today())
    rows = [
        [(label(update, context, "order_button", order), f"pay:ord:{order.order_id}")]
        for order in payable
    ]
    await reply(
        update,
        context,
        "orders/pick_order",
        markup=keyboard(rows) if rows else None,
        orders=payable,
    )
    return ORDER if payable else END


async def order_chosen(update: Update, context: BotContext) -> int:
    order_id = int_part(callback_parts(update, "pay"), 1)
    if order_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        order = orders.order_view(session, context.me, order_id, today=context.local_today())
    clear_conversation_data(context, NAME)
    _data(context).update(order_id=order_id, currency=order.currency)
    await show(update, context, "orders/ask_payment", order=order)
    return AMOUNT


async def amount_given(update: Update, context: BotContext) -> int | None:
    text = message_text(update)
    money = parse_amount(text)
    if money is None:
        await reply(update, context, "orders/payment_unclear", text=text)
        return None
    currency = _data(context)["currency"]
    if money.currency not in (None, currency):
        await reply(update, context, "orders/currency_mismatch", currency=currency)
        return None
    _data(context)["amount"] = str(money.amount)
    await reply(
        update,
        context,
        "orders/ask_received_on",
        markup=keyboard([[(label(update, context, "today_button"), "pay:today")]]),
    )
    return RECEIVED


async def received_today(update: Update, context: BotContext) -> int | None:
    return await _log(update, context, context.local_today())


async def received_on_given(update: Update, context: BotContext) -> int | None:
    when = parse_when(message_text(update), now=context.deps.now(), zone=context.me.timezone)
    if when is None or when.day > context.local_today():
        await reply(update, context, "orders/received_unclear")
        return None
    return await _log(update, context, when.day)


async def _log(update: Update, context: BotContext, received_on: date) -> int | None:
    data = _data(context)
    order_id, amount = int(data["order_id"]), Decimal(data["amount"])
    deps = context.deps
    try:
        with finishing(update, context, NAME) as session:
            orders.log_payment(
                session, context.me, order_id, amount, received_on=received_on, now=deps.now()
            )
    except orders.Overpayment as refused:
        if update.callback_query is not None:
            await answer_query(update)
        await reply(update, context, refused.template, **refused.details)
        if refused.details["due"] == 0:
            clear_conversation_data(context, NAME)
            return END
        return AMOUNT
    clear_conversation_data(context, NAME)
    await send_order_card(
        update, context, order_id, edit=update.callback_query is not None, logged=amount
    )
    return END


def pay_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[
            CommandHandler("pay", start),
            CallbackQueryHandler(order_chosen, pattern=r"^pay:ord:\d+$"),
        ],
        states={
            ORDER: [CallbackQueryHandler(order_chosen, pattern=r"^pay:ord:\d+$")],
            AMOUNT: [MessageHandler(TEXT, amount_given)],
            RECEIVED: [
                CallbackQueryHandler(received_today, pattern=r"^pay:today$"),
                MessageHandler(TEXT, received_on_given),
            ],
        },
    )
