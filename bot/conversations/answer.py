"""A rep answers a customer contact's question: the text goes back through the bot."""

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
from bot.handlers.replies import answer_query, callback_parts, int_part, message_text, reply
from bot.services import contacts
from bot.services.errors import NotFound

NAME = "answer"
TEXT_STEP = 0


async def start(update: Update, context: BotContext) -> int:
    contact_id = int_part(callback_parts(update, "rr"), 0)
    if contact_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        person = contacts.contact_for_rep(session, context.me, contact_id)
    conversation_data(context, NAME)["contact_id"] = contact_id
    if update.callback_query is not None:
        await answer_query(update)
    await reply(update, context, "contacts/ask_answer", person=person)
    return TEXT_STEP


async def answered(update: Update, context: BotContext) -> int | None:
    text = message_text(update).strip()
    contact_id = int(conversation_data(context, NAME)["contact_id"])
    deps = context.deps
    with deps.db.session() as session:
        person = contacts.contact_for_rep(session, context.me, contact_id)
    if not text:  # nothing but spaces or control characters: ask again
        await reply(update, context, "contacts/ask_answer", person=person)
        return None
    chat = contacts.chat_of(person)
    message = deps.renderer.message(
        person.language, "contacts/answer", rep_name=context.me.full_name, text=text
    )
    await context.bot.send_message(chat, message)
    with deps.db.session() as session:  # sent: their open questions are answered
        contacts.questions_answered(session, context.me, contact_id, now=deps.now())
    clear_conversation_data(context, NAME)
    await reply(update, context, "contacts/answer_sent", person=person)
    return END


def answer_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(start, pattern=r"^rr:\d+$")],
        states={TEXT_STEP: [MessageHandler(filters.TEXT & ~filters.COMMAND, answered)]},
    )
