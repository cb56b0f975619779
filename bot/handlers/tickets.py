"""/tickets (open service requests, most urgent first) and the ticket card with its status
buttons."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    language_of_chat,
    reply,
    show,
)
from bot.services import tickets
from bot.services.errors import NotFound
from models import TicketStatus


async def send_ticket_card(
    update: Update, context: BotContext, ticket_id: int, *, edit: bool
) -> None:
    deps = context.deps
    with deps.db.session() as session:
        ticket = tickets.ticket_view(session, context.me, ticket_id, now=deps.now())
    rows = [
        [(label(update, context, "ticket_move", status), f"tk:mv:{ticket_id}:{status}")]
        for status in tickets.NEXT_STATUS[ticket.status]
    ]
    rows.append([(label(update, context, "open_customer"), f"cus:open:{ticket.customer_id}")])
    await (show if edit else reply)(
        update,
        context,
        "tickets/card",
        markup=keyboard(rows),
        ticket=ticket,
        timezone=context.me.timezone,
    )


async def open_card(update: Update, context: BotContext) -> None:
    ticket_id = int_part(callback_parts(update, "tk"), 1)
    if ticket_id is None:
        raise NotFound()
    await send_ticket_card(update, context, ticket_id, edit=True)


async def move(update: Update, context: BotContext) -> None:
    parts = callback_parts(update, "tk")
    ticket_id = int_part(parts, 1)
    try:
        status = TicketStatus(parts[2])
    except (IndexError, ValueError):
        raise NotFound() from None
    if ticket_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        view = tickets.move_ticket(session, context.me, ticket_id, status, now=deps.now())
        chats = tickets.rating_chats(session, ticket_id) if status == TicketStatus.RESOLVED else []
    await send_ticket_card(update, context, ticket_id, edit=True)
    stars = keyboard([[(str(n) + "★", f"ct:rate:{ticket_id}:{n}") for n in range(1, 6)]])
    for chat in chats:
        text = deps.renderer.message(
            language_of_chat(context, chat), "tickets/ask_rating", ticket=view
        )
        await context.bot.send_message(chat, text, reply_markup=stars)


async def list_open(update: Update, context: BotContext) -> None:
    deps = context.deps
    with deps.db.session() as session:
        items = tickets.open_tickets(session, context.me, now=deps.now())
    rows = [
        [(label(update, context, "ticket_button", item), f"tk:open:{item.ticket_id}")]
        for item in items
    ]
    await reply(
        update,
        context,
        "tickets/list",
        markup=keyboard(rows) if rows else None,
        tickets=items,
        timezone=context.me.timezone,
    )
