"""/visit: log a visit, call, meeting or message step by step (customer, kind, what happened,
check-in, next step, follow-up date), or in one message by quick capture:
``/visit Acme: demo went well; next: send quote fri`` then one tap on Save.

Two kinds of drafts wait in the person's data (kept in the database, so they survive a
restart) for a button pressed later: a quick capture naming a customer nobody has yet
(*➕ Add "…" as a new customer*), and a voice note, photo or location sent outside any flow
(*📝 Log a visit with this*). A long note Telegram split into several messages is joined
again (the rule is in ``bot.services.quick_capture``).

A next step that looks like it holds a date the parser did not understand (``call back at
quarter to 5 or so``; the rule is in ``bot.parsing.capture``) is named on the confirmation while
there is no follow-up date, so that a dropped date does not go unnoticed; once the person
answers ✏️ Change date, it is not named again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
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
from bot.conversations.pick import (
    ask_customer,
    customer_buttons,
    picked_customer,
    show_search_results,
)
from bot.handlers.nearby import answer_location
from bot.handlers.replies import (
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    send_with_reply_keyboard,
    show,
)
from bot.parsing.capture import parse_capture, unclear_dates_in_step
from bot.parsing.dates import When, parse_when
from bot.parsing.text import received
from bot.services import customers, nearby, quick_capture, visits
from bot.services.customers import CustomerNameInvalid, DuplicateCustomer
from bot.services.errors import NotFound
from bot.services.visibility import visible_customer
from models import TouchKind

NAME = "visit"
CUSTOMER, KIND, NOTES, LOCATION, NEXT_STEP, FOLLOW_UP, PAST_OK, CONFIRM, DUPLICATE = range(9)
TEXT = filters.TEXT & ~filters.COMMAND
MEDIA = filters.VOICE | filters.AUDIO | filters.PHOTO | filters.Document.ALL | filters.VIDEO
OFFERED_MEDIA = filters.VOICE | filters.PHOTO | filters.LOCATION
DRAFTS = "visit_drafts"  # in user_data: message id → a draft waiting for its button
MAX_DRAFTS = 5


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _drafts(context: BotContext) -> dict[str, dict[str, Any]]:
    data = context.user_data
    assert data is not None
    return data.setdefault(DRAFTS, {})  # type: ignore[no-any-return]


def _keep_draft(context: BotContext, key: int, draft: dict[str, Any]) -> None:
    """Keep ``draft`` for the button with ``key``; only the newest few are kept."""
    drafts = _drafts(context)
    drafts[str(key)] = draft
    for old in sorted(drafts, key=int)[:-MAX_DRAFTS]:
        del drafts[old]


def _take_draft(context: BotContext, update: Update) -> dict[str, Any]:
    """The draft of the pressed button (``vis:<what>:<key>``), once: NotFound if it was used
    or dropped."""
    drafts = _drafts(context)
    draft = drafts.pop((callback_parts(update, "vis") or [""])[-1], None)
    if not drafts and context.user_data is not None:
        context.user_data.pop(DRAFTS, None)
    if draft is None:
        raise NotFound()
    return draft


def _sent_at(update: Update, context: BotContext) -> datetime:
    """When the person sent the message (Telegram's date), else now."""
    message = update.message
    return message.date if message is not None and message.date else context.deps.now()


def _remember_part(update: Update, context: BotContext, text: str) -> None:
    """Note when the last part of the notes came and how long it was."""
    _data(context).update(
        part_at=_sent_at(update, context).timestamp(),
        part_length=quick_capture.text_length(text),
    )


def _take_continuation(update: Update, context: BotContext) -> int | None:
    """If this text is the rest of a long note Telegram split, add it to the note and return
    the note's length so far; else None (it answers the step)."""
    data = _data(context)
    if "part_at" not in data:
        return None
    if not quick_capture.is_continuation(
        previous_length=int(data["part_length"]),
        previous_at=datetime.fromtimestamp(float(data["part_at"]), UTC),
        at=_sent_at(update, context),
    ):
        return None
    text = message_text(update)
    _remember_part(update, context, text)
    if data.get("quick"):
        data["message"] = quick_capture.join_note_parts(data.get("message", ""), text)
        capture = parse_capture(
            _typed(data["message"]), now=context.deps.now(), zone=context.me.timezone
        )
        if capture is not None:
            data.update(
                notes=capture.notes,
                next_step=capture.next_step,
                unclear_dates=list(capture.unclear_dates),
            )
            _remember_when(context, capture.when)
    else:
        data["notes"] = quick_capture.join_note_parts(data.get("notes", ""), text)
    return len(data.get("notes") or "")


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


def _typed(message: str) -> str:
    """What follows ``/visit``."""
    return message.partition(" ")[2].strip()


async def start_visit(update: Update, context: BotContext) -> int:
    """/visit alone asks step by step; /visit with text is a quick capture or a search."""
    clear_conversation_data(context, NAME)
    typed = _typed(message_text(update))
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
        unclear_dates=list(capture.unclear_dates),
        attachments=[],
        message=message_text(update),
    )
    _remember_part(update, context, message_text(update))
    _remember_when(context, capture.when)
    with deps.db.session() as session:
        matches = quick_capture.capture_customers(session, context.me, capture.customer)
    if len(matches) == 1:
        data.update(customer_id=matches[0].customer_id, customer_name=matches[0].name)
        return await _after_follow_up(update, context)
    if not matches:
        return await _offer_new_customer(update, context, capture.customer)
    data["capture_query"] = capture.customer
    return await _ask_capture_customer(update, context, continued=0)


