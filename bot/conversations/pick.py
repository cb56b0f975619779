"""Choosing a customer inside a flow (/visit, /deal): recent ones as buttons, or type part of a
name and tap a result. Buttons carry ``<flow>:cus:<id>``; the pick is re-checked on press."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import callback_parts, int_part, keyboard, label, reply, show
from bot.services import customers
from bot.services.customers import CustomerLine
from bot.services.errors import NotFound
from bot.services.visibility import visible_customer


def customer_buttons(
    update: Update, context: BotContext, prefix: str, lines: list[CustomerLine]
) -> list[list[tuple[str, str]]]:
    """One button per customer, with callback data ``prefix`` + the customer id."""
    return [
        [(label(update, context, "customer_button", line), f"{prefix}{line.customer_id}")]
        for line in lines
    ]


async def ask_customer(
    update: Update, context: BotContext, flow: str, *, edit: bool = False
) -> None:
    """Which customer? Recent ones as buttons; ``edit`` turns the pressed button's message
    into the question instead of sending a new one."""
    with context.deps.db.session() as session:
        recent = customers.recent_customers(session, context.me)
    await (show if edit else reply)(
        update,
        context,
        "visits/ask_customer",
        markup=keyboard(customer_buttons(update, context, f"{flow}:cus:", recent))
        if recent
        else None,
        recent=bool(recent),
    )


async def show_search_results(update: Update, context: BotContext, prefix: str, query: str) -> None:
    """The visible customers matching ``query`` as buttons with data ``prefix`` + id."""
    with context.deps.db.session() as session:
        results = customers.search_customers(session, context.me, query)
    await reply(
        update,
        context,
        "customers/search_results",
        markup=keyboard(customer_buttons(update, context, prefix, results)) if results else None,
        query=query,
        results=results,
    )


def picked_customer(update: Update, context: BotContext, flow: str) -> tuple[int, str]:
    """The id and name of the customer whose button was pressed, if the person may see it."""
    customer_id = int_part(callback_parts(update, flow), 1)
    if customer_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        customer = visible_customer(session, context.me, customer_id)
        return customer_id, customer.name
