"""/care (admins): a care message to a segment of linked contacts — segment by button, the text,
when (``now`` or a day and time in the admin's zone), then a preview with the number of contacts
and the message exactly as they will read it, ✅ Send or ✖ Cancel. The sending is the outbox's
(``bot/reminders/producers/campaigns.py``); the rules are in ``bot/services/care.py``."""

from __future__ import annotations

from datetime import datetime
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
from bot.handlers.replies import callback_parts, keyboard, label, message_text, reply, show
from bot.services import care
from bot.services.errors import NotFound

NAME = "care"
SEGMENT, TEXT, WHEN, CONFIRM = range(4)
TYPED = filters.TEXT & ~filters.COMMAND


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


async def start(update: Update, context: BotContext) -> int:
    with context.deps.db.session() as session:
        counts = care.segment_counts(session, context.me)
    clear_conversation_data(context, NAME)
    rows = [
        [(label(update, context, "care_segment", segment, counts[segment]), f"care:seg:{segment}")]
        for segment in care.SEGMENTS
    ]
    await reply(update, context, "care/ask_segment", markup=keyboard(rows))
    return SEGMENT


async def segment_chosen(update: Update, context: BotContext) -> int:
    segment = ":".join(callback_parts(update, "care")[1:])
    if segment not in care.SEGMENTS:
        raise NotFound()
    with context.deps.db.session() as session:
        count = care.segment_counts(session, context.me)[segment]
    _data(context)["segment"] = segment
    await show(
        update, context, "care/ask_text", segment=segment, count=count, limit=care.TEXT_LIMIT
    )
    return TEXT


async def text_given(update: Update, context: BotContext) -> int | None:
    try:
        text = care.clean_text(message_text(update))
    except care.CareTextInvalid as invalid:
        await reply(update, context, invalid.template, **invalid.details)
        return None
    _data(context)["text"] = text
    await reply(update, context, "care/ask_when", timezone=context.me.timezone)
    return WHEN


async def when_given(update: Update, context: BotContext) -> int | None:
    typed = message_text(update)
    deps = context.deps
    zone = context.me.timezone
    try:
        send_at = care.send_time(typed, now=deps.now(), zone=zone)
    except care.CareTimeInvalid as invalid:
        await reply(update, context, invalid.template, **invalid.details)
        return None
    data = _data(context)
    data.update(send_at=send_at.isoformat(), now=care.means_now(typed))
    with deps.db.session() as session:
        count = care.segment_counts(session, context.me)[data["segment"]]
    buttons = [
        [
            (label(update, context, "care_send"), "care:send"),
            (label(update, context, "care_cancel"), "care:no"),
        ]
    ]
    await reply(
        update,
        context,
        "care/preview",
        markup=keyboard(buttons),
        segment=data["segment"],
        count=count,
        text=data["text"],
        send_at=send_at,
        now=data["now"],
        timezone=zone,
    )
    return CONFIRM


async def confirmed(update: Update, context: BotContext) -> int:
    data = _data(context)
    deps = context.deps
    now = deps.now()
    with finishing(update, context, NAME) as session:
        campaign = care.confirm_campaign(
            session,
            context.me,
            segment=str(data["segment"]),
            text=str(data["text"]),
            send_at=now if data["now"] else datetime.fromisoformat(str(data["send_at"])),
            now=now,
        )
        count = care.segment_counts(session, context.me)[campaign.segment]
        send_at = campaign.send_at
    clear_conversation_data(context, NAME)
    await show(
        update,
        context,
        "care/scheduled",
        count=count,
        send_at=send_at,
        now=bool(data["now"]),
        timezone=context.me.timezone,
    )
    return END


async def cancelled(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await show(update, context, "cancelled")
    return END


def care_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CommandHandler("care", start)],
        states={
            SEGMENT: [
                CallbackQueryHandler(segment_chosen, pattern=r"^care:seg:[\w:]+$"),
                MessageHandler(TYPED, pick_with_buttons),
            ],
            TEXT: [MessageHandler(TYPED, text_given)],
            WHEN: [MessageHandler(TYPED, when_given)],
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^care:send$"),
                CallbackQueryHandler(cancelled, pattern=r"^care:no$"),
                MessageHandler(TYPED, pick_with_buttons),
            ],
        },
    )
