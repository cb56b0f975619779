"""How handlers answer: render a template in the reader's language and send or edit a message.

Nothing here decides anything; it only turns a template name and values into Bot API calls.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, TelegramError

from bot.context import BotContext
from bot.parsing.text import received
from bot.services import people

Button = tuple[str, str]  # (label, callback data)

logger = logging.getLogger(__name__)
# The button presses answered while handling the update in hand (Telegram takes one answer).
_answered: ContextVar[set[str] | None] = ContextVar("answered_queries", default=None)


def begin_update() -> None:
    """Start counting the answers to button presses of a new update (in its own task)."""
    _answered.set(set())


async def answer_query(
    update: Update, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer the update's button press (stops the spinner on the button), once."""
    query = update.callback_query
    if query is None:
        return
    answered = _answered.get()
    if answered is not None:
        if query.id in answered:
            return
        answered.add(query.id)
    await query.answer(text, show_alert=show_alert)


async def answer_unanswered(update: object) -> None:
    """After a handler is done: a button press nobody answered gets an empty answer, so the
    person's button never spins until Telegram gives up."""
    if not isinstance(update, Update) or update.callback_query is None:
        return
    try:
        await answer_query(update)
    except TelegramError as error:  # the query is too old: nothing left to stop
        logger.info("a button press could not be answered: %s", error.message)


def message_text(update: Update) -> str:
    """The text of the update's message ("" for anything else), without control characters."""
    return received(update.message.text) if update.message and update.message.text else ""


def profile_of(update: Update) -> people.Profile | None:
    """The person behind the update as the services see them (None for bots and channels)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    return people.Profile.from_telegram(
        user.id, user.first_name, user.last_name, user.username, user.language_code
    )


def reader_language(update: Update, context: BotContext) -> str | None:
    """The language of whoever the answer is for: a registered person's own, a contact's,
    else what their Telegram app is set to."""
    if context.actor is not None:
        return context.actor.language
    if context.contact_language is not None:
        return context.contact_language
    user = update.effective_user
    return people.language_of_code(user.language_code) if user else None


def language_of_chat(context: BotContext, chat_id: int) -> str | None:
    """The language of the person in another chat (a staff member or a linked contact)."""
    with context.deps.db.session() as session:
        return people.chat_language(session, chat_id)


def label(update: Update, context: BotContext, name: str, /, *args: Any, **kwargs: Any) -> str:
    return context.deps.renderer.label(reader_language(update, context), name, *args, **kwargs)


def pager(update: Update, context: BotContext, page: int, pages: int, prefix: str) -> list[Button]:
    """Previous/next buttons for page ``page`` of ``pages`` (callback ``prefix:N``)."""
    row: list[Button] = []
    if page > 0:
        row.append((label(update, context, "previous"), f"{prefix}:{page - 1}"))
    if page < pages - 1:
        row.append((label(update, context, "next"), f"{prefix}:{page + 1}"))
    return row


def keyboard(rows: Iterable[Iterable[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def render(update: Update, context: BotContext, template: str, /, **values: Any) -> str:
    return context.deps.renderer.message(reader_language(update, context), template, **values)


async def reply(
    update: Update,
    context: BotContext,
    template: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> None:
    """Send a new message rendered from ``template`` to the chat of the update."""
    chat = update.effective_chat
    if chat is None:
        return
    text = render(update, context, template, **values)
    await context.bot.send_message(chat.id, text, reply_markup=markup)


async def send_with_reply_keyboard(
    update: Update,
    context: BotContext,
    template: str,
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove,
    **values: Any,
) -> None:
    """Send a message that shows (or removes) the keyboard under the typing field."""
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(
        chat.id, render(update, context, template, **values), reply_markup=markup
    )


async def show(
    update: Update,
    context: BotContext,
    template: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    **values: Any,
) -> None:
    """Answer a button press by replacing its message; answer a message with a new one."""
    query = update.callback_query
    if query is None or query.message is None:
        await reply(update, context, template, markup=markup, **values)
        return
    await answer_query(update)
    text = render(update, context, template, **values)
    if _already_shows(query.message, text, markup):
        return  # a second tap on the same button: nothing to change
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


def _already_shows(
    message: MaybeInaccessibleMessage, text: str, markup: InlineKeyboardMarkup | None
) -> bool:
    """Whether the message already reads ``text`` (HTML) with ``markup``, so that editing it
    would be refused as "message is not modified"."""
    if not isinstance(message, Message) or message.text is None:
        return False
    shown_markup = message.reply_markup if message.reply_markup else None
    if shown_markup != (markup if markup and markup.inline_keyboard else None):
        return False
    return html.unescape(message.text_html) == html.unescape(text)


async def alert(update: Update, context: BotContext, label_name: str) -> None:
    """A short pop-up answer to a button press (or a reply, for a message)."""
    query = update.callback_query
    text = label(update, context, label_name)
    if query is not None:
        await answer_query(update, text, show_alert=True)
    elif update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, text, parse_mode=None)


def callback_parts(update: Update, prefix: str) -> list[str]:
    """The fields of a ``prefix:a:b`` callback data after the prefix."""
    query = update.callback_query
    data = query.data if query and query.data else ""
    return data.split(":")[1:] if data.startswith(prefix + ":") else []


# The largest id a database row can have (a signed 64-bit integer, on SQLite and PostgreSQL).
LARGEST_ID = 2**63 - 1


def int_part(parts: list[str], index: int) -> int | None:
    """The whole number at ``index`` of a button's fields, or None when it is missing or is not
    one a record could have: only plain digits up to the largest row id count (no sign, spaces
    or underscores), so a forged button answers like one for a missing record."""
    part = parts[index] if 0 <= index < len(parts) else ""
    if not (part.isascii() and part.isdigit()) or len(part) > len(str(LARGEST_ID)):
        return None
    value = int(part)
    return value if value <= LARGEST_ID else None


# No list the bot shows has this many pages: a larger page number is a forged button.
LARGEST_PAGE = 10**6


def page_part(parts: list[str], index: int) -> int:
    """The page number at ``index`` of a button's fields: 0 when it is missing or not a number,
    and at most ``LARGEST_PAGE``, so no page's offset can overflow a database integer."""
    value = int_part(parts, index)
    return 0 if value is None else min(value, LARGEST_PAGE)
