"""Marking a deal lost for an "other" reason: a few words of why, then the move."""

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
from bot.handlers.deals import send_deal_card
from bot.handlers.replies import callback_parts, int_part, message_text, reply, show
from bot.parsing.text import one_line
from bot.services import deals
from bot.services.errors import NotFound
from models import LostReason

NAME = "lost_note"
NOTE = 0


async def ask_note(update: Update, context: BotContext) -> int:
    parts = callback_parts(update, "deal")
    deal_id = int_part(parts, 1)
    if deal_id is None:
        raise NotFound()
    try:
        with context.deps.db.session() as session:
            # Visible, free to move, and not moved since the card was shown.
            deals.check_may_leave(
                session, context.me, deal_id, seen=parts[3] if len(parts) > 3 else None
            )
    except deals.DealChanged:
        await send_deal_card(update, context, deal_id, edit=True, changed=True)
        return END
    conversation_data(context, NAME)["deal_id"] = deal_id
    await show(update, context, "deals/ask_lost_note")
    return NOTE


async def note_given(update: Update, context: BotContext) -> int | None:
    text = one_line(message_text(update))
    if not text:
        await reply(update, context, "deals/ask_lost_note")
        return None
    deal_id = int(conversation_data(context, NAME)["deal_id"])
    deps = context.deps
    with deps.db.session() as session:
        deals.move_stage(
            session,
            context.me,
            deal_id,
            "lost",
            lost_reason=LostReason.OTHER,
            note=text[:500],
            now=deps.now(),
        )
    clear_conversation_data(context, NAME)
    await send_deal_card(update, context, deal_id, edit=False, moved=True)
    return END


def lost_note_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(ask_note, pattern=r"^deal:lr:\d+:other(:\d+)?$")],
        states={NOTE: [MessageHandler(filters.TEXT & ~filters.COMMAND, note_given)]},
    )
