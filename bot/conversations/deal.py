"""/deal: create a deal (customer, title, amount with currency, expected close, purchase
timeframe, source), then its card with the stage buttons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

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
    pick_with_buttons,
)
from bot.conversations.pick import ask_customer, picked_customer, show_search_results
from bot.handlers.deals import send_deal_card
from bot.handlers.replies import callback_parts, keyboard, label, message_text, reply, show
from bot.parsing.amounts import parse_amount
from bot.parsing.dates import parse_when
from bot.parsing.text import one_line
from bot.services import deals
from models import Timeframe

NAME = "deal"
CUSTOMER, TITLE, AMOUNT, CLOSE, TIMEFRAME, SOURCE = range(6)
TEXT = filters.TEXT & ~filters.COMMAND


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


async def start_deal(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    typed = message_text(update).partition(" ")[2].strip()
    if typed:
        await show_search_results(update, context, "dl:cus:", typed)
    else:
        await ask_customer(update, context, "dl")
    return CUSTOMER


async def customer_typed(update: Update, context: BotContext) -> int:
    await show_search_results(update, context, "dl:cus:", message_text(update)[:100])
    return CUSTOMER


async def customer_picked(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    customer_id, name = picked_customer(update, context, "dl")
    _data(context).update(customer_id=customer_id, customer_name=name)
    await show(update, context, "deals/ask_title", customer_name=name)
    return TITLE


async def title_given(update: Update, context: BotContext) -> int | None:
    title = one_line(message_text(update))
    if not title or len(title) > 200:
        await reply(update, context, "deals/title_invalid")
        return None
    _data(context)["title"] = title
    await reply(
        update, context, "deals/ask_amount", currency=context.deps.settings.default_currency
    )
    return AMOUNT


async def amount_given(update: Update, context: BotContext) -> int | None:
    text = message_text(update)
    money = parse_amount(text)
    if money is None:
        await reply(update, context, "deals/amount_unclear", text=text)
        return None
    _data(context).update(
        amount=str(money.amount),
        currency=money.currency or context.deps.settings.default_currency,
    )
    await reply(
        update,
        context,
        "deals/ask_close",
        markup=keyboard([[(label(update, context, "skip"), "dl:skip:close")]]),
    )
    return CLOSE


async def close_given(update: Update, context: BotContext) -> int | None:
    text = message_text(update)
    now = context.deps.now()
    when = parse_when(text, now=now, zone=context.me.timezone)
    skip = keyboard([[(label(update, context, "skip"), "dl:skip:close")]])
    if when is None:
        await reply(update, context, "deals/close_unclear", markup=skip, text=text)
        return None
    if when.day < now.astimezone(ZoneInfo(context.me.timezone)).date():
        await reply(update, context, "deals/close_past", markup=skip, day=when.day)
        return None
    _data(context)["expected_close"] = when.day.isoformat()
    return await _ask_timeframe(update, context)


async def close_skipped(update: Update, context: BotContext) -> int:
    _data(context)["expected_close"] = None
    return await _ask_timeframe(update, context)


async def _ask_timeframe(update: Update, context: BotContext) -> int:
    rows = [
        [(label(update, context, "timeframe", item.value), f"dl:tf:{item.value}")]
        for item in Timeframe
    ]
    rows.append([(label(update, context, "skip"), "dl:tf:skip")])
    await show(update, context, "deals/ask_timeframe", markup=keyboard(rows))
    return TIMEFRAME


async def timeframe_chosen(update: Update, context: BotContext) -> int:
    value = callback_parts(update, "dl")[1]
    _data(context)["timeframe"] = None if value == "skip" else Timeframe(value).value
    buttons = [(label(update, context, "source", key), f"dl:src:{key}") for key in deals.SOURCES]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(label(update, context, "skip"), "dl:src:skip")])
    await show(update, context, "deals/ask_source", markup=keyboard(rows))
    return SOURCE


async def source_chosen(update: Update, context: BotContext) -> int:
    value = callback_parts(update, "dl")[1]
    data = _data(context)
    closing = data.get("expected_close")
    draft = deals.DealDraft(
        customer_id=int(data["customer_id"]),
        title=data["title"],
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        expected_close=date.fromisoformat(closing) if closing else None,
        timeframe=Timeframe(data["timeframe"]) if data.get("timeframe") else None,
        source=None if value == "skip" else value,
    )
    deps = context.deps
    with finishing(update, context, NAME) as session:
        deal = deals.create_deal(session, context.me, draft, now=deps.now())
    await send_deal_card(update, context, deal.id or 0, edit=True)
    return END


def deal_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[
            CommandHandler("deal", start_deal),
            CallbackQueryHandler(customer_picked, pattern=r"^dl:new:\d+$"),
        ],
        states={
            CUSTOMER: [
                CallbackQueryHandler(customer_picked, pattern=r"^dl:cus:\d+$"),
                MessageHandler(TEXT, customer_typed),
            ],
            TITLE: [MessageHandler(TEXT, title_given)],
            AMOUNT: [MessageHandler(TEXT, amount_given)],
            CLOSE: [
                MessageHandler(TEXT, close_given),
                CallbackQueryHandler(close_skipped, pattern=r"^dl:skip:close$"),
            ],
            TIMEFRAME: [
                CallbackQueryHandler(timeframe_chosen, pattern=r"^dl:tf:(now|3m|6m|12m|skip)$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            SOURCE: [
                CallbackQueryHandler(source_chosen, pattern=r"^dl:src:\w+$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
        },
    )