async def _ask_capture_customer(update: Update, context: BotContext, *, continued: int) -> int:
    query = _data(context)["capture_query"]
    with context.deps.db.session() as session:
        matches = quick_capture.capture_customers(session, context.me, query)
    await reply(
        update,
        context,
        "visits/pick_capture_customer",
        markup=keyboard(customer_buttons(update, context, "vis:cus:", matches)),
        query=query,
        continued=continued,
    )
    return CUSTOMER


async def _offer_new_customer(update: Update, context: BotContext, name: str) -> int:
    """A quick capture naming no customer of theirs: end the flow, keep what was typed, and
    offer to add the customer (the draft waits in user data for the button)."""
    draft = {**_data(context), "new_customer": name}
    clear_conversation_data(context, NAME)
    key = update.message.message_id if update.message else 0
    _keep_draft(context, key, draft)
    await reply(
        update,
        context,
        "visits/unknown_customer",
        markup=keyboard(
            [[(label(update, context, "add_as_new_customer", name), f"vis:add:{key}")]]
        ),
        name=name,
    )
    return END


async def start_new_customer(update: Update, context: BotContext) -> int:
    """➕ Add "…" as a new customer: create it (after the duplicate check), then the visit's
    confirmation with everything that was typed."""
    draft = _take_draft(context, update)
    clear_conversation_data(context, NAME)
    _data(context).update(draft)
    return await _add_customer(update, context, allow_duplicate=False)


async def add_customer_anyway(update: Update, context: BotContext) -> int:
    return await _add_customer(update, context, allow_duplicate=True)


async def _add_customer(update: Update, context: BotContext, *, allow_duplicate: bool) -> int:
    data = _data(context)
    deps = context.deps
    try:
        with deps.db.session() as session:
            customer = customers.create_customer(
                session,
                context.me,
                name=data["new_customer"],
                allow_duplicate=allow_duplicate,
                now=deps.now(),
            )
            customer_id, name = customer.id or 0, customer.name
    except DuplicateCustomer as duplicate:
        rows = customer_buttons(update, context, "vis:cus:", duplicate.matches[:5])
        rows.append([(label(update, context, "create_anyway"), "vis:force")])
        await show(
            update,
            context,
            "visits/new_customer_duplicate",
            markup=keyboard(rows),
            name=data["new_customer"],
            matches=duplicate.matches,
        )
        return DUPLICATE
    except CustomerNameInvalid:
        name = data["new_customer"]
        clear_conversation_data(context, NAME)
        await show(update, context, "visits/new_customer_invalid", name=name)
        return END
    data.pop("new_customer", None)
    data.update(customer_id=customer_id, customer_name=name, new_customer_added=True)
    return await _after_follow_up(update, context)


