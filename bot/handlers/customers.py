"""/customers, search by typing a name, the customer card and its timeline."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.conversations.pick import customer_buttons, show_search_results
from bot.handlers.history import history_button
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    page_part,
    pager,
    reply,
    show,
)
from bot.services import agenda, approvals, customers
from bot.services.access import may_change_records
from bot.services.errors import NotFound
from models import Role


async def list_customers(update: Update, context: BotContext) -> None:
    """/customers [part of a name]: search, or the list a page at a time."""
    query = message_text(update).partition(" ")[2].strip()
    if query and update.callback_query is None:
        await search(update, context, query)
        return
    page_number = page_part(callback_parts(update, "cus"), 1)
    with context.deps.db.session() as session:
        page = customers.list_customers(session, context.me, page_number)
    rows = customer_buttons(update, context, "cus:open:", page.customers)
    pages = pager(update, context, page.page, page.pages, "cus:page")
    await show(
        update,
        context,
        "customers/list",
        markup=keyboard([*rows, pages]) if page.total else None,
        page=page,
        show_owner=context.me.role != Role.REP,
    )


async def search(update: Update, context: BotContext, query: str) -> None:
    await show_search_results(update, context, "cus:open:", query)


async def search_typed(update: Update, context: BotContext) -> None:
    """Plain text outside any flow is a customer search."""
    await search(update, context, message_text(update)[:100])


def card_buttons(
    update: Update, context: BotContext, customer_id: int
) -> list[list[tuple[str, str]]]:
    timeline = (label(update, context, "timeline"), f"tl:{customer_id}:0")
    terms = (label(update, context, "terms"), f"trm:{customer_id}")
    if not may_change_records(context.me.role):  # finance reads the card, sets its terms
        read_only = [timeline, history_button(update, context, "cus", customer_id)]
        return [[terms, *read_only] if customers.may_set_terms(context.me) else read_only]
    rows = [
        [
            (label(update, context, "log_visit"), f"vis:new:{customer_id}"),
            (label(update, context, "new_deal"), f"dl:new:{customer_id}"),
        ],
        [timeline, (label(update, context, "link_contact"), f"ct:list:{customer_id}")],
        [(label(update, context, "edit"), f"ed:cus:{customer_id}")],
    ]
    if customers.may_set_terms(context.me):
        rows[-1].append(terms)
    rows[-1].append(history_button(update, context, "cus", customer_id))
    if approvals.may_ask_terms(context.me):
        rows.insert(-1, [(label(update, context, "ask_terms"), f"tq:{customer_id}")])
    rows.append([(label(update, context, "set_location"), f"loc:set:{customer_id}")])
    return rows


async def send_card(update: Update, context: BotContext, customer_id: int, *, edit: bool) -> None:
    with context.deps.db.session() as session:
        card = customers.customer_card(
            session, context.me, customer_id, today=context.local_today()
        )
    show_or_reply = show if edit else reply
    await show_or_reply(
        update,
        context,
        "customers/card",
        markup=keyboard(card_buttons(update, context, customer_id)),
        card=card,
        timezone=context.me.timezone,
    )


async def open_card(update: Update, context: BotContext) -> None:
    customer_id = int_part(callback_parts(update, "cus"), 1)
    if customer_id is None:
        raise NotFound()
    await send_card(update, context, customer_id, edit=True)


async def timeline_page(update: Update, context: BotContext) -> None:
    parts = callback_parts(update, "tl")
    customer_id, page_number = int_part(parts, 0), page_part(parts, 1)
    if customer_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        page = agenda.timeline(session, context.me, customer_id, page_number)
    row = []
    if page.page > 0:
        row.append((label(update, context, "newer"), f"tl:{customer_id}:{page.page - 1}"))
    if page.has_more:
        row.append((label(update, context, "older"), f"tl:{customer_id}:{page.page + 1}"))
    rows = [row, [(label(update, context, "back_to_card"), f"cus:open:{customer_id}")]]
    await show(
        update,
        context,
        "customers/timeline",
        markup=keyboard(rows),
        page=page,
        timezone=context.me.timezone,
    )
