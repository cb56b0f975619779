"""/ticket: open a service request or complaint (customer, kind, description), then its card."""

from __future__ import annotations

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
from bot.handlers.replies import callback_parts, keyboard, label, message_text, show
from bot.handlers.tickets import send_ticket_card
from bot.services import tickets
from bot.services.errors import NotFound
from models import TicketKind

NAME = "ticket"
CUSTOMER, KIND, DESCRIPTION = range(3)
TEXT = filters.TEXT & ~filters.COMMAND


async def start(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await ask_customer(update, context, "tk")
    return CUSTOMER


async def customer_typed(update: Update, context: BotContext) -> int:
    await show_search_results(update, context, "tk:cus:", message_text(update)[:100])
    return CUSTOMER


async def customer_picked(update: Update, context: BotContext) -> int:
    customer_id, name = picked_customer(update, context, "tk")
    conversation_data(context, NAME).update(customer_id=customer_id)
    rows = [
        [(label(update, context, "ticket_kind", kind.value), f"tk:kind:{kind.value}")]
        for kind in TicketKind
    ]
    await show(update, context, "tickets/ask_kind", markup=keyboard(rows), customer_name=name)
    return KIND


async def kind_chosen(update: Update, context: BotContext) -> int:
    try:
        kind = TicketKind(callback_parts(update, "tk")[1])
    except (IndexError, ValueError):
        raise NotFound() from None
    conversation_data(context, NAME)["kind"] = kind.value
    await show(update, context, "tickets/ask_description")
    return DESCRIPTION


async def description_given(update: Update, context: BotContext) -> int:
    data = conversation_data(context, NAME)
    deps = context.deps
    with finishing(update, context, NAME) as session:
        ticket = tickets.open_ticket(
            session,
            context.me,
            int(data["customer_id"]),
            TicketKind(data["kind"]),
            message_text(update),
            due_hours=deps.settings.ticket_due_hours,
            now=deps.now(),
        )
        ticket_id = ticket.id or 0
    clear_conversation_data(context, NAME)
    await send_ticket_card(update, context, ticket_id, edit=False)
    return END


def ticket_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CommandHandler("ticket", start)],
        states={
            CUSTOMER: [
                CallbackQueryHandler(customer_picked, pattern=r"^tk:cus:\d+$"),
                MessageHandler(TEXT, customer_typed),
            ],
            KIND: [
                CallbackQueryHandler(kind_chosen, pattern=r"^tk:kind:\w+$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            DESCRIPTION: [MessageHandler(TEXT, description_given)],
        },
    )
