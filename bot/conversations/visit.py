"""/visit: log a visit, call, meeting or message step by step (customer, kind, what happened,
check-in, next step, follow-up date), or in one message by quick capture:
``/visit Acme: demo went well; next: send quote fri`` then one tap on Save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.app import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
    pick_with_buttons,
)
from bot.conversations.pick import (
    ask_customer,
    customer_buttons,
    picked_customer,
    show_search_results,
)
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    send_with_reply_keyboard,
    show,
)
from bot.parsing.capture import parse_capture
from bot.parsing.dates import When, parse_when
from bot.services import customers, visits
from bot.services.errors import NotFound
from bot.services.visibility import visible_customer
from models import TouchKind

NAME = "visit"
CUSTOMER, KIND, NOTES, LOCATION, NEXT_STEP, FOLLOW_UP, PAST_OK, CONFIRM = range(8)
TEXT = filters.TEXT & ~filters.COMMAND
MEDIA = filters.VOICE | filters.AUDIO | filters.PHOTO | filters.Document.ALL | filters.VIDEO


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


async def _ask_kind(update: Update, context: BotContext) -> int:
    buttons = [
        (label(update, context, "kind", kind.value), f"vis:kind:{kind.value}") for kind in TouchKind
    ]
    await show(
        update,
        context,
        "visits/ask_kind",
        markup=keyboard([buttons[:2], buttons[2:]]),
        customer_name=_data(context)["customer_name"],
    )
    return KIND


async def start_visit(update: Update, context: BotContext) -> int:
    """/visit alone asks step by step; /visit with text is a quick capture or a search."""
    clear_conversation_data(context, NAME)
    typed = message_text(update).partition(" ")[2].strip()
    if not typed:
        await ask_customer(update, context, "vis")
        return CUSTOMER
    deps = context.deps
    capture = parse_capture(typed, now=deps.now(), zone=context.me.timezone)
    data = _data(context)
    if capture is None:
        await show_search_results(update, context, "vis:cus:", typed)
        return CUSTOMER
    data.update(
        quick=True,
        kind=TouchKind.VISIT.value,
        notes=capture.notes,
        next_step=capture.next_step,
        attachments=[],
    )
    _remember_when(context, capture.when)
    with deps.db.session() as session:
        matches = customers.search_customers(session, context.me, capture.customer)
    if len(matches) == 1:
        data.update(customer_id=matches[0].customer_id, customer_name=matches[0].name)
        return await _after_follow_up(update, context)
    if not matches:
        await show_search_results(update, context, "vis:cus:", capture.customer)
        return CUSTOMER
    await reply(
        update,
        context,
        "visits/pick_capture_customer",
        markup=keyboard(customer_buttons(update, context, "vis:cus:", matches)),
        query=capture.customer,
    )
    return CUSTOMER


async def start_from_card(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    customer_id, name = picked_customer(update, context, "vis")
    _data(context).update(customer_id=customer_id, customer_name=name, attachments=[])
    return await _ask_kind(update, context)


async def start_from_reminder(update: Update, context: BotContext) -> int:
    """✅ Done under a follow-up reminder: log what happened (saving it closes the follow-up)
    and say what comes next."""
    clear_conversation_data(context, NAME)
    touch_id = int_part(callback_parts(update, "vis"), 1)
    if touch_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        promised = visits.follow_up(session, context.me, touch_id)
    _data(context).update(
        customer_id=promised.customer_id, customer_name=promised.customer_name, attachments=[]
    )
    return await _ask_kind(update, context)


async def customer_typed(update: Update, context: BotContext) -> int:
    await show_search_results(update, context, "vis:cus:", message_text(update)[:100])
    return CUSTOMER


async def customer_picked(update: Update, context: BotContext) -> int:
    customer_id, name = picked_customer(update, context, "vis")
    data = _data(context)
    data.update(customer_id=customer_id, customer_name=name)
    if data.get("quick"):
        return await _after_follow_up(update, context)
    data.setdefault("attachments", [])
    return await _ask_kind(update, context)


async def kind_chosen(update: Update, context: BotContext) -> int:
    parts = callback_parts(update, "vis")
    try:
        kind = TouchKind(parts[1])
    except (IndexError, ValueError):
        raise NotFound() from None
    _data(context)["kind"] = kind.value
    await show(update, context, "visits/ask_notes")
    return NOTES


async def notes_written(update: Update, context: BotContext) -> int:
    _data(context)["notes"] = message_text(update)
    return await _ask_location(update, context)


def _attachment(update: Update) -> dict[str, Any] | None:
    message = update.message
    if message is None:
        return None
    if message.voice:
        media: Any = message.voice
        kind = "voice"
    elif message.audio:
        media, kind = message.audio, "audio"
    elif message.photo:
        media, kind = message.photo[-1], "photo"
    elif message.document:
        media, kind = message.document, "document"
    elif message.video:
        media, kind = message.video, "video"
    else:
        return None
    return {
        "kind": kind,
        "telegram_file_id": media.file_id,
        "telegram_file_unique_id": media.file_unique_id,
        "mime_type": getattr(media, "mime_type", None),
        "file_size": media.file_size,
    }


async def media_sent(update: Update, context: BotContext) -> int:
    data = _data(context)
    attachment = _attachment(update)
    if attachment is not None:
        data.setdefault("attachments", []).append(attachment)
    caption = update.message.caption if update.message and update.message.caption else ""
    if caption:
        data["notes"] = (data.get("notes", "") + "\n" + caption).strip()
    await reply(
        update,
        context,
        "visits/attachment_kept",
        markup=keyboard([[(label(update, context, "done"), "vis:notes:done")]]),
        count=len(data.get("attachments", [])),
    )
    return NOTES


async def notes_done(update: Update, context: BotContext) -> int:
    _data(context).setdefault("notes", "")
    if update.callback_query:
        await update.callback_query.answer()
    return await _ask_location(update, context)


async def _ask_location(update: Update, context: BotContext) -> int:
    share = KeyboardButton(label(update, context, "share_location"), request_location=True)
    markup = ReplyKeyboardMarkup(
        [[share], [label(update, context, "skip")]], resize_keyboard=True, one_time_keyboard=True
    )
    await send_with_reply_keyboard(update, context, "visits/ask_location", markup)
    return LOCATION


async def location_shared(update: Update, context: BotContext) -> int:
    location = update.message.location if update.message else None
    if location is not None:
        _data(context).update(latitude=location.latitude, longitude=location.longitude)
    return await _ask_next_step(update, context, checked_in=location is not None)


async def location_skipped(update: Update, context: BotContext) -> int | None:
    if message_text(update).strip().lower() != label(update, context, "skip").lower():
        await reply(update, context, "visits/location_reask")
        return None
    return await _ask_next_step(update, context, checked_in=False)


async def _ask_next_step(update: Update, context: BotContext, *, checked_in: bool) -> int:
    await send_with_reply_keyboard(
        update, context, "visits/location_done", ReplyKeyboardRemove(), location=checked_in
    )
    await reply(
        update,
        context,
        "visits/ask_next_step",
        markup=keyboard([[(label(update, context, "skip"), "vis:skip:next")]]),
    )
    return NEXT_STEP


async def next_step_written(update: Update, context: BotContext) -> int:
    _data(context)["next_step"] = message_text(update)
    return await _ask_follow_up(update, context)


async def next_step_skipped(update: Update, context: BotContext) -> int:
    _data(context)["next_step"] = None
    return await _ask_follow_up(update, context)


async def _ask_follow_up(update: Update, context: BotContext) -> int:
    await show(
        update,
        context,
        "visits/ask_follow_up",
        markup=keyboard([[(label(update, context, "no_follow_up"), "vis:fu:none")]]),
    )
    return FOLLOW_UP


def _remember_when(context: BotContext, when: When | None) -> None:
    data = _data(context)
    if when is None:
        data.update(follow_up=None, has_time=False)
        return
    instant = when.instant(context.me.timezone)
    data.update(follow_up=instant.isoformat(), has_time=when.time is not None)


def _follow_up(context: BotContext) -> datetime | None:
    value = _data(context).get("follow_up")
    return datetime.fromisoformat(value) if value else None


def _in_past(context: BotContext) -> bool:
    return visits.follow_up_in_past(
        _follow_up(context),
        has_time=bool(_data(context).get("has_time")),
        now=context.deps.now(),
        zone=context.me.timezone,
    )


async def follow_up_typed(update: Update, context: BotContext) -> int | None:
    text = message_text(update)
    when = parse_when(text, now=context.deps.now(), zone=context.me.timezone)
    if when is None:
        await reply(
            update,
            context,
            "visits/follow_up_unclear",
            markup=keyboard([[(label(update, context, "no_follow_up"), "vis:fu:none")]]),
            text=text,
        )
        return None
    _remember_when(context, when)
    return await _after_follow_up(update, context)


async def no_follow_up(update: Update, context: BotContext) -> int:
    _remember_when(context, None)
    return await _after_follow_up(update, context)


async def _after_follow_up(update: Update, context: BotContext) -> int:
    if _in_past(context):
        follow_up = _follow_up(context)
        await show(
            update,
            context,
            "visits/follow_up_past",
            markup=keyboard(
                [
                    [
                        (label(update, context, "use_anyway"), "vis:past:yes"),
                        (label(update, context, "pick_another"), "vis:past:no"),
                    ]
                ]
            ),
            instant=follow_up,
            has_time=_data(context).get("has_time", False),
            timezone=context.me.timezone,
        )
        return PAST_OK
    return await _confirm(update, context)


async def past_answered(update: Update, context: BotContext) -> int:
    if callback_parts(update, "vis")[1:2] == ["yes"]:
        return await _confirm(update, context)
    return await _ask_follow_up(update, context)


async def _confirm(update: Update, context: BotContext) -> int:
    data = _data(context)
    draft = _draft(context)
    await show(
        update,
        context,
        "visits/confirm",
        markup=keyboard(
            [
                [
                    (label(update, context, "save"), "vis:save"),
                    (label(update, context, "change_date"), "vis:redate"),
                ]
            ]
        ),
        draft=draft,
        customer_name=data["customer_name"],
        attachments=len(draft.attachments),
        follow_up=draft.follow_up_at,
        has_time=draft.follow_up_has_time,
        timezone=context.me.timezone,
    )
    return CONFIRM


def _draft(context: BotContext) -> visits.TouchDraft:
    data = _data(context)
    return visits.TouchDraft(
        customer_id=int(data["customer_id"]),
        kind=TouchKind(data.get("kind", TouchKind.VISIT.value)),
        notes=data.get("notes") or "",
        next_step=data.get("next_step") or None,
        follow_up_at=_follow_up(context),
        follow_up_has_time=bool(data.get("has_time")),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        attachments=[visits.AttachmentDraft(**item) for item in data.get("attachments", [])],
    )


async def redate(update: Update, context: BotContext) -> int:
    return await _ask_follow_up(update, context)


async def save(update: Update, context: BotContext) -> int:
    deps = context.deps
    data = _data(context)
    draft = _draft(context)
    with deps.db.session() as session:
        touch = visits.log_touch(session, context.me, draft, now=deps.now())
    clear_conversation_data(context, NAME)
    await show_saved(update, context, touch.id or 0, data["customer_name"], undo=True)
    return END


async def show_saved(
    update: Update, context: BotContext, touch_id: int, customer_name: str, *, undo: bool
) -> None:
    deps = context.deps
    with deps.db.session() as session:
        touch = visits.get_touch(session, context.me, touch_id)
        attachments = visits.attachment_count(session, touch_id)
    can_undo = undo and deps.now() - touch.created_at < visits.UNDO_WINDOW
    first_row = [(label(update, context, "edit"), f"vis:edit:{touch_id}")]
    if can_undo:
        first_row.insert(0, (label(update, context, "undo"), f"vis:undo:{touch_id}"))
    rows = [first_row, [(label(update, context, "new_deal"), f"dl:new:{touch.customer_id}")]]
    await show(
        update,
        context,
        "visits/saved",
        markup=keyboard(rows),
        touch=touch,
        customer_name=customer_name,
        attachments=attachments,
        undo_minutes=int(visits.UNDO_WINDOW.total_seconds() // 60) if can_undo else 0,
        timezone=context.me.timezone,
    )


async def undo(update: Update, context: BotContext) -> None:
    touch_id = int_part(callback_parts(update, "vis"), 1)
    if touch_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        touch = visits.undo_touch(session, context.me, touch_id, now=deps.now())
        customer = visible_customer(session, context.me, touch.customer_id)
    await show(
        update,
        context,
        "visits/undone",
        kind=touch.kind,
        customer_name=customer.name,
    )


def visit_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[
            CommandHandler("visit", start_visit),
            CallbackQueryHandler(start_from_card, pattern=r"^vis:new:\d+$"),
            CallbackQueryHandler(start_from_reminder, pattern=r"^vis:done:\d+$"),
        ],
        states={
            CUSTOMER: [
                CallbackQueryHandler(customer_picked, pattern=r"^vis:cus:\d+$"),
                MessageHandler(TEXT, customer_typed),
            ],
            KIND: [
                CallbackQueryHandler(kind_chosen, pattern=r"^vis:kind:\w+$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            NOTES: [
                MessageHandler(TEXT, notes_written),
                MessageHandler(MEDIA, media_sent),
                CallbackQueryHandler(notes_done, pattern=r"^vis:notes:done$"),
            ],
            LOCATION: [
                MessageHandler(filters.LOCATION, location_shared),
                MessageHandler(TEXT, location_skipped),
            ],
            NEXT_STEP: [
                MessageHandler(TEXT, next_step_written),
                CallbackQueryHandler(next_step_skipped, pattern=r"^vis:skip:next$"),
            ],
            FOLLOW_UP: [
                MessageHandler(TEXT, follow_up_typed),
                CallbackQueryHandler(no_follow_up, pattern=r"^vis:fu:none$"),
            ],
            PAST_OK: [
                CallbackQueryHandler(past_answered, pattern=r"^vis:past:(yes|no)$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
            CONFIRM: [
                CallbackQueryHandler(save, pattern=r"^vis:save$"),
                CallbackQueryHandler(redate, pattern=r"^vis:redate$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
        },
    )


def undo_handler() -> CallbackQueryHandler[BotContext, None]:
    return CallbackQueryHandler(undo, pattern=r"^vis:undo:\d+$")
