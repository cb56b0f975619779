"""A rep's own customer chats (Telegram Business): the business updates (a connection, a message
of a chat in the rep's account, its edit or deletion) and the rep's buttons in the private chat
with the bot (*🔗 This chat is …*, *🚫 Not a customer*, *⏰ Follow-up …*).

Business updates come before the access gate (group -2): their chat is the rep's chat with a
customer, so nothing here ever answers into it; what the rep is told goes to their private chat
with the bot. An error is logged (never the message's text) and stops the update here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.handlers.replies import (
    Button,
    callback_parts,
    int_part,
    keyboard,
    label,
    page_part,
    show,
)
from bot.parsing.text import one_line, received
from bot.services import business_chats
from bot.services.business_chats import (
    Ask,
    ChatChoices,
    ChatMessage,
    ConnectionEvent,
    ConnectionOutcome,
    Offer,
)
from bot.services.errors import NotFound
from bot.services.people import person_name

logger = logging.getLogger(__name__)

BUSINESS_KINDS = (
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
)


def is_business_update(update: Update) -> bool:
    return any(getattr(update, kind, None) is not None for kind in BUSINESS_KINDS)


async def _guarded(
    update: Update, context: BotContext, work: Callable[[], Awaitable[None]]
) -> None:
    """Run ``work``; whatever happens, the update stops here (no other handler, no answer into
    the customer's chat). An error is counted and logged without the message's text."""
    try:
        await work()
    except Exception as error:
        logger.error(
            "business update %s failed: %s", update.update_id, type(error).__name__, exc_info=False
        )
        context.record_error(error)
    raise ApplicationHandlerStop


# -- connections -----------------------------------------------------------------------------


async def connection_changed(update: Update, context: BotContext) -> None:
    connection = update.business_connection
    if connection is None:
        raise ApplicationHandlerStop

    async def work() -> None:
        rights = connection.rights
        event = ConnectionEvent(
            connection_id=connection.id,
            telegram_user_id=connection.user.id,
            user_chat_id=connection.user_chat_id,
            is_enabled=connection.is_enabled,
            can_reply=bool(rights and rights.can_reply),
        )
        await _connection_event(context, event)

    await _guarded(update, context, work)


async def _connection_event(context: BotContext, event: ConnectionEvent) -> None:
    deps = context.deps
    with deps.db.session() as session:
        result = business_chats.connection_changed(session, event, now=deps.now())
    logger.info("business connection %s: %s", event.connection_id[:12], result.outcome.value)
    if result.outcome == ConnectionOutcome.IGNORED:
        return
    text = deps.renderer.message(result.language, f"business/{result.outcome.value}")
    await _tell(context, result.chat_id, text)


async def _tell(context: BotContext, chat_id: int, text: str, markup: object = None) -> None:
    """Write to a person's private chat with the bot; one who cannot be reached is logged."""
    try:
        await context.bot.send_message(chat_id, text, reply_markup=markup)  # type: ignore[arg-type]
    except TelegramError as error:
        logger.info("could not tell chat %s about a business chat: %s", chat_id, error.message)


# -- messages --------------------------------------------------------------------------------


def _file_of(message: Message) -> tuple[str | None, str | None, str | None]:
    """(kind, file id, file name) of a message's file, if it has one."""
    if message.photo:
        return "photo", message.photo[-1].file_id, None
    if message.document is not None:
        return "document", message.document.file_id, message.document.file_name
    for kind in ("voice", "video", "audio", "video_note", "animation", "sticker"):
        media = getattr(message, kind, None)
        if media is not None:
            return kind, media.file_id, getattr(media, "file_name", None)
    if message.location is not None or message.venue is not None:
        return "location", None, None
    if message.contact is not None:
        return "contact", None, None
    return None, None, None


def _chat_message(message: Message, *, edited: bool) -> ChatMessage | None:
    connection_id = message.business_connection_id
    chat = message.chat
    if connection_id is None or chat.type != "private":
        return None
    kind, file_id, file_name = _file_of(message)
    sent_at = message.date if message.date.tzinfo else message.date.replace(tzinfo=UTC)
    return ChatMessage(
        connection_id=connection_id,
        chat_id=chat.id,
        message_id=message.message_id,
        sender_id=message.from_user.id if message.from_user else None,
        partner_name=person_name(chat.first_name or "", chat.last_name),
        sent_at=sent_at,
        text=received(message.text or message.caption or ""),
        file_kind=kind,
        file_id=file_id,
        file_name=one_line(file_name) if file_name else None,
        edited=edited,
        by_bot=message.sender_business_bot is not None,
    )


async def chat_message(update: Update, context: BotContext) -> None:
    message = update.business_message or update.edited_business_message
    if message is None:
        raise ApplicationHandlerStop
    values = _chat_message(message, edited=update.edited_business_message is not None)
    if values is None:
        raise ApplicationHandlerStop

    async def work() -> None:
        await _received(context, values)

    await _guarded(update, context, work)


async def _received(context: BotContext, values: ChatMessage) -> None:
    deps = context.deps
    with deps.db.session() as session:
        outcome = business_chats.message_received(session, values, now=deps.now())
    if not outcome.known_connection:
        # A connection made before the bot listened for them: ask Telegram about it once.
        try:
            connection = await context.bot.get_business_connection(values.connection_id)
        except TelegramError as error:
            logger.info("unknown business connection: %s", error.message)
            return
        rights = connection.rights
        await _connection_event(
            context,
            ConnectionEvent(
                connection_id=connection.id,
                telegram_user_id=connection.user.id,
                user_chat_id=connection.user_chat_id,
                is_enabled=connection.is_enabled,
                can_reply=bool(rights and rights.can_reply),
            ),
        )
        with deps.db.session() as session:
            outcome = business_chats.message_received(session, values, now=deps.now())
    if outcome.ask is not None:
        await _ask(context, outcome.ask)
    if outcome.offer is not None:
        await _offer(context, outcome.offer)


async def messages_deleted(update: Update, context: BotContext) -> None:
    deleted = update.deleted_business_messages
    if deleted is None:
        raise ApplicationHandlerStop

    async def work() -> None:
        deps = context.deps
        with deps.db.session() as session:
            business_chats.messages_deleted(
                session, deleted.business_connection_id, deleted.chat.id, list(deleted.message_ids)
            )

    await _guarded(update, context, work)


# -- what the rep is asked and offered -------------------------------------------------------


def _choices_markup(context: BotContext, language: str | None, choices: ChatChoices) -> object:
    renderer = context.deps.renderer
    link = choices.chat_link_id
    rows: list[list[Button]] = [
        [(renderer.label(language, "business_guess", c), f"bz:ln:{link}:{c.contact_id}")]
        for c in choices.guesses
    ]
    rows += [
        [(renderer.label(language, "business_contact", c), f"bz:ln:{link}:{c.contact_id}")]
        for c in choices.others
    ]
    pages: list[Button] = []
    if choices.page > 0:
        pages.append((renderer.label(language, "previous"), f"bz:pg:{link}:{choices.page - 1}"))
    if choices.page < choices.pages - 1:
        pages.append((renderer.label(language, "next"), f"bz:pg:{link}:{choices.page + 1}"))
    rows.append(pages)
    rows.append([(renderer.label(language, "business_not_customer"), f"bz:no:{link}")])
    return keyboard(rows)


async def _ask(context: BotContext, ask: Ask) -> None:
    deps = context.deps
    with deps.db.session() as session:
        choices = business_chats.chat_choices(session, ask.rep, ask.chat_link_id, 0)
    language = ask.rep.language
    text = deps.renderer.message(language, "business/ask", choices=choices)
    await _tell(context, ask.rep.telegram_id, text, _choices_markup(context, language, choices))


async def _offer(context: BotContext, offer: Offer) -> None:
    renderer = context.deps.renderer
    rep, when = offer.rep, offer.promise.when
    due = when.instant(rep.timezone)
    values = {
        "step": offer.promise.step,
        "due": due,
        "has_time": when.time is not None,
        "timezone": rep.timezone,
        "contact_name": offer.contact_name,
        "customer_name": offer.customer_name,
    }
    text = renderer.message(rep.language, "business/promise", **values)
    button = renderer.label(
        rep.language,
        "business_follow_up",
        due,
        rep.timezone,
        when.time is not None,
        offer.promise.step,
    )
    markup = keyboard([[(button, f"bz:fu:{offer.message_row_id}")]])
    await _tell(context, rep.telegram_id, text, markup)


# -- the rep's buttons -----------------------------------------------------------------------


async def choices_page(update: Update, context: BotContext) -> None:
    """``bz:pg:<chat>:<page>``: the contacts to link a chat to (also to change the answer)."""
    parts = callback_parts(update, "bz")
    link_id, page = int_part(parts, 1), page_part(parts, 2)
    if link_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        choices = business_chats.chat_choices(session, context.me, link_id, page)
    markup = _choices_markup(context, context.me.language, choices)
    await show(update, context, "business/ask", markup=markup, choices=choices)  # type: ignore[arg-type]


def _change_button(update: Update, context: BotContext, link_id: int) -> list[Button]:
    return [(label(update, context, "business_change"), f"bz:pg:{link_id}:0")]


async def link_chat(update: Update, context: BotContext) -> None:
    """``bz:ln:<chat>:<contact>``: this chat is that contact's."""
    parts = callback_parts(update, "bz")
    link_id, contact_id = int_part(parts, 1), int_part(parts, 2)
    if link_id is None or contact_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        linked = business_chats.link_chat(session, context.me, link_id, contact_id, now=deps.now())
    markup = keyboard([_change_button(update, context, link_id)])
    await show(update, context, "business/linked", markup=markup, linked=linked)


async def not_customer(update: Update, context: BotContext) -> None:
    """``bz:no:<chat>``: nothing of this chat is kept, and the rep is not asked again."""
    link_id = int_part(callback_parts(update, "bz"), 1)
    if link_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        done = business_chats.mark_not_customer(session, context.me, link_id, now=deps.now())
    markup = keyboard([_change_button(update, context, link_id)])
    await show(update, context, "business/not_customer", markup=markup, done=done)


async def follow_up(update: Update, context: BotContext) -> None:
    """``bz:fu:<message>``: the follow-up the rep promised in the chat, with one tap."""
    row_id = int_part(callback_parts(update, "bz"), 1)
    if row_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        made = business_chats.follow_up_from_message(session, context.me, row_id, now=deps.now())
    markup = keyboard([[(label(update, context, "open_customer"), f"cus:open:{made.customer_id}")]])
    await show(
        update,
        context,
        "business/follow_up_made",
        markup=markup,
        made=made,
        timezone=context.me.timezone,
    )