async def offer_visit(update: Update, context: BotContext) -> None:
    """A voice note, photo or location outside any flow: offer to log a visit with it."""
    message = update.message
    if message is None:
        return
    draft: dict[str, Any] = {"attachments": []}
    attachment = _attachment(update)
    if attachment is not None:
        draft["attachments"].append(attachment)
    elif message.location is not None:
        draft.update(latitude=message.location.latitude, longitude=message.location.longitude)
    else:
        return
    if message.caption:
        draft["notes"] = received(message.caption)
    _keep_draft(context, message.message_id, draft)
    log_it = (label(update, context, "log_visit_with_this"), f"vis:media:{message.message_id}")
    if message.location is not None and attachment is None:  # also: the customers near it
        location = message.location
        await answer_location(
            update, context, location.latitude, location.longitude, offer_button=log_it
        )
        return
    await reply(
        update,
        context,
        "visits/media_offer",
        markup=keyboard([[log_it]]),
        what=attachment["kind"] if attachment else "location",
    )


async def start_from_media(update: Update, context: BotContext) -> int:
    """📝 Log a visit with this: the voice note or photo is the notes' attachment, the location
    the check-in; first, which customer."""
    draft = _take_draft(context, update)
    clear_conversation_data(context, NAME)
    _data(context).update(draft)
    await ask_customer(update, context, "vis", edit=True)
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
    continued = _take_continuation(update, context)  # only after a quick capture
    if continued is not None:
        return await _ask_capture_customer(update, context, continued=continued)
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
    data = _data(context)
    data["kind"] = kind.value
    if data.get("attachments"):  # a voice note or photo came first
        await show(
            update,
            context,
            "visits/attachment_kept",
            markup=keyboard([[(label(update, context, "done"), "vis:notes:done")]]),
            count=len(data["attachments"]),
        )
    else:
        await show(update, context, "visits/ask_notes")
    return NOTES


async def notes_written(update: Update, context: BotContext) -> int:
    data = _data(context)
    text = message_text(update)
    data["notes"] = "\n".join(filter(None, [data.get("notes", ""), text]))
    _remember_part(update, context, text)
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
    caption = received(update.message.caption) if update.message and update.message.caption else ""
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
        await answer_query(update)
    return await _ask_location(update, context)


async def _ask_location(update: Update, context: BotContext, *, continued: int = 0) -> int:
    if "latitude" in _data(context):  # the location came first
        return await _ask_next_step(update, context, checked_in=True)
    share = KeyboardButton(label(update, context, "share_location"), request_location=True)
    markup = ReplyKeyboardMarkup(
        [[share], [label(update, context, "skip")]], resize_keyboard=True, one_time_keyboard=True
    )
    await send_with_reply_keyboard(
        update, context, "visits/ask_location", markup, continued=continued
    )
    return LOCATION


async def location_shared(update: Update, context: BotContext) -> int:
    location = update.message.location if update.message else None
    if location is not None:
        _data(context).update(latitude=location.latitude, longitude=location.longitude)
    return await _ask_next_step(update, context, checked_in=location is not None)


async def location_skipped(update: Update, context: BotContext) -> int | None:
    if message_text(update).strip().lower() == label(update, context, "skip").lower():
        return await _ask_next_step(update, context, checked_in=False)
    continued = _take_continuation(update, context)
    if continued is not None:
        return await _ask_location(update, context, continued=continued)
    await reply(update, context, "visits/location_reask")
    return None


async def _ask_next_step(update: Update, context: BotContext, *, checked_in: bool) -> int:
    await send_with_reply_keyboard(
        update, context, "visits/location_done", ReplyKeyboardRemove(), location=checked_in
    )
    return await _ask_for_next_step(update, context, continued=0)


async def _ask_for_next_step(update: Update, context: BotContext, *, continued: int) -> int:
    await reply(
        update,
        context,
        "visits/ask_next_step",
        markup=keyboard([[(label(update, context, "skip"), "vis:skip:next")]]),
        continued=continued,
    )
    return NEXT_STEP


