"""✏️ Edit on a customer card: the customer's name, phone, address, industry, tier and purchase
timeframe; each contact's name, role, phone, birthday, language and time zone; and ➕ Add
contact (name, role, phone, birthday). One field at a time; every change is on the timeline.

Every button carries the ids it acts on, so it works again after a restart or a /cancel."""

from __future__ import annotations

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
from bot.handlers.history import history_button
from bot.handlers.replies import (
    Button,
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    show,
)
from bot.services import customers, records
from bot.services.errors import NotFound

NAME = "record_edit"
VALUE, ADD_NAME, ADD_TITLE, ADD_PHONE, ADD_BIRTHDAY = range(5)
TEXT = filters.TEXT & ~filters.COMMAND
ADD_STEPS = ("name", "title", "phone", "birthday")
# Fields that may be left empty: their question offers a button to clear them.
CLEARABLE = {"phone", "address", "industry", "tier", "timeframe", "title", "birthday", "timezone"}


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _id(update: Update, index: int) -> int:
    found = int_part(callback_parts(update, "ed"), index)
    if found is None:
        raise NotFound()
    return found


async def edit_menu(update: Update, context: BotContext) -> int:
    """The customer's facts and contacts, a button for each."""
    customer_id = _id(update, 1)
    clear_conversation_data(context, NAME)
    with context.deps.db.session() as session:
        card = customers.customer_card(
            session, context.me, customer_id, today=context.local_today()
        )
    fields = [
        (label(update, context, "record_field", field), f"ed:f:{customer_id}:{field}")
        for field in records.CUSTOMER_FIELDS
    ]
    people: list[list[Button]] = [
        [(label(update, context, "edit_contact", contact), f"ed:ct:{contact.contact_id}")]
        for contact in card.contacts[:8]
    ]
    rows = [
        fields[0:2],
        fields[2:4],
        fields[4:6],
        *people,
        [(label(update, context, "add_contact"), f"ed:add:{customer_id}")],
        [(label(update, context, "back_to_card"), f"cus:open:{customer_id}")],
    ]
    await show(update, context, "records/edit_menu", markup=keyboard(rows), card=card)
    return END


async def contact_menu(update: Update, context: BotContext) -> int:
    contact_id = _id(update, 1)
    clear_conversation_data(context, NAME)
    with context.deps.db.session() as session:
        facts = records.contact_facts(session, context.me, contact_id)
    fields = [
        (label(update, context, "contact_field", field), f"ed:cf:{contact_id}:{field}")
        for field in records.CONTACT_FIELDS
    ]
    rows = [
        fields[0:2],
        fields[2:4],
        fields[4:6],
        [
            (label(update, context, "back_to_card"), f"cus:open:{facts.customer_id}"),
            history_button(update, context, "ct", contact_id),
        ],
    ]
    await show(update, context, "records/contact_menu", markup=keyboard(rows), facts=facts)
    return END


def _choices(update: Update, context: BotContext, field: str) -> list[list[Button]]:
    buttons: list[Button] = [
        (label(update, context, "field_choice", field, value), f"ed:v:{value}")
        for value in records.CHOICES.get(field, ())
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if field in CLEARABLE:
        rows.append([(label(update, context, "clear_value"), "ed:v:-")])
    return rows


async def _ask_value(update: Update, context: BotContext, *, again: bool = False) -> int:
    data = _data(context)
    field = data["field"]
    rows = _choices(update, context, field)
    markup = keyboard(rows) if rows else None
    template = "records/value_invalid" if again else "records/ask_value"
    values = {"field": field, "record_name": data["record_name"], "current": data["current"]}
    if again:
        await reply(update, context, template, markup=markup, **values)
    else:
        await show(update, context, template, markup=markup, **values)
    return VALUE


async def customer_field(update: Update, context: BotContext) -> int:
    customer_id, field = _id(update, 1), callback_parts(update, "ed")[2]
    if field not in records.CUSTOMER_FIELDS:
        raise NotFound()
    with context.deps.db.session() as session:
        card = customers.customer_card(
            session, context.me, customer_id, today=context.local_today()
        )
    clear_conversation_data(context, NAME)
    current = {
        "name": card.name,
        "phone": card.phone,
        "address": card.address,
        "industry": card.industry,
        "tier": card.tier,
        "timeframe": card.timeframe,
    }[field]
    _data(context).update(
        target="customer", id=customer_id, field=field, record_name=card.name, current=current
    )
    return await _ask_value(update, context)


async def contact_field(update: Update, context: BotContext) -> int:
    contact_id, field = _id(update, 1), callback_parts(update, "ed")[2]
    if field not in records.CONTACT_FIELDS:
        raise NotFound()
    with context.deps.db.session() as session:
        facts = records.contact_facts(session, context.me, contact_id)
    clear_conversation_data(context, NAME)
    _data(context).update(
        target="contact",
        id=contact_id,
        field=field,
        record_name=facts.name,
        current=getattr(facts, field),
    )
    return await _ask_value(update, context)


async def _save(update: Update, context: BotContext, value: str | None) -> int | None:
    data = _data(context)
    deps = context.deps
    edit = records.edit_customer if data["target"] == "customer" else records.edit_contact
    try:
        with deps.db.session() as session:
            target_id, field = int(data["id"]), data["field"]
            change = edit(session, context.me, target_id, field, value, now=deps.now())
    except records.ValueInvalid:
        await _ask_value(update, context, again=True)
        return None
    clear_conversation_data(context, NAME)
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "records/saved", change=change)
    await send_card(update, context, change.customer_id, edit=False)
    return END


