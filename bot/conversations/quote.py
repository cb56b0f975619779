"""/quote (or 🧾 Quote on a deal card): pick products by search, quantities and a discount per
line or overall; the summary shows the totals and the approval needed; Submit issues the quote
or sends it to the approvers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
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
    pick_with_buttons,
)
from bot.handlers.quotes import request_approvals, send_quote_document
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    show,
)
from bot.parsing.amounts import MAX_AMOUNT
from bot.services import company, quotes
from bot.services.errors import NotFound
from models import Product

NAME = "quote"
DEAL, PRODUCT, QUANTITY, DISCOUNT, REVIEW, OVERALL = range(6)
TEXT = filters.TEXT & ~filters.COMMAND
QUICK_DISCOUNTS = ("0", "5", "10", "15")


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _lines(context: BotContext) -> list[quotes.LineDraft]:
    return [
        quotes.LineDraft(
            int(item["product_id"]), Decimal(item["quantity"]), Decimal(item["discount"])
        )
        for item in _data(context).get("lines", [])
    ]


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", "").strip())
    except InvalidOperation:
        return None
    # Beyond any amount a quote may hold (1e309 is a finite Decimal): not a number here.
    return value if value.is_finite() and abs(value) <= MAX_AMOUNT else None


async def start(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    with context.deps.db.session() as session:
        deals = quotes.quotable_deals(session, context.me)
    rows = [
        [(label(update, context, "deal_choice", title, customer), f"q:deal:{deal_id}")]
        for deal_id, title, customer in deals
    ]
    await reply(
        update, context, "quotes/pick_deal", markup=keyboard(rows) if rows else None, deals=deals
    )
    return DEAL if deals else END


async def deal_chosen(update: Update, context: BotContext) -> int:
    deal_id = int_part(callback_parts(update, "q"), 1)
    if deal_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        title, customer, customer_id = quotes.deal_label(session, context.me, deal_id)
    clear_conversation_data(context, NAME)
    _data(context).update(
        deal_id=deal_id,
        title=title,
        customer=customer,
        customer_id=customer_id,
        lines=[],
        overall="0",
    )
    await show(
        update, context, "quotes/ask_product", lines=[], deal_title=title, customer_name=customer
    )
    return PRODUCT


async def product_typed(update: Update, context: BotContext) -> int:
    query = message_text(update)[:60]
    with context.deps.db.session() as session:
        found = quotes.find_products(session, query)
    rows = [[(label(update, context, "product_button", p), f"q:prod:{p.id}")] for p in found]
    await reply(
        update,
        context,
        "quotes/products_found",
        markup=keyboard(rows) if rows else None,
        products=found,
        query=query,
    )
    return PRODUCT


async def product_chosen(update: Update, context: BotContext) -> int:
    product_id = int_part(callback_parts(update, "q"), 1)
    with context.deps.db.session() as session:
        product = session.get(Product, product_id) if product_id else None
    if product is None or not product.is_active:
        raise NotFound()
    _data(context)["product_id"] = product.id
    await show(update, context, "quotes/ask_quantity", product=product)
    return QUANTITY


async def quantity_given(update: Update, context: BotContext) -> int | None:
    quantity = _number(message_text(update))
    if quantity is None or quantity <= 0 or quantity != quantity.quantize(Decimal("0.01")):
        await reply(update, context, "quotes/quantity_invalid")
        return None
    _data(context)["quantity"] = str(quantity)
    rows = [
        [(label(update, context, "percent", value), f"q:disc:{value}") for value in QUICK_DISCOUNTS]
    ]
    await reply(update, context, "quotes/ask_discount", markup=keyboard(rows))
    return DISCOUNT


async def discount_given(update: Update, context: BotContext) -> int | None:
    parts = callback_parts(update, "q")
    discount = _number(parts[1]) if parts else _number(message_text(update))
    if discount is None or not Decimal(0) <= discount <= Decimal(100):
        await reply(update, context, "quotes/discount_invalid")
        return None
    data = _data(context)
    data["lines"] = [
        *data.get("lines", []),
        {"product_id": data["product_id"], "quantity": data["quantity"], "discount": str(discount)},
    ]
    return await _review(update, context)


async def _review(update: Update, context: BotContext) -> int:
    data = _data(context)
    deps = context.deps
    try:
        with deps.db.session() as session:
            pricing = quotes.price_quote(
                session,
                _lines(context),
                Decimal(data.get("overall", "0")),
                company.quote_limits(session, deps.settings),
                customer_id=data.get("customer_id"),
            )
    except quotes.QuoteInvalid as invalid:
        data["lines"] = data["lines"][:-1]
        await reply(update, context, invalid.template, **invalid.details)
        if not data["lines"]:
            await reply(
                update,
                context,
                "quotes/ask_product",
                lines=[],
                deal_title=data["title"],
                customer_name=data["customer"],
            )
            return PRODUCT
        return await _review(update, context)
    rows = [
        [
            (label(update, context, "add_product"), "q:add"),
            (label(update, context, "overall_discount"), "q:overall"),
        ],
        [
            (label(update, context, "remove_last"), "q:rmlast"),
            (label(update, context, "submit"), "q:submit"),
        ],
    ]
    await (show if update.callback_query else reply)(
        update,
        context,
        "quotes/summary",
        markup=keyboard(rows),
        pricing=pricing,
        deal_title=data["title"],
        customer_name=data["customer"],
    )
    return REVIEW


async def add_product(update: Update, context: BotContext) -> int:
    data = _data(context)
    await show(
        update,
        context,
        "quotes/ask_product",
        lines=data["lines"],
        deal_title=data["title"],
        customer_name=data["customer"],
    )
    return PRODUCT


async def remove_last(update: Update, context: BotContext) -> int:
    data = _data(context)
    data["lines"] = data["lines"][:-1]
    if not data["lines"]:
        return await add_product(update, context)
    return await _review(update, context)


async def ask_overall(update: Update, context: BotContext) -> int:
    await show(update, context, "quotes/ask_overall")
    return OVERALL


async def overall_given(update: Update, context: BotContext) -> int | None:
    discount = _number(message_text(update))
    if discount is None or not Decimal(0) <= discount <= Decimal(100):
        await reply(update, context, "quotes/discount_invalid")
        return None
    _data(context)["overall"] = str(discount)
    return await _review(update, context)


async def submit(update: Update, context: BotContext) -> int:
    """Submit, unless the customer holds a valid quote with other prices for the same products:
    then warn first (Submit anyway / Back)."""
    data = _data(context)
    deps = context.deps
    if callback_parts(update, "q")[:1] != ["force"]:
        with deps.db.session() as session:
            conflicts = quotes.price_conflicts(
                session,
                context.me,
                int(data["deal_id"]),
                _lines(context),
                Decimal(data.get("overall", "0")),
                limits=company.quote_limits(session, deps.settings),
                today=context.local_today(),
            )
        if conflicts:
            rows = [
                [
                    (label(update, context, "submit_anyway"), "q:force"),
                    (label(update, context, "back_to_quote"), "q:back"),
                ]
            ]
            await show(
                update, context, "quotes/price_conflict", markup=keyboard(rows), conflicts=conflicts
            )
            return REVIEW
    with finishing(update, context, NAME) as session:
        decision = quotes.submit_quote(
            session,
            context.me,
            int(data["deal_id"]),
            _lines(context),
            Decimal(data.get("overall", "0")),
            limits=company.quote_limits(session, deps.settings),
            now=deps.now(),
        )
        view = quotes.quote_view(session, context.me, decision.quote_id)
    clear_conversation_data(context, NAME)
    await show(update, context, "quotes/submitted", decision=decision, quote=view)
    await send_quote_document(context, decision)
    await request_approvals(context, decision)
    return END


async def back_to_review(update: Update, context: BotContext) -> int:
    return await _review(update, context)


def quote_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[
            CommandHandler("quote", start),
            CallbackQueryHandler(deal_chosen, pattern=r"^q:deal:\d+$"),
        ],
        states={
            DEAL: [CallbackQueryHandler(deal_chosen, pattern=r"^q:deal:\d+$")],
            PRODUCT: [
                MessageHandler(TEXT, product_typed),
                CallbackQueryHandler(product_chosen, pattern=r"^q:prod:\d+$"),
            ],
            QUANTITY: [MessageHandler(TEXT, quantity_given)],
            DISCOUNT: [
                MessageHandler(TEXT, discount_given),
                CallbackQueryHandler(discount_given, pattern=r"^q:disc:\d+$"),
            ],
            REVIEW: [
                CallbackQueryHandler(add_product, pattern=r"^q:add$"),
                CallbackQueryHandler(ask_overall, pattern=r"^q:overall$"),
                CallbackQueryHandler(remove_last, pattern=r"^q:rmlast$"),
                CallbackQueryHandler(submit, pattern=r"^q:(submit|force)$"),
                CallbackQueryHandler(back_to_review, pattern=r"^q:back$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            OVERALL: [MessageHandler(TEXT, overall_given)],
        },
    )
