"""Edit a saved touch: what happened, the next step, or the follow-up date."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
)
from bot.conversations.visit import show_saved
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    show,
)
from bot.parsing.dates import parse_when
from bot.services import visits
from bot.services.errors import NotFound
from bot.services.visibility import visible_customer

NAME = "visit_edit"
FIELD, VALUE = range(2)
TEXT = filters.TEXT & ~filters.COMMAND


async def start_edit(update: Update, context: BotContext) -> int:
    touch_id = int_part(callback_parts(update, "vis"), 1)
    if touch_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        visits.get_touch(session, context.me, touch_id)  # visible, else "not found"
    clear_conversation_data(context, NAME)
    conversation_data(context, NAME)["touch_id"] = touch_id
    rows = [
        [(label(update, context, "edit_notes"), "ve:notes")],
        [(label(update, context, "edit_next_step"), "ve:next")],
        [(label(update, context, "edit_follow_up"), "ve:fu")],
    ]
    await reply(update, context, "visits/ask_edit_field", markup=keyboard(rows))
    return FIELD


async def field_chosen(update: Update, context: BotContext) -> int:
    field = callback_parts(update, "ve")[0]
    conversation_data(context, NAME)["field"] = field
    template = {
        "notes": "visits/ask_new_notes",
        "next": "visits/ask_new_next_step",
        "fu": "visits/ask_follow_up",
    }[field]
    await show(update, context, template)
    return VALUE


async def value_given(update: Update, context: BotContext) -> int | None:
    data = conversation_data(context, NAME)
    text = message_text(update)
    deps = context.deps
    changes: dict[str, object] = {}
    if data.get("field") == "notes":
        changes["notes"] = text
    elif data.get("field") == "next":
        changes["next_step"] = text
    else:
        when = parse_when(text, now=deps.now(), zone=context.me.timezone)
        if when is None:
            await reply(update, context, "visits/follow_up_unclear", text=text)
            return None
        changes["follow_up_at"] = when.instant(context.me.timezone)
        changes["follow_up_has_time"] = when.time is not None
    touch_id = int(data["touch_id"])
    with deps.db.session() as session:
        touch = visits.edit_touch(
            session,
            context.me,
            touch_id,
            now=deps.now(),
            **changes,  # type: ignore[arg-type]
        )
        customer_name = visible_customer(session, context.me, touch.customer_id).name
    clear_conversation_data(context, NAME)
    await show_saved(update, context, touch_id, customer_name, undo=True)
    return END


def visit_edit_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(start_edit, pattern=r"^vis:edit:\d+$")],
        states={
            FIELD: [CallbackQueryHandler(field_chosen, pattern=r"^ve:(notes|next|fu)$")],
            VALUE: [MessageHandler(TEXT, value_given)],
        },
    )
