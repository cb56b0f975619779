"""Won deal → order: what it bills (the deal's quote, said up front; without a quote the rep
confirms the deal's value first), delivery date, who delivers, who collects, and the payment
schedule (one payment at delivery plus the customer's terms, or instalments as "5000 Dec 31")."""

from __future__ import annotations

import re
from datetime import date
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
from bot.handlers.orders import send_order_card
from bot.handlers.replies import (
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

NAME = "order"
# New steps go at the end: a conversation persisted mid-way keeps meaning the same step.
DELIVERY, DELIVERY_OWNER, PAYMENT_OWNER, SCHEDULE, INSTALMENTS, CONFIRM_VALUE = range(6)
TEXT = filters.TEXT & ~filters.COMMAND
PERCENT = re.compile(r"^(\d{1,3}(?:\.\d+)?)\s*%\s*(.*)$")


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _deal_id(context: BotContext) -> int:
    return int(_data(context)["deal_id"])


def _billing(context: BotContext) -> orders.Billing:
    """What the order bills, as shown to the person when the conversation began."""
    saved = _data(context).get("billing")
    if saved is None:  # a conversation begun before orders billed quotes: what it bills now
        with context.deps.db.session() as session:
            return orders.billing(session, context.me, _deal_id(context))
    return orders.Billing(
        quote_id=saved["quote_id"],
        quote_number=saved["quote_number"],
        accepted=bool(saved["accepted"]),
        total=Decimal(saved["total"]),
        currency=saved["currency"],
        deal_amount=Decimal(saved["deal_amount"]),
        deal_currency=saved["deal_currency"],
    )


async def start(update: Update, context: BotContext) -> int:
    deal_id = int_part(callback_parts(update, "ord"), 1)
    if deal_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        title = orders.deal_title(session, context.me, deal_id)  # a won deal the person may see
        billing = orders.billing(session, context.me, deal_id)
    clear_conversation_data(context, NAME)
    _data(context).update(
        deal_id=deal_id,
        deal_title=title,
        instalments=[],
        billing={
            "quote_id": billing.quote_id,
            "quote_number": billing.quote_number,
            "accepted": billing.accepted,
            "total": str(billing.total),
            "currency": billing.currency,
            "deal_amount": str(billing.deal_amount),
            "deal_currency": billing.deal_currency,
        },
    )
    if billing.quote_id is None:
        rows = [
            [
                (
                    label(update, context, "order_bill_value", billing.total, billing.currency),
                    "ord:val:ok",
                )
            ],
            [(label(update, context, "order_cancel"), "ord:val:no")],
        ]
        await show(
            update,
            context,
            "orders/confirm_value",
            markup=keyboard(rows),
            deal_title=title,
            billing=billing,
        )
        return CONFIRM_VALUE
    await show(update, context, "orders/ask_delivery", deal_title=title, billing=billing)
    return DELIVERY


async def value_confirmed(update: Update, context: BotContext) -> int:
    title = str(_data(context)["deal_title"])
    await show(update, context, "orders/ask_delivery", deal_title=title, billing=_billing(context))
    return DELIVERY


async def value_refused(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await show(update, context, "orders/value_refused")
    return END


async def _ask_person(update: Update, context: BotContext, step: str) -> None:
    with context.deps.db.session() as session:
        people = orders.order_people(session, context.me, _deal_id(context))
    rows = [
        [(label(update, context, "person_button", person), f"ord:{step}:{person.user_id}")]
        for person in people
    ]
    template = "orders/ask_delivery_owner" if step == "dv" else "orders/ask_payment_owner"
    await show(update, context, template, markup=keyboard(rows))


async def delivery_given(update: Update, context: BotContext) -> int | None:
    text = message_text(update)
    when = parse_when(text, now=context.deps.now(), zone=context.me.timezone)
    if when is None:
        await reply(update, context, "orders/delivery_unclear", text=text)
        return None
    _data(context)["delivery_date"] = when.day.isoformat()
    await _ask_person(update, context, "dv")
    return DELIVERY_OWNER


async def delivery_owner_chosen(update: Update, context: BotContext) -> int:
    _data(context)["delivery_owner_id"] = int_part(callback_parts(update, "ord"), 1)
    await _ask_person(update, context, "po")
    return PAYMENT_OWNER


async def payment_owner_chosen(update: Update, context: BotContext) -> int:
    data = _data(context)
    data["payment_owner_id"] = int_part(callback_parts(update, "ord"), 1)
    with context.deps.db.session() as session:
        [single] = orders.default_schedule(
            session, context.me, _deal_id(context), date.fromisoformat(data["delivery_date"])
        )
    billing = _billing(context)
    rows = [
        [
            (
                label(
                    update, context, "one_payment", single.amount, billing.currency, single.due_date
                ),
                "ord:sch:one",
            )
        ],
        [(label(update, context, "split_payments"), "ord:sch:split")],
    ]
    await show(
        update,
        context,
        "orders/ask_schedule",
        markup=keyboard(rows),
        billing=billing,
    )
    return SCHEDULE


async def one_payment(update: Update, context: BotContext) -> int:
    data = _data(context)
    with context.deps.db.session() as session:
        schedule = orders.default_schedule(
            session, context.me, _deal_id(context), date.fromisoformat(data["delivery_date"])
        )
    return await _create(update, context, schedule)


async def _ask_instalment(update: Update, context: BotContext, *, unclear: bool = False) -> int:
    planned = _planned(context)
    billing = _billing(context)
    left = billing.total - sum((item.amount for item in planned), Decimal(0))
    await (reply if unclear or update.callback_query is None else show)(
        update,
        context,
        "orders/instalment_unclear" if unclear else "orders/ask_instalment",
        planned=planned,
        left=left,
        currency=billing.currency,
        example=f"{(left / 2).quantize(Decimal('1')):,}",
    )
    return INSTALMENTS


def _planned(context: BotContext) -> list[orders.InstalmentDraft]:
    return [
        orders.InstalmentDraft(Decimal(item["amount"]), date.fromisoformat(item["due"]))
        for item in _data(context).get("instalments", [])
    ]


async def split(update: Update, context: BotContext) -> int:
    return await _ask_instalment(update, context)


def _read_instalment(
    text: str, left: Decimal, total: Decimal, context: BotContext
) -> orders.InstalmentDraft | None:
    """ "5000 Dec 31", "50% in 30 days", "¥5000 下周五": an amount first, then a date."""
    text = text.strip()
    percent = PERCENT.match(text)
    if percent:
        amount = (total * Decimal(percent[1]) / 100).quantize(orders.CENT)
        rest = percent[2]
    else:
        head, _, rest = text.partition(" ")
        money = parse_amount(head)
        if money is None:
            return None
        amount = money.amount
    when = parse_when(rest, now=context.deps.now(), zone=context.me.timezone)
    if when is None or amount <= 0 or amount > left:
        return None
    return orders.InstalmentDraft(amount, when.day)


async def instalment_given(update: Update, context: BotContext) -> int:
    planned = _planned(context)
    total = _billing(context).total
    left = total - sum((item.amount for item in planned), Decimal(0))
    instalment = _read_instalment(message_text(update), left, total, context)
    if instalment is None:
        return await _ask_instalment(update, context, unclear=True)
    _data(context)["instalments"] = [
        *_data(context)["instalments"],
        {"amount": str(instalment.amount), "due": instalment.due_date.isoformat()},
    ]
    if instalment.amount == left:
        return await _create(update, context, [*planned, instalment])
    return await _ask_instalment(update, context)


async def _create(
    update: Update, context: BotContext, schedule: list[orders.InstalmentDraft]
) -> int:
    data = _data(context)
    draft = orders.OrderDraft(
        deal_id=_deal_id(context),
        delivery_date=date.fromisoformat(data["delivery_date"]),
        delivery_owner_id=int(data["delivery_owner_id"]),
        payment_owner_id=int(data["payment_owner_id"]),
        instalments=schedule,
        confirmed=_billing(context),
    )
    deps = context.deps
    try:
        with finishing(update, context, NAME) as session:
            order = orders.create_order(session, context.me, draft, now=deps.now())
            order_id = order.id or 0
    except orders.BillingChanged as changed:  # nothing saved; start again from the deal
        clear_conversation_data(context, NAME)
        await show(update, context, changed.template, **changed.details)
        return END
    clear_conversation_data(context, NAME)
    await send_order_card(update, context, order_id, edit=update.callback_query is not None)
    return END


def order_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(start, pattern=r"^ord:new:\d+$")],
        states={
            CONFIRM_VALUE: [
                CallbackQueryHandler(value_confirmed, pattern=r"^ord:val:ok$"),
                CallbackQueryHandler(value_refused, pattern=r"^ord:val:no$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            DELIVERY: [MessageHandler(TEXT, delivery_given)],
            DELIVERY_OWNER: [
                CallbackQueryHandler(delivery_owner_chosen, pattern=r"^ord:dv:\d+$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            PAYMENT_OWNER: [
                CallbackQueryHandler(payment_owner_chosen, pattern=r"^ord:po:\d+$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            SCHEDULE: [
                CallbackQueryHandler(one_payment, pattern=r"^ord:sch:one$"),
                CallbackQueryHandler(split, pattern=r"^ord:sch:split$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            INSTALMENTS: [MessageHandler(TEXT, instalment_given)],
        },
    )
