"""/newcustomer (name, then optional phone and contact person), or a phone contact card shared
into the chat. Before creating, existing look-alikes are offered instead."""

from __future__ import annotations

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
from bot.conversations.pick import customer_buttons
from bot.handlers.customers import open_card, send_card
from bot.handlers.replies import keyboard, label, message_text, reply, show
from bot.parsing.text import one_line
from bot.services import customers, records
from bot.services.customers import CustomerNameInvalid, DuplicateCustomer
from bot.services.people import person_name

NAME = "newcustomer"
CUSTOMER_NAME, PHONE, CONTACT, CONFIRM_CONTACT, DUPLICATE = range(5)
TEXT = filters.TEXT & ~filters.COMMAND


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _skip(update: Update, context: BotContext, what: str) -> Any:
    return keyboard([[(label(update, context, "skip"), f"nc:skip:{what}")]])


async def start(update: Update, context: BotContext) -> int | None:
    clear_conversation_data(context, NAME)
    typed = message_text(update).partition(" ")[2].strip()
    if typed:
        return await _name_given(update, context, typed)
    await reply(update, context, "customers/ask_name")
    return CUSTOMER_NAME


async def name_typed(update: Update, context: BotContext) -> int | None:
    return await _name_given(update, context, message_text(update))


async def _name_given(update: Update, context: BotContext, name: str) -> int | None:
    clean = one_line(name)
    if not clean or len(clean) > 200:
        await reply(update, context, "customers/name_invalid")
        return None
    _data(context)["name"] = clean
    await reply(update, context, "customers/ask_phone", markup=_skip(update, context, "phone"))
    return PHONE


async def phone_typed(update: Update, context: BotContext) -> int | None:
    phone = message_text(update).strip()
    if not records.looks_like_phone(phone):
        await reply(
            update, context, "customers/phone_invalid", markup=_skip(update, context, "phone")
        )
        return None
    _data(context)["phone"] = phone
    await reply(update, context, "customers/ask_contact", markup=_skip(update, context, "contact"))
    return CONTACT


async def phone_skipped(update: Update, context: BotContext) -> int:
    _data(context)["phone"] = None
    await show(update, context, "customers/ask_contact", markup=_skip(update, context, "contact"))
    return CONTACT


async def contact_typed(update: Update, context: BotContext) -> int:
    _data(context)["contact_name"] = one_line(message_text(update))[:200]
    return await _create(update, context, allow_duplicate=False)


async def contact_skipped(update: Update, context: BotContext) -> int:
    _data(context)["contact_name"] = None
    return await _create(update, context, allow_duplicate=False)


async def contact_card_shared(update: Update, context: BotContext) -> int:
    """A phone contact shared outside any flow: offer to add it as a customer."""
    clear_conversation_data(context, NAME)
    contact = update.message.contact if update.message else None
    if contact is None:
        return END
    name = person_name(contact.first_name, contact.last_name)  # 何平, Chen Jie
    _data(context).update(name=name, phone=contact.phone_number, contact_name=name)
    await reply(
        update,
        context,
        "customers/contact_shared",
        markup=keyboard([[(label(update, context, "add_customer"), "nc:add")]]),
        name=name,
        phone=contact.phone_number,
    )
    return CONFIRM_CONTACT


async def add_confirmed(update: Update, context: BotContext) -> int:
    return await _create(update, context, allow_duplicate=False)


async def create_anyway(update: Update, context: BotContext) -> int:
    return await _create(update, context, allow_duplicate=True)


async def _create(update: Update, context: BotContext, *, allow_duplicate: bool) -> int:
    data = _data(context)
    deps = context.deps
    try:
        with finishing(update, context, NAME) as session:
            customer = customers.create_customer(
                session,
                context.me,
                name=data["name"],
                phone=data.get("phone"),
                contact_name=data.get("contact_name"),
                allow_duplicate=allow_duplicate,
                now=deps.now(),
            )
            customer_id, name = customer.id or 0, customer.name
    except DuplicateCustomer as duplicate:
        rows = customer_buttons(update, context, "cus:open:", duplicate.matches[:5])
        rows.append([(label(update, context, "create_anyway"), "nc:force")])
        await show(
            update, context, "customers/duplicate", markup=keyboard(rows), matches=duplicate.matches
        )
        return DUPLICATE
    except CustomerNameInvalid:
        await reply(update, context, "customers/name_invalid")
        return CUSTOMER_NAME
    clear_conversation_data(context, NAME)
    await reply(update, context, "customers/created", name=name)
    await send_card(update, context, customer_id, edit=False)
    return END


async def open_existing(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await open_card(update, context)
    return END


def newcustomer_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[
            CommandHandler("newcustomer", start),
            MessageHandler(filters.CONTACT, contact_card_shared),
        ],
        states={
            CUSTOMER_NAME: [MessageHandler(TEXT, name_typed)],
            PHONE: [
                MessageHandler(TEXT, phone_typed),
                CallbackQueryHandler(phone_skipped, pattern=r"^nc:skip:phone$"),
            ],
            CONTACT: [
                MessageHandler(TEXT, contact_typed),
                CallbackQueryHandler(contact_skipped, pattern=r"^nc:skip:contact$"),
            ],
            CONFIRM_CONTACT: [
                CallbackQueryHandler(add_confirmed, pattern=r"^nc:add$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            DUPLICATE: [
                CallbackQueryHandler(open_existing, pattern=r"^cus:open:\d+$"),
                CallbackQueryHandler(create_anyway, pattern=r"^nc:force$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
        },
    )