async def next_step_written(update: Update, context: BotContext) -> int:
    continued = _take_continuation(update, context)
    if continued is not None:  # the check-in came first: the next step follows the notes
        return await _ask_for_next_step(update, context, continued=continued)
    step = message_text(update)
    unclear = unclear_dates_in_step(step, now=context.deps.now(), zone=context.me.timezone)
    _data(context).update(next_step=step, unclear_dates=list(unclear))
    return await _ask_follow_up(update, context)


async def next_step_skipped(update: Update, context: BotContext) -> int:
    _data(context).update(next_step=None, unclear_dates=[])
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


async def _after_follow_up(update: Update, context: BotContext, *, continued: int = 0) -> int:
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
            continued=continued,
        )
        return PAST_OK
    return await _confirm(update, context, continued=continued)


async def text_at_a_button_step(update: Update, context: BotContext) -> int | None:
    """Text where a button is expected: the rest of a long quick capture, else a re-ask."""
    continued = _take_continuation(update, context)
    if continued is None:
        return await pick_with_buttons(update, context)
    return await _after_follow_up(update, context, continued=continued)


async def past_answered(update: Update, context: BotContext) -> int:
    if callback_parts(update, "vis")[1:2] == ["yes"]:
        return await _confirm(update, context)
    return await _ask_follow_up(update, context)


async def _confirm(update: Update, context: BotContext, *, continued: int = 0) -> int:
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
        new_customer=bool(data.get("new_customer_added")),
        unclear_dates=[] if draft.follow_up_at else data.get("unclear_dates", []),
        continued=continued,
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
    _data(context).pop("unclear_dates", None)  # whatever the answer, it was asked for
    return await _ask_follow_up(update, context)


async def save(update: Update, context: BotContext) -> int:
    deps = context.deps
    data = _data(context)
    draft = _draft(context)
    with finishing(update, context, NAME) as session:
        touch = visits.log_touch(session, context.me, draft, now=deps.now())
    await show_saved(update, context, touch.id or 0, data["customer_name"], undo=True)
    return END


async def show_saved(
    update: Update, context: BotContext, touch_id: int, customer_name: str, *, undo: bool
) -> None:
    deps = context.deps
    with deps.db.session() as session:
        touch = visits.get_touch(session, context.me, touch_id)
        attachments = visits.attachment_count(session, touch_id)
        keep_place = nearby.offers_place(session, touch)
    can_undo = undo and deps.now() - touch.created_at < visits.UNDO_WINDOW
    first_row = [(label(update, context, "edit"), f"vis:edit:{touch_id}")]
    if can_undo:
        first_row.insert(0, (label(update, context, "undo"), f"vis:undo:{touch_id}"))
    rows = [first_row, [(label(update, context, "new_deal"), f"dl:new:{touch.customer_id}")]]
    if keep_place:  # the first check-in at a customer without a place
        rows.append([(label(update, context, "keep_place"), f"loc:keep:{touch_id}")])
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
            CallbackQueryHandler(start_new_customer, pattern=r"^vis:add:\d+$"),
            CallbackQueryHandler(start_from_media, pattern=r"^vis:media:\d+$"),
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
                MessageHandler(TEXT, text_at_a_button_step),
            ],
            CONFIRM: [
                CallbackQueryHandler(save, pattern=r"^vis:save$"),
                CallbackQueryHandler(redate, pattern=r"^vis:redate$"),
                MessageHandler(TEXT, text_at_a_button_step),
            ],
            DUPLICATE: [
                CallbackQueryHandler(customer_picked, pattern=r"^vis:cus:\d+$"),
                CallbackQueryHandler(add_customer_anyway, pattern=r"^vis:force$"),
                MessageHandler(TEXT, pick_with_buttons),
            ],
        },
    )


def undo_handler() -> CallbackQueryHandler[BotContext, None]:
    return CallbackQueryHandler(undo, pattern=r"^vis:undo:\d+$")


def media_offer_handler() -> MessageHandler[BotContext, None]:
    """A voice note, photo or location outside any flow (register after the conversations)."""
    return MessageHandler(OFFERED_MEDIA, offer_visit)