async def value_typed(update: Update, context: BotContext) -> int | None:
    if _data(context)["field"] in records.CHOICES:
        return await pick_with_buttons(update, context)
    return await _save(update, context, message_text(update))


async def value_chosen(update: Update, context: BotContext) -> int | None:
    value = callback_parts(update, "ed")[1]
    return await _save(update, context, None if value == "-" else value)


# -- ➕ Add contact ------------------------------------------------------------------------------


def _skip(update: Update, context: BotContext) -> Any:
    return keyboard([[(label(update, context, "skip"), "ed:skip")]])


async def _ask_add_step(update: Update, context: BotContext, step: int, *, again: bool) -> int:
    field = ADD_STEPS[step]
    await reply(
        update,
        context,
        "records/add_contact_ask",
        markup=_skip(update, context) if step else None,
        field=field,
        again=again,
        customer_name=_data(context)["customer_name"],
    )
    return ADD_NAME + step


async def add_contact(update: Update, context: BotContext) -> int:
    customer_id = _id(update, 1)
    with context.deps.db.session() as session:
        card = customers.customer_card(
            session, context.me, customer_id, today=context.local_today()
        )
    clear_conversation_data(context, NAME)
    _data(context).update(customer_id=customer_id, customer_name=card.name, draft={})
    if update.callback_query is not None:
        await answer_query(update)
    return await _ask_add_step(update, context, 0, again=False)


async def _add_step_given(update: Update, context: BotContext, text: str | None) -> int | None:
    data = _data(context)
    draft: dict[str, str | None] = data["draft"]
    step = len(draft)
    deps = context.deps
    try:
        records.check_contact_value(ADD_STEPS[step], text, now=deps.now())
    except records.ValueInvalid:
        return await _ask_add_step(update, context, step, again=True)
    draft[ADD_STEPS[step]] = text
    if step + 1 < len(ADD_STEPS):
        if update.callback_query is not None:
            await answer_query(update)
        return await _ask_add_step(update, context, step + 1, again=False)
    with deps.db.session() as session:
        change = records.add_contact(
            session,
            context.me,
            int(data["customer_id"]),
            records.ContactDraft(
                name=draft["name"] or "",
                title=draft["title"],
                phone=draft["phone"],
                birthday=draft["birthday"],
            ),
            now=deps.now(),
        )
    clear_conversation_data(context, NAME)
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "records/saved", change=change)
    await send_card(update, context, change.customer_id, edit=False)
    return END


async def add_step_typed(update: Update, context: BotContext) -> int | None:
    return await _add_step_given(update, context, message_text(update))


async def add_step_skipped(update: Update, context: BotContext) -> int | None:
    if not _data(context)["draft"]:
        return await pick_with_buttons(update, context)  # the name cannot be skipped
    return await _add_step_given(update, context, None)


def record_edit_conversation() -> ConversationHandler[BotContext]:
    add_step = [
        MessageHandler(TEXT, add_step_typed),
        CallbackQueryHandler(add_step_skipped, pattern=r"^ed:skip$"),
    ]
    return make_conversation(
        NAME,
        entry_points=[
            CallbackQueryHandler(edit_menu, pattern=r"^ed:cus:\d+$"),
            CallbackQueryHandler(contact_menu, pattern=r"^ed:ct:\d+$"),
            CallbackQueryHandler(customer_field, pattern=r"^ed:f:\d+:\w+$"),
            CallbackQueryHandler(contact_field, pattern=r"^ed:cf:\d+:\w+$"),
            CallbackQueryHandler(add_contact, pattern=r"^ed:add:\d+$"),
        ],
        states={
            VALUE: [
                MessageHandler(TEXT, value_typed),
                CallbackQueryHandler(value_chosen, pattern=r"^ed:v:[\w-]+$"),
            ],
            ADD_NAME: add_step,
            ADD_TITLE: add_step,
            ADD_PHONE: add_step,
            ADD_BIRTHDAY: add_step,
        },
    )
