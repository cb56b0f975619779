"""A local Telegram Bot API emulator (aiohttp) plus simulated users for tests and demos.

:class:`BotAPIEmulator` serves the subset of the Bot API the salesbot uses, so a real
python-telegram-bot ``Application`` can long-poll it. :class:`SimUser` plays a person in a
private chat with the bot, and :class:`BotMessage` records what the bot sent. Requests the
real Bot API would refuse are refused the same way and listed in ``emulator.rejections``.

Message sends (:data:`SENDING_METHODS`) pass one gate that can simulate Telegram's flood
control (:meth:`BotAPIEmulator.flood`, :meth:`BotAPIEmulator.limit_rate`) and lost connections
(:meth:`BotAPIEmulator.drop_connections`); every accepted send is timed in
``emulator.send_log`` (see :meth:`BotAPIEmulator.max_sends_in_window`).

After ``setWebhook`` the emulator POSTs each update to the webhook's URL (with the
``X-Telegram-Bot-Api-Secret-Token`` header when a secret was given), one at a time and in order,
as Telegram does; an update is dropped from the queue only on a 2xx answer, and tried again
otherwise. ``deleteWebhook`` goes back to queuing updates for ``getUpdates``. Unlike Telegram,
the emulator accepts ``http://`` webhook URLs (the tests run on localhost).

Telegram Business: :meth:`SimUser.connect_business` and :meth:`SimUser.disconnect_business` send
``business_connection`` updates (``getBusinessConnection`` answers for them), and
:meth:`SimUser.business_message` (with ``edit_business_message`` and
``delete_business_messages``) the messages of the user's chat with a partner, written by either.
As on Telegram, nothing comes from an account without an enabled connection; the chat partner
never becomes a chat the bot may write to, and a send on a business connection is refused (the
salesbot only reads these chats).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import re
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.emulator.telegram_html import TelegramHTMLError, parse_html, strip_formatted, utf16_len

__all__ = [
    "SENDING_METHODS",
    "BotAPIEmulator",
    "BotAPIError",
    "BotMessage",
    "InlineButton",
    "SimUser",
    "StoredFile",
    "UploadedFile",
]

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Handler = Callable[[JSONDict], Awaitable[Any]]
Listener = Callable[["SimUser", "BotMessage", str], None]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
TEXT_BUTTONS_UNALLOWED = "Bad Request: text buttons are unallowed in the inline keyboard"

# The methods that send a new message: flood control, dropped connections and the send log
# apply to these (and only these).
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendVenue"}
)
# Telegram's documented limits: about 30 messages per second overall; to one private chat it
# asks for about one per second but tolerates short bursts, so the emulator allows 5 per second.
MAX_SENDS_PER_SECOND = 30
MAX_SENDS_PER_CHAT_PER_SECOND = 5

# Parameters that are always strings, even when they look like JSON ("123", "true", ...).
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "language_code",
        "name",
        "description",
        "short_description",
        "action",
        "document",
        "photo",
        "voice",
        "secret_token",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
    }
)

_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_RETRY_SECONDS = 0.5
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=$|\s)")
_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class BotAPIError(Exception):
    """A refusal, sent back as ``{"ok": false, "error_code": code, "description": ...}``.

    ``parameters`` (a ResponseParameters object such as ``{"retry_after": 3}``) is added to the
    answer when given.
    """

    def __init__(
        self, description: str, code: int = 400, *, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(description)
        self.description = description
        self.code = code
        self.parameters = parameters


def _too_many_requests(retry_after: int) -> BotAPIError:
    """Telegram's flood-control refusal: HTTP 429 with ``parameters.retry_after``."""
    return BotAPIError(
        f"Too Many Requests: retry after {retry_after}",
        429,
        parameters={"retry_after": retry_after},
    )


@dataclass
class _Flood:
    """A pending :meth:`BotAPIEmulator.flood` order: refuse ``remaining`` more sends."""

    chat_id: int | None
    remaining: int
    retry_after: int


@dataclass
class UploadedFile:
    """A file part of a multipart request (how ``requests`` shows uploads)."""

    filename: str
    content: bytes
    mime_type: str


@dataclass
class StoredFile:
    """A file known to the emulator, downloadable through getFile + the file URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    mime_type: str
    filename: str | None


@dataclass
class InlineButton:
    """One inline keyboard button of a bot message."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    web_app_url: str | None = None  # a Mini App the button opens (no update is sent)


@dataclass
class BotMessage:
    """A message the bot sent; edits change it in place and deletion sets ``deleted``."""

    message_id: int
    kind: str  # "text" | "photo" | "document" | "location" | "venue"
    text: str  # plain text after entity parsing (the caption for media)
    html: str | None = None  # the raw text as sent when parse_mode was HTML
    entities: list[dict[str, Any]] = field(default_factory=list)
    inline_keyboard: list[list[InlineButton]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None  # raw markup as sent
    document: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    title: str | None = None  # a venue's
    address: str | None = None  # a venue's
    edits: int = 0
    deleted: bool = False
    chat_id: int = 0
    date: int = 0
    edit_date: int | None = None
    file_id: str | None = None
    file_unique_id: str | None = None
    reply_to_message_id: int | None = None

    def buttons(self) -> list[InlineButton]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]

    def button_texts(self) -> list[str]:
        """The texts of all inline buttons, row by row."""
        return [button.text for button in self.buttons()]


def _now() -> int:
    return int(time.time())


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG (or a stand-in size for anything else)."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 640, 480


class SimUser:
    """A simulated person chatting privately with the bot (chat id == user id)."""

    def __init__(
        self,
        emulator: BotAPIEmulator,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> None:
        self._emu = emulator
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.messages: list[BotMessage] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.chat_actions: list[str] = []
        self.blocked = False
        self.reply_keyboard: list[list[dict[str, Any]]] | None = None
        self.force_reply: dict[str, Any] | None = None
        self.sent: list[JSONDict] = []  # Message JSON of everything this user sent
        self.known = False  # the bot may write once the user has sent any update
        self._deleted_own: set[int] = set()
        self.business_connection_id: str | None = None  # their Telegram Business connection

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    # -- state -----------------------------------------------------------------------------

    def block(self) -> None:
        """Block the bot: further messages to this chat fail with 403."""
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def chat_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data

    def last(self) -> BotMessage:
        """The newest non-deleted message from the bot."""
        for message in reversed(self.messages):
            if not message.deleted:
                return message
        raise AssertionError(f"the bot has sent no (undeleted) message to chat {self.id}")

    def message(self, message_id: int) -> BotMessage:
        """The bot message with this id (deleted or not)."""
        for message in self.messages:
            if message.message_id == message_id:
                return message
        raise LookupError(f"no bot message {message_id} in chat {self.id}")

    def transcript(self) -> str:
        """A readable dump of the bot's messages in this chat, for assertion messages."""
        lines = []
        for message in self.messages:
            flags = " (deleted)" if message.deleted else ""
            buttons = f" {message.button_texts()}" if message.inline_keyboard else ""
            lines.append(f"#{message.message_id} [{message.kind}]{flags} {message.text!r}{buttons}")
        return "\n".join(lines) or "(no messages)"

    # -- waiting ---------------------------------------------------------------------------

    async def wait_for_messages(
        self,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - a plain number is handier in tests
    ) -> list[BotMessage]:
        """Wait until the bot has sent at least ``count`` messages here; return them all."""
        try:
            await self._emu._wait_change(lambda: len(self.messages) >= count, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"chat {self.id}: expected at least {count} bot message(s) within {timeout}s, "
                f"got {len(self.messages)}:\n{self.transcript()}"
            ) from None
        return list(self.messages)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait until ``predicate()`` holds; re-checked whenever the bot changes anything."""
        try:
            await self._emu._wait_change(predicate, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"chat {self.id}: {what} not met within {timeout}s; messages:\n{self.transcript()}"
            ) from None

    async def wait_for_callback_answers(
        self,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until the bot has answered ``count`` of this user's callback queries."""
        await self.wait_until(
            lambda: len(self.callback_answers) >= count,
            timeout,
            f"{count} callback answer(s) (have {len(self.callback_answers)})",
        )

    # -- acting ----------------------------------------------------------------------------

    async def send(self, text: str) -> int:
        """Send a text message; a leading /command gets a bot_command entity."""
        content: JSONDict = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}
            ]
        return await self._send_message(content)

    async def send_long(self, text: str) -> list[int]:
        """Send ``text`` as a Telegram app does when it is longer than one message allows:
        several messages of at most 4,096 characters (UTF-16 units), cut at the limit."""
        parts: list[str] = []
        start = size = 0
        for index, char in enumerate(text):
            width = 2 if ord(char) > 0xFFFF else 1
            if size + width > MAX_TEXT_LENGTH:
                parts.append(text[start:index])
                start, size = index, 0
            size += width
        parts.append(text[start:])
        return [await self.send(part) for part in parts if part]

    async def send_sticker(self, emoji: str = "👍") -> int:
        stored = self._emu.store_file(b"RIFF\x00\x00\x00\x00WEBP", mime_type="image/webp")
        return await self._send_message(
            {
                "sticker": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": emoji,
                }
            }
        )

    async def send_location(self, latitude: float, longitude: float) -> int:
        return await self._send_message(
            {"location": {"latitude": latitude, "longitude": longitude}}
        )

    async def send_venue(
        self, latitude: float, longitude: float, title: str, address: str = ""
    ) -> int:
        """A place picked on the map: Telegram sends it with its location too."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._send_message(
            {
                "location": location,
                "venue": {"location": location, "title": title, "address": address},
            }
        )

    async def send_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> int:
        contact: JSONDict = {"phone_number": phone_number, "first_name": first_name}
        if last_name is not None:
            contact["last_name"] = last_name
        if user_id is not None:
            contact["user_id"] = user_id
        return await self._send_message({"contact": contact})

    async def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        stored = self._emu.store_file(content, mime_type=mime_type, filename=filename)
        data: JSONDict = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": filename,
                "mime_type": mime_type,
                "file_size": len(content),
            }
        }
        if caption:
            data["caption"] = caption
        return await self._send_message(data)

    async def send_photo(self, content: bytes, caption: str | None = None) -> int:
        stored = self._emu.store_file(content, mime_type="image/jpeg", folder="photos")
        width, height = _image_size(content)
        data: JSONDict = {
            "photo": [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(content),
                }
            ]
        }
        if caption:
            data["caption"] = caption
        return await self._send_message(data)

    async def send_voice(self, content: bytes, duration: int = 3) -> int:
        stored = self._emu.store_file(content, mime_type="audio/ogg", folder="voice")
        return await self._send_message(
            {
                "voice": {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "duration": duration,
                    "mime_type": "audio/ogg",
                    "file_size": len(content),
                }
            }
        )

    async def press(self, button: str, message: BotMessage | None = None) -> int:
        """Press an inline button found by exact text or callback_data.

        Looks in ``message`` if given, else in the newest non-deleted bot message of this chat
        that has such a button.
        """
        candidates = (
            [message]
            if message is not None
            else [m for m in reversed(self.messages) if not m.deleted]
        )
        for candidate in candidates:
            found = next((b for b in candidate.buttons() if b.text == button), None)
            if found is None:
                found = next((b for b in candidate.buttons() if b.callback_data == button), None)
            if found is None:
                continue
            if found.callback_data is None:
                target = found.url or found.web_app_url
                raise LookupError(
                    f"button {found.text!r} in message {candidate.message_id} has no "
                    f"callback_data (url={target!r}); pressing it sends no update"
                )
            return await self.press_data(found.callback_data, candidate)
        raise LookupError(f"no inline button {button!r} in chat {self.id}; {self._available()}")

    async def press_data(self, callback_data: str, message: BotMessage | None = None) -> int:
        """Send a callback query with arbitrary data on ``message`` (default: newest)."""
        target = message if message is not None else self.last()
        return await self._emu._push_callback_query(self, target, callback_data)

    def _available(self) -> str:
        parts = []
        for message in reversed(self.messages):
            if message.deleted or not message.inline_keyboard:
                continue
            shown = ", ".join(
                f"{b.text!r} ({'data=' + repr(b.callback_data) if b.callback_data else 'url'})"
                for b in message.buttons()
            )
            parts.append(f"message {message.message_id}: {shown}")
        if not parts:
            return "no bot message here has inline buttons"
        return "available buttons: " + "; ".join(parts)

    async def _send_message(self, content: JSONDict) -> int:
        message = self._emu._new_user_message(self, content)
        return await self._emu._push_update({"message": message})

    # -- Telegram Business (this user owns the account; partners write to them) ------------------

    async def connect_business(self, *, can_reply: bool = True) -> int:
        """Connect the bot to this user's Telegram Business account (Settings → Business →
        Chatbots): a ``business_connection`` update with ``is_enabled`` true. Telegram refuses
        it for a bot without Business Mode (``emulator.can_connect_to_business``)."""
        return await self._emu._business_connection(self, enabled=True, can_reply=can_reply)

    async def disconnect_business(self) -> int:
        """Remove the bot from the account: the same connection with ``is_enabled`` false."""
        if self.business_connection_id is None:
            raise RuntimeError(f"{self!r} never connected the bot to a business account")
        return await self._emu._business_connection(self, enabled=False, can_reply=False)

    async def business_message(
        self,
        partner: SimUser,
        text: str | None = None,
        *,
        from_partner: bool = True,
        photo: bytes | None = None,
        document: tuple[str, bytes] | None = None,
    ) -> tuple[int, int]:
        """A message in this user's private chat with ``partner``, written by the partner (or,
        ``from_partner=False``, by this user), as the connected bot sees it: a
        ``business_message`` update. With ``photo`` or ``document`` (file name, content) the
        text is the caption. Returns (update id, the message's id in that chat). Telegram
        sends nothing without an enabled connection, so neither does the emulator."""
        return await self._emu._business_message(
            self, partner, text, from_partner=from_partner, photo=photo, document=document
        )

    async def edit_business_message(self, partner: SimUser, message_id: int, text: str) -> int:
        """The author of business message ``message_id`` edits its text (or caption)."""
        return await self._emu._edit_business_message(self, partner, message_id, text)

    async def delete_business_messages(self, partner: SimUser, message_ids: list[int]) -> int:
        """Messages of the chat with ``partner`` deleted: a ``deleted_business_messages``."""
        return await self._emu._delete_business_messages(self, partner, message_ids)


class BotAPIEmulator:
    """An aiohttp server speaking the Telegram Bot API for one bot, with simulated users.

    ``enforce_limits=True`` turns on Telegram-like rate limits for message sends (see
    :meth:`limit_rate`). ``clock`` is the emulator's own time source for those limits and for
    ``send_log`` (default :func:`time.monotonic`); tests may pass a fake one to make rolling
    windows exact. It must never go backwards. ``message_clock`` gives the ``date`` (Unix
    seconds) of what simulated users send (default :func:`time.time`); a test or the console
    may pass its own clock so message dates agree with the bot's.
    """

    def __init__(
        self,
        *,
        token: str = "123456789:TEST-token",
        bot_id: int = 123456789,
        bot_username: str = "salesbot_test_bot",
        bot_name: str = "Salesbot",
        enforce_limits: bool = False,
        clock: Callable[[], float] = time.monotonic,
        message_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.host = "127.0.0.1"
        self.port = 0
        self.rejections: list[tuple[str, str]] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        # Flood control and send timing (see flood, limit_rate, drop_connections).
        self.clock = clock
        self.message_clock = message_clock
        self.enforce_limits = enforce_limits
        self.overall_limit: int | None = MAX_SENDS_PER_SECOND
        self.per_chat_limit: int | None = MAX_SENDS_PER_CHAT_PER_SECOND
        self.limit_window = 1.0
        self.send_log: list[tuple[float, int, str]] = []  # (clock(), chat_id, method)
        self.refused_429 = 0
        self.dropped_connections = 0
        self._floods: list[_Flood] = []
        self._drops: list[bool] = []  # one entry per pending drop: True = after delivery
        self.webhook_url = ""
        self.webhook_secret = ""
        # Webhook delivery: updates accepted by the bot's server, and each failed attempt.
        self.webhook_deliveries = 0
        self.webhook_errors: list[str] = []
        self._webhook_task: asyncio.Task[None] | None = None
        self.allowed_updates: list[str] = []
        self.bot_settings: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.listeners: list[Listener] = []
        # Telegram Business: whether BotFather's Business Mode is on, the connections by id,
        # and the messages of each (owner, partner) chat.
        self.can_connect_to_business = True
        self.business_connections: dict[str, JSONDict] = {}
        self._business_chats: dict[tuple[int, int], list[JSONDict]] = {}
        self._users: dict[int, SimUser] = {}
        self._next_message_id: dict[int, int] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._queries: dict[str, SimUser] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self._updates_cond = asyncio.Condition()
        self._changes_cond = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("logOut", self._true),
                ("close", self._true),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("editMessageCaption", self._edit_message_caption),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("deleteMessages", self._delete_messages),
                ("answerCallbackQuery", self._answer_callback_query),
                ("sendPhoto", self._send_photo),
                ("sendDocument", self._send_document),
                ("sendLocation", self._send_location),
                ("sendVenue", self._send_venue),
                ("sendChatAction", self._send_chat_action),
                ("getFile", self._get_file),
                ("setMyCommands", self._set_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("setChatMenuButton", self._set_chat_menu_button),
                ("getChatMenuButton", self._get_chat_menu_button),
                ("setMyDescription", self._setting_setter("description", 512)),
                ("setMyShortDescription", self._setting_setter("short_description", 120)),
                ("setMyName", self._setting_setter("name", 64)),
                ("getMyDescription", self._setting_getter("description")),
                ("getMyShortDescription", self._setting_getter("short_description")),
                ("getMyName", self._setting_getter("name")),
                ("getChat", self._get_chat),
                ("getBusinessConnection", self._get_business_connection),
            )
        }

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving; ``port=0`` picks a free port (then read ``self.port``)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._closing = False
        self.host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.port = int(runner.addresses[0][1])
        log.info("Bot API emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._closing = True
        async with self._updates_cond:
            self._updates_cond.notify_all()
        await self._stop_webhook_delivery()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- simulated users & inspection --------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> SimUser:
        """Create the simulated user ``user_id``, or return the existing one."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        created = SimUser(
            self,
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = created
        return created

    @property
    def users(self) -> list[SimUser]:
        return list(self._users.values())

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands setMyCommands stored for exactly this scope and language ([] if none)."""
        key = (self._scope_key(scope, check_chat=False), language_code or "")
        return [dict(command) for command in self._commands.get(key, [])]

    def visible_commands(
        self, user_id: int, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """The command menu Telegram would show this user in the private chat with the bot."""
        if language_code is None:
            user = self._users.get(user_id)
            language_code = user.language_code if user else None
        scopes: list[tuple[Any, ...]] = [("chat", user_id), ("all_private_chats",), ("default",)]
        for scope in scopes:
            for lang in (language_code or "", ""):
                commands = self._commands.get((scope, lang))
                if commands:
                    return [dict(command) for command in commands]
        return []

    def pending_updates(self) -> int:
        """Updates not yet acknowledged by the bot (via a later getUpdates offset)."""
        return len(self._updates)

    def store_file(
        self,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        filename: str | None = None,
        folder: str = "documents",
    ) -> StoredFile:
        """Keep ``content`` as a file with a fresh file_id (downloadable via getFile)."""
        number = next(self._file_ids)
        suffix = PurePosixPath(filename).suffix if filename else ""
        if not suffix:
            suffix = {"image/jpeg": ".jpg", "audio/ogg": ".oga"}.get(mime_type, "")
        stored = StoredFile(
            file_id=f"EMU-{folder}-{number:06d}",
            file_unique_id=f"emu-uniq-{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            content=content,
            mime_type=mime_type,
            filename=filename,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    # -- flood control, network failures, send timing ------------------------------------------

    def flood(self, count: int, retry_after: int = 1, chat_id: int | None = None) -> None:
        """Refuse the next ``count`` message sends with Telegram's flood-control answer.

        Each refused send (a method of :data:`SENDING_METHODS`) to ``chat_id`` (to any chat
        when ``None``) gets HTTP 429 ``{"ok": false, "error_code": 429, "description": "Too
        Many Requests: retry after N", "parameters": {"retry_after": N}}``, which
        python-telegram-bot raises as ``telegram.error.RetryAfter``. A refused send creates no
        message and is not in ``send_log``; it counts in ``refused_429`` and ``rejections``.
        Orders add up and are used in the order given; the refusal comes before any other check
        of the request (a blocked user, an unknown chat, a bad text).
        """
        if retry_after < 1:
            raise ValueError("retry_after must be at least 1 (PTB ignores 0)")
        if count > 0:
            self._floods.append(_Flood(chat_id=chat_id, remaining=count, retry_after=retry_after))

    def limit_rate(
        self,
        overall: int | None = MAX_SENDS_PER_SECOND,
        per_chat: int | None = MAX_SENDS_PER_CHAT_PER_SECOND,
        window: float = 1.0,
    ) -> None:
        """Turn on automatic rate limits for message sends (off unless ``enforce_limits``).

        A send is refused with 429 (see :meth:`flood`) when ``overall`` sends were already
        accepted in the rolling ``window`` seconds before it (the half-open interval
        ``(now - window, now]`` of :attr:`clock`), or ``per_chat`` sends to the same chat.
        ``None`` switches that rule off. ``retry_after`` is the whole number of seconds (at
        least 1) until enough of those sends leave the window. ``enforce_limits=False``
        switches the limits off again.
        """
        if window <= 0:
            raise ValueError("window must be positive")
        if any(limit is not None and limit < 1 for limit in (overall, per_chat)):
            raise ValueError("limits must be at least 1 (or None for no limit)")
        self.overall_limit = overall
        self.per_chat_limit = per_chat
        self.limit_window = window
        self.enforce_limits = True

    def drop_connections(self, count: int, *, after_delivery: bool = False) -> None:
        """Make the next ``count`` message sends fail as a network error.

        The server aborts the TCP connection without answering, so python-telegram-bot's
        httpx client sees ``RemoteProtocolError`` and raises ``telegram.error.NetworkError``.
        (A real drop rather than an HTTP 502: PTB maps 502 to ``NetworkError`` as well, but an
        abort also exercises the client's connection handling.) By default the request is lost
        before Telegram acts on it: no message, no ``send_log`` entry. With
        ``after_delivery=True`` the send is carried out (and logged) and only the answer is
        lost, the case that makes a naive retry send a duplicate. Each drop counts in
        ``dropped_connections``. Other methods (getUpdates, edits, ...) are not affected.
        """
        self._drops.extend([after_delivery] * max(count, 0))

    def max_sends_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """The most accepted sends (to ``chat_id``, or to any chat) within ``window`` seconds.

        Counts sends whose ``send_log`` times differ by less than ``window``, the same rolling
        window :meth:`limit_rate` enforces.
        """
        times = sorted(t for t, chat, _ in self.send_log if chat_id is None or chat == chat_id)
        best = 0
        start = 0
        for end, moment in enumerate(times):
            while moment - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    # -- internals shared with SimUser -------------------------------------------------------

    def bot_user_json(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _new_user_message(self, user: SimUser, content: JSONDict) -> JSONDict:
        message: JSONDict = {
            "message_id": self._new_message_id(user.id),
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": int(self.message_clock()),
            **content,
        }
        user.sent.append(message)
        user.known = True
        return message

    async def _push_update(self, payload: JSONDict) -> int:
        update_id = next(self._update_ids)
        update_type = next(iter(payload))
        if self.allowed_updates and update_type not in self.allowed_updates:
            log.info("update %s (%s) dropped by allowed_updates", update_id, update_type)
            return update_id
        async with self._updates_cond:
            self._updates.append({"update_id": update_id, **payload})
            self._updates_cond.notify_all()
        return update_id

    async def _push_callback_query(self, user: SimUser, message: BotMessage, data: str) -> int:
        query_id = f"{user.id}{next(self._query_ids):06d}"
        self._queries[query_id] = user
        user.known = True
        return await self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_json(),
                    "chat_instance": f"emu-{user.id}",
                    "data": data,
                    "message": self._message_json(user, message),
                }
            }
        )

    # -- Telegram Business ----------------------------------------------------------------------

    async def _business_connection(self, owner: SimUser, *, enabled: bool, can_reply: bool) -> int:
        if enabled and not self.can_connect_to_business:
            raise RuntimeError("Telegram offers only bots with Business Mode on as chatbots")
        connection_id = owner.business_connection_id or f"emu-business-{owner.id}"
        owner.business_connection_id = connection_id
        connection: JSONDict = {
            "id": connection_id,
            "user": owner.to_json(),
            "user_chat_id": owner.id,
            "date": int(self.message_clock()),
            "rights": {"can_reply": can_reply, "can_read_messages": True} if enabled else {},
            "is_enabled": enabled,
        }
        self.business_connections[connection_id] = connection
        return await self._push_update({"business_connection": connection})

    def _enabled_connection(self, owner: SimUser) -> str:
        connection_id = owner.business_connection_id
        connection = self.business_connections.get(connection_id or "")
        if connection_id is None or connection is None or not connection["is_enabled"]:
            raise RuntimeError(
                f"{owner!r} has no enabled business connection: Telegram sends the bot nothing"
            )
        return connection_id

    async def _business_message(
        self,
        owner: SimUser,
        partner: SimUser,
        text: str | None,
        *,
        from_partner: bool,
        photo: bytes | None,
        document: tuple[str, bytes] | None,
    ) -> tuple[int, int]:
        connection_id = self._enabled_connection(owner)
        if partner.id == owner.id:
            raise RuntimeError("a business chat is between the account's owner and someone else")
        chat = self._business_chats.setdefault((owner.id, partner.id), [])
        content: JSONDict = {}
        if photo is not None:
            stored = self.store_file(photo, mime_type="image/jpeg", folder="photos")
            width, height = _image_size(photo)
            content["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(photo),
                }
            ]
        elif document is not None:
            filename, data = document
            stored = self.store_file(data, filename=filename)
            content["document"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": filename,
                "mime_type": stored.mime_type,
                "file_size": len(data),
            }
        elif not text:
            raise BotAPIError("Bad Request: message text is empty")
        if text:
            content["caption" if content else "text"] = text
        author = partner if from_partner else owner
        message: JSONDict = {
            "message_id": len(chat) + 1,
            "from": author.to_json(),
            "chat": partner.chat_json(),  # the chat as the account's owner sees it
            "date": int(self.message_clock()),
            "business_connection_id": connection_id,
            **content,
        }
        chat.append(message)
        update_id = await self._push_update({"business_message": message})
        return update_id, int(message["message_id"])

    def _business_chat_message(self, owner: SimUser, partner: SimUser, message_id: int) -> JSONDict:
        for message in self._business_chats.get((owner.id, partner.id), []):
            if message["message_id"] == message_id:
                return message
        raise RuntimeError(f"no business message {message_id} between {owner!r} and {partner!r}")

    async def _edit_business_message(
        self, owner: SimUser, partner: SimUser, message_id: int, text: str
    ) -> int:
        connection_id = self._enabled_connection(owner)
        message = self._business_chat_message(owner, partner, message_id)
        key = "text" if "text" in message else "caption"
        if message.get(key) == text:
            raise BotAPIError(NOT_MODIFIED)
        message[key] = text
        message["edit_date"] = int(self.message_clock())
        message["business_connection_id"] = connection_id
        return await self._push_update({"edited_business_message": dict(message)})

    async def _delete_business_messages(
        self, owner: SimUser, partner: SimUser, message_ids: list[int]
    ) -> int:
        connection_id = self._enabled_connection(owner)
        for message_id in message_ids:
            self._business_chat_message(owner, partner, message_id)
        return await self._push_update(
            {
                "deleted_business_messages": {
                    "business_connection_id": connection_id,
                    "chat": partner.chat_json(),
                    "message_ids": list(message_ids),
                }
            }
        )

    async def _wait_change(self, predicate: Callable[[], bool], seconds: float) -> None:
        async with self._changes_cond:
            await asyncio.wait_for(self._changes_cond.wait_for(predicate), seconds)

    async def _changed(self, user: SimUser, message: BotMessage | None, event: str) -> None:
        async with self._changes_cond:
            self._changes_cond.notify_all()
        if message is not None:
            for listener in list(self.listeners):
                try:
                    listener(user, message, event)
                except Exception:
                    log.exception("emulator listener failed")

    def _message_json(self, user: SimUser, message: BotMessage) -> JSONDict:
        data: JSONDict = {
            "message_id": message.message_id,
            "from": self.bot_user_json(),
            "chat": user.chat_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        text_key, entities_key = "caption", "caption_entities"
        if message.kind == "text":
            text_key, entities_key = "text", "entities"
        elif message.kind == "document":
            data["document"] = {
                "file_id": message.file_id,
                "file_unique_id": message.file_unique_id,
                "file_name": message.filename,
                "mime_type": message.mime_type,
                "file_size": len(message.document or b""),
            }
        elif message.kind == "photo":
            width, height = _image_size(message.document or b"")
            data["photo"] = [
                {
                    "file_id": message.file_id,
                    "file_unique_id": message.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(message.document or b""),
                }
            ]
        elif message.kind in ("location", "venue"):
            data["location"] = {"latitude": message.latitude, "longitude": message.longitude}
            if message.kind == "venue":
                data["venue"] = {
                    "location": data["location"],
                    "title": message.title,
                    "address": message.address,
                }
        if message.text:
            data[text_key] = message.text
            if message.entities:
                data[entities_key] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = {"inline_keyboard": message.reply_markup["inline_keyboard"]}
        if message.reply_to_message_id is not None:
            replied = self._find_any_message(user, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = replied
        return data

    def _find_any_message(self, user: SimUser, message_id: int) -> JSONDict | None:
        for sent in user.sent:
            if sent["message_id"] == message_id and message_id not in user._deleted_own:
                return sent
        for message in user.messages:
            if message.message_id == message_id and not message.deleted:
                return self._message_json(user, message)
        return None

    # -- HTTP layer --------------------------------------------------------------------------

    def _error(
        self, method: str, code: int, description: str, parameters: JSONDict | None = None
    ) -> web.Response:
        self.rejections.append((method, description))
        log.warning("Bot API emulator refused %s: %s", method, description)
        body: JSONDict = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(method, 401, "Unauthorized")
        entry = self._methods.get(method.lower())
        if entry is None:
            return self._error(method, 404, "Not Found: method not found")
        name, handler = entry
        try:
            params = await self._read_params(request)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._error(name, 400, f"Bad Request: can't parse request: {exc}")
        self.requests.append((name, params))
        if name not in SENDING_METHODS:
            return await self._call(name, handler, params)
        drop_after = self._drops.pop(0) if self._drops else None
        if drop_after is False:
            return self._drop(request, name)
        response = await self._call(name, handler, params, sending=True)
        return self._drop(request, name) if drop_after else response

    async def _call(
        self, name: str, handler: Handler, params: JSONDict, *, sending: bool = False
    ) -> web.Response:
        """Run a method; a send first passes flood control (see :meth:`_admit_send`)."""
        entry: tuple[float, int, str] | None = None
        try:
            if sending:
                entry = self._admit_send(name, params)
            result = await handler(params)
        except BotAPIError as exc:
            self._withdraw(entry)
            return self._error(name, exc.code, exc.description, exc.parameters)
        except asyncio.CancelledError:
            raise  # handlers only await after storing the message: the send stands
        except Exception as exc:
            self._withdraw(entry)
            log.exception("Bot API emulator crashed in %s", name)
            return self._error(name, 500, f"Internal Server Error: emulator crashed: {exc!r}")
        return web.json_response({"ok": True, "result": result})

    def _admit_send(self, name: str, params: JSONDict) -> tuple[float, int, str]:
        """Apply flood orders and rate limits to a send, or raise 429.

        An admitted send goes into ``send_log`` at once, so concurrent sends see it in the
        rolling window; :meth:`_call` withdraws the entry if the send then fails.
        """
        now = self.clock()
        value: Any = params.get("chat_id")
        chat_id: int | None = None
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(value)  # as _chat parses it
        for order in self._floods:
            if order.chat_id is None or order.chat_id == chat_id:
                order.remaining -= 1
                if order.remaining <= 0:
                    self._floods.remove(order)
                self.refused_429 += 1
                raise _too_many_requests(order.retry_after)
        if self.enforce_limits:
            wait = self._limit_wait(now, chat_id)
            if wait is not None:
                self.refused_429 += 1
                raise _too_many_requests(wait)
        entry = (now, -1 if chat_id is None else chat_id, name)  # -1: the send will fail
        self.send_log.append(entry)
        return entry

    def _withdraw(self, entry: tuple[float, int, str] | None) -> None:
        """Take a failed send's entry back out of ``send_log``."""
        if entry is not None:
            self.send_log.remove(entry)

    def _limit_wait(self, now: float, chat_id: int | None) -> int | None:
        """Seconds to wait before a send at ``now`` is within the limits (None: send now)."""
        overall: list[float] = []
        per_chat: list[float] = []
        for moment, chat, _ in reversed(self.send_log):
            if moment <= now - self.limit_window:
                break
            overall.append(moment)
            if chat == chat_id:
                per_chat.append(moment)
        waits = [
            # The oldest sends must leave the window until fewer than ``limit`` remain.
            sorted(moments)[len(moments) - limit] + self.limit_window - now
            for moments, limit in ((overall, self.overall_limit), (per_chat, self.per_chat_limit))
            if limit is not None and len(moments) >= limit
        ]
        if not waits:
            return None
        return max(1, math.ceil(max(waits)))

    def _drop(self, request: web.Request, name: str) -> web.Response:
        """Abort the connection so the client gets no answer (a simulated network failure)."""
        self.dropped_connections += 1
        log.warning("Bot API emulator dropped the connection of %s", name)
        if request.transport is not None:
            request.transport.abort()
        # Never reaches the client once the transport is aborted; aiohttp discards it.
        return web.Response(status=502, text="Bad Gateway")

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("JSON body must be an object")
                raw.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = UploadedFile(
                            filename=value.filename,
                            content=value.file.read(),
                            mime_type=value.content_type,
                        )
                    else:
                        raw[key] = value
        return {key: self._decode_field(key, value) for key, value in raw.items()}

    @staticmethod
    def _decode_field(key: str, value: Any) -> Any:
        if key in _STRING_FIELDS:
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, int | float):
                return str(value)
            return value
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error("file", 401, "Unauthorized")
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return self._error("file", 404, "Not Found: file not found")
        return web.Response(body=stored.content, content_type=stored.mime_type)

    # -- parameter helpers -------------------------------------------------------------------

    @staticmethod
    def _int_param(params: JSONDict, name: str, *, required: bool = True) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            if required:
                raise BotAPIError(f"Bad Request: {name} is empty")
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise BotAPIError(f"Bad Request: wrong parameter {name}")
        try:
            return int(value)
        except ValueError:
            raise BotAPIError(f"Bad Request: wrong parameter {name}") from None

    def _chat(self, params: JSONDict, *, sending: bool = True) -> SimUser:
        value = params.get("chat_id")
        if value is None or value == "":
            raise BotAPIError("Bad Request: chat_id is empty")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise BotAPIError("Bad Request: chat not found") from None
        user = self._users.get(chat_id)
        if user is None or not user.known:
            raise BotAPIError("Bad Request: chat not found")
        if sending and user.blocked:
            raise BotAPIError("Forbidden: bot was blocked by the user", 403)
        return user

    def _bot_message(self, user: SimUser, params: JSONDict, *, action: str) -> BotMessage:
        if params.get("inline_message_id"):
            raise BotAPIError("Bad Request: MESSAGE_ID_INVALID")
        message_id = self._int_param(params, "message_id")
        for message in user.messages:
            if message.message_id == message_id and not message.deleted:
                return message
        if any(m["message_id"] == message_id for m in user.sent):
            raise BotAPIError(f"Bad Request: message can't be {action}ed")
        raise BotAPIError(f"Bad Request: message to {action} not found")

    @staticmethod
    def _format(
        params: JSONDict, text_key: str, entities_key: str
    ) -> tuple[str, list[dict[str, Any]], str | None]:
        """Apply parse_mode/entities to the text field; returns (text, entities, html)."""
        text = params.get(text_key)
        if text is None:
            return "", [], None
        if not isinstance(text, str):
            text = str(text)
        entities = params.get(entities_key)
        html: str | None = None
        if entities is not None:
            if not isinstance(entities, list) or not all(
                isinstance(e, dict)
                and isinstance(e.get("type"), str)
                and isinstance(e.get("offset"), int)
                and isinstance(e.get("length"), int)
                for e in entities
            ):
                raise BotAPIError("Bad Request: can't parse entities JSON object")
            parsed = [dict(e) for e in entities if e["length"] > 0]
        else:
            parse_mode = params.get("parse_mode") or ""
            if not isinstance(parse_mode, str):
                raise BotAPIError("Bad Request: unsupported parse_mode")
            mode = parse_mode.lower()
            if mode == "html":
                try:
                    text, parsed = parse_html(text)
                except TelegramHTMLError as exc:
                    raise BotAPIError(f"Bad Request: {exc.description}") from None
                html = params[text_key]
            elif mode in ("markdown", "markdownv2"):
                raise BotAPIError(
                    f"Bad Request: unsupported parse_mode (the emulator implements only HTML, "
                    f"got {parse_mode!r})"
                )
            elif mode == "":
                parsed = []
            else:
                raise BotAPIError("Bad Request: unsupported parse_mode")
        text, parsed = strip_formatted(text, parsed)
        return text, parsed, html

    def _message_text(self, params: JSONDict) -> tuple[str, list[dict[str, Any]], str | None]:
        text, entities, html = self._format(params, "text", "entities")
        if not text:
            raise BotAPIError("Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise BotAPIError("Bad Request: message is too long")
        return text, entities, html

    def _caption(self, params: JSONDict) -> tuple[str, list[dict[str, Any]], str | None]:
        caption, entities, html = self._format(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise BotAPIError("Bad Request: message caption is too long")
        return caption, entities, html

    @staticmethod
    def _parse_markup(
        value: Any, *, inline_only: bool = False
    ) -> tuple[dict[str, Any] | None, list[list[InlineButton]]]:
        """Validate reply_markup; returns (raw markup, inline keyboard)."""
        if value is None:
            return None, []
        if not isinstance(value, dict):
            raise BotAPIError("Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in value:
            rows = value["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise BotAPIError("Bad Request: can't parse inline keyboard markup JSON object")
            keyboard = [[_parse_inline_button(button) for button in row] for row in rows]
            return value, keyboard
        if inline_only:
            raise BotAPIError("Bad Request: inline keyboard expected")
        if "keyboard" in value:
            rows = value["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise BotAPIError("Bad Request: can't parse reply keyboard markup JSON object")
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else None
                    if isinstance(button, dict):
                        text = button.get("text")
                    if not isinstance(text, str) or not text:
                        raise BotAPIError("Bad Request: keyboard button text must be non-empty")
            return value, []
        if value.get("remove_keyboard") is True or value.get("force_reply") is True:
            return value, []
        raise BotAPIError("Bad Request: can't parse reply keyboard markup JSON object")

    @staticmethod
    def _apply_chat_markup(user: SimUser, markup: dict[str, Any] | None) -> None:
        if not markup:
            return
        if "keyboard" in markup:
            user.reply_keyboard = [
                [{"text": b} if isinstance(b, str) else dict(b) for b in row]
                for row in markup["keyboard"]
            ]
        elif markup.get("remove_keyboard") is True:
            user.reply_keyboard = None
        elif markup.get("force_reply") is True:
            user.force_reply = markup

    def _reply_to(self, user: SimUser, params: JSONDict) -> int | None:
        reply = params.get("reply_parameters")
        message_id: Any = None
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        elif reply is not None:
            raise BotAPIError("Bad Request: can't parse reply parameters JSON object")
        if message_id is None:
            message_id = params.get("reply_to_message_id")
        if message_id is None:
            return None
        if not isinstance(message_id, int) or self._find_any_message(user, message_id) is None:
            if allow_missing:
                return None
            raise BotAPIError("Bad Request: message to be replied not found")
        return message_id

    async def _deliver(self, user: SimUser, message: BotMessage, params: JSONDict) -> JSONDict:
        self._apply_chat_markup(user, message.reply_markup)
        user.messages.append(message)
        await self._changed(user, message, "sent")
        return self._message_json(user, message)

    def _upload(self, params: JSONDict, name: str, *, mime_type: str, folder: str) -> StoredFile:
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if value is None or value == "":
            raise BotAPIError(f"Bad Request: there is no {name} in the request")
        if isinstance(value, UploadedFile):
            return self.store_file(
                value.content,
                mime_type=value.mime_type or mime_type,
                filename=value.filename,
                folder=folder,
            )
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        raise BotAPIError("Bad Request: wrong file identifier/HTTP URL specified")

    # -- methods: bot & updates --------------------------------------------------------------

    async def _true(self, params: JSONDict) -> bool:
        return True

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": self.can_connect_to_business,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, params: JSONDict) -> bool:
        url = params.get("url")
        if not isinstance(url, str):
            raise BotAPIError("Bad Request: bad webhook: URL must be a string")
        if url and not re.match(r"^https?://[^/\s]+", url):
            raise BotAPIError("Bad Request: bad webhook: invalid URL")
        secret = params.get("secret_token", "")
        if secret and not (isinstance(secret, str) and _WEBHOOK_SECRET_RE.match(secret)):
            raise BotAPIError("Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed]
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        if not url:  # setWebhook with an empty URL removes the webhook, as deleteWebhook
            return await self._delete_webhook({})
        self.webhook_url, self.webhook_secret = url, str(secret or "")
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(
                self._deliver_to_webhook(), name="emulator-webhook"
            )
        async with self._updates_cond:
            self._updates_cond.notify_all()
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        self.webhook_url, self.webhook_secret = "", ""
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        async with self._updates_cond:
            self._updates_cond.notify_all()  # the delivery task ends
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url and self.webhook_errors:
            info["last_error_message"] = self.webhook_errors[-1]
        return info

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_to_webhook(self) -> None:
        """POST queued updates to the webhook, oldest first, until it is removed."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                async with self._updates_cond:
                    await self._updates_cond.wait_for(
                        lambda: bool(self._updates) or self._closing or not self.webhook_url
                    )
                if self._closing or not self.webhook_url:
                    return
                update = self._updates[0]
                headers = {}
                if self.webhook_secret:
                    headers[WEBHOOK_SECRET_HEADER] = self.webhook_secret
                try:
                    async with session.post(
                        self.webhook_url, json=update, headers=headers
                    ) as response:
                        error = None
                        if not 200 <= response.status < 300:
                            error = f"Wrong response from the webhook: {response.status}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection failed: {exc!r}"
                if error is None:
                    self.webhook_deliveries += 1
                    if self._updates and self._updates[0] is update:
                        self._updates.pop(0)
                    continue
                self.webhook_errors.append(error)
                log.info("webhook delivery of update %s failed: %s", update["update_id"], error)
                await asyncio.sleep(WEBHOOK_RETRY_SECONDS)

    def _acknowledge(self, offset: int) -> None:
        if offset < 0:
            del self._updates[: max(len(self._updates) + offset, 0)]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise BotAPIError(
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
                409,
            )
        offset = self._int_param(params, "offset", required=False) or 0
        limit = self._int_param(params, "limit", required=False) or 100
        limit = min(max(limit, 1), 100)
        timeout_value = params.get("timeout", 0)
        timeout = float(timeout_value) if isinstance(timeout_value, int | float | str) else 0.0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = [str(kind) for kind in allowed]
        self._acknowledge(offset)
        async with self._updates_cond:
            if not self._updates and timeout > 0 and not self._closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._updates_cond.wait_for(lambda: bool(self._updates) or self._closing),
                        timeout,
                    )
            return [dict(update) for update in self._updates[:limit]]

    # -- methods: messages -------------------------------------------------------------------

    def _refuse_business_send(self, params: JSONDict) -> None:
        """Sending on a rep's behalf into their business chats is not emulated: the salesbot
        only reads them, so any such send is a bug (python-telegram-bot's ``reply_*`` on a
        business message would do it) and is refused."""
        if params.get("business_connection_id"):
            raise BotAPIError(
                "Bad Request: the emulator does not send into business chats (the bot only reads)"
            )

    async def _send_message(self, params: JSONDict) -> JSONDict:
        self._refuse_business_send(params)
        user = self._chat(params)
        text, entities, html = self._message_text(params)
        markup, keyboard = self._parse_markup(params.get("reply_markup"))
        message = BotMessage(
            message_id=self._new_message_id(user.id),
            kind="text",
            text=text,
            html=html,
            entities=entities,
            inline_keyboard=keyboard,
            reply_markup=markup,
            chat_id=user.id,
            date=_now(),
            reply_to_message_id=self._reply_to(user, params),
        )
        return await self._deliver(user, message, params)

    async def _send_media(self, params: JSONDict, kind: str) -> JSONDict:
        self._refuse_business_send(params)
        user = self._chat(params)
        caption, entities, html = self._caption(params)
        markup, keyboard = self._parse_markup(params.get("reply_markup"))
        reply_to = self._reply_to(user, params)
        if kind == "photo":
            stored = self._upload(params, "photo", mime_type="image/jpeg", folder="photos")
        else:
            stored = self._upload(
                params, "document", mime_type="application/octet-stream", folder="documents"
            )
        message = BotMessage(
            message_id=self._new_message_id(user.id),
            kind=kind,
            text=caption,
            html=html,
            entities=entities,
            inline_keyboard=keyboard,
            reply_markup=markup,
            document=stored.content,
            filename=stored.filename,
            mime_type=stored.mime_type,
            chat_id=user.id,
            date=_now(),
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            reply_to_message_id=reply_to,
        )
        return await self._deliver(user, message, params)

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        return await self._send_media(params, "photo")

    async def _send_document(self, params: JSONDict) -> JSONDict:
        return await self._send_media(params, "document")

    async def _send_location(self, params: JSONDict) -> JSONDict:
        return await self._send_place(params, "location")

    async def _send_venue(self, params: JSONDict) -> JSONDict:
        return await self._send_place(params, "venue")

    async def _send_place(self, params: JSONDict, kind: str) -> JSONDict:
        user = self._chat(params)
        title = address = None
        if kind == "venue":  # Telegram wants both, non-empty
            title, address = params.get("title"), params.get("address")
            for name, value in (("title", title), ("address", address)):
                if not isinstance(value, str) or not value.strip():
                    raise BotAPIError(f"Bad Request: {name} is empty")
        coordinates: list[float] = []
        for name, bound in (("latitude", 90.0), ("longitude", 180.0)):
            value = params.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BotAPIError(f"Bad Request: {name} is empty")
            if not -bound <= float(value) <= bound:
                raise BotAPIError(f"Bad Request: wrong {name} specified")
            coordinates.append(float(value))
        markup, keyboard = self._parse_markup(params.get("reply_markup"))
        message = BotMessage(
            message_id=self._new_message_id(user.id),
            kind=kind,
            text="",
            inline_keyboard=keyboard,
            reply_markup=markup,
            latitude=coordinates[0],
            longitude=coordinates[1],
            title=title,
            address=address,
            chat_id=user.id,
            date=_now(),
            reply_to_message_id=self._reply_to(user, params),
        )
        return await self._deliver(user, message, params)

    async def _send_chat_action(self, params: JSONDict) -> bool:
        user = self._chat(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise BotAPIError("Bad Request: wrong parameter action in request")
        user.chat_actions.append(str(action))
        return True

    async def _apply_edit(
        self,
        user: SimUser,
        message: BotMessage,
        text: str,
        entities: list[dict[str, Any]],
        html: str | None,
        markup: dict[str, Any] | None,
        keyboard: list[list[InlineButton]],
    ) -> JSONDict:
        same_text = message.text == text and message.entities == entities
        if same_text and message.inline_keyboard == keyboard:
            raise BotAPIError(NOT_MODIFIED)
        message.text = text
        message.entities = entities
        message.html = html
        message.reply_markup = markup
        message.inline_keyboard = keyboard
        message.edits += 1
        message.edit_date = _now()
        await self._changed(user, message, "edited")
        return self._message_json(user, message)

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        user = self._chat(params, sending=False)
        message = self._bot_message(user, params, action="edit")
        if message.kind != "text":
            raise BotAPIError("Bad Request: there is no text in the message to edit")
        text, entities, html = self._message_text(params)
        markup, keyboard = self._parse_markup(params.get("reply_markup"), inline_only=True)
        return await self._apply_edit(user, message, text, entities, html, markup, keyboard)

    async def _edit_message_caption(self, params: JSONDict) -> JSONDict:
        user = self._chat(params, sending=False)
        message = self._bot_message(user, params, action="edit")
        if message.kind not in ("photo", "document"):
            raise BotAPIError("Bad Request: there is no caption in the message to edit")
        caption, entities, html = self._caption(params)
        markup, keyboard = self._parse_markup(params.get("reply_markup"), inline_only=True)
        return await self._apply_edit(user, message, caption, entities, html, markup, keyboard)

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        user = self._chat(params, sending=False)
        message = self._bot_message(user, params, action="edit")
        markup, keyboard = self._parse_markup(params.get("reply_markup"), inline_only=True)
        return await self._apply_edit(
            user, message, message.text, message.entities, message.html, markup, keyboard
        )

    async def _delete_one(self, user: SimUser, message_id: int) -> bool:
        for message in user.messages:
            if message.message_id == message_id and not message.deleted:
                message.deleted = True
                await self._changed(user, message, "deleted")
                return True
        if message_id not in user._deleted_own and any(
            m["message_id"] == message_id for m in user.sent
        ):
            user._deleted_own.add(message_id)
            return True
        return False

    async def _delete_message(self, params: JSONDict) -> bool:
        user = self._chat(params, sending=False)
        message_id = self._int_param(params, "message_id")
        assert message_id is not None
        if not await self._delete_one(user, message_id):
            raise BotAPIError("Bad Request: message to delete not found")
        return True

    async def _delete_messages(self, params: JSONDict) -> bool:
        user = self._chat(params, sending=False)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            raise BotAPIError("Bad Request: message_ids must be a list of 1-100 message ids")
        for message_id in ids:
            if not isinstance(message_id, int):
                raise BotAPIError("Bad Request: wrong message identifier specified")
            await self._delete_one(user, message_id)
        return True

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = params.get("callback_query_id")
        user = self._queries.pop(str(query_id), None) if query_id is not None else None
        if user is None:
            raise BotAPIError(QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise BotAPIError("Bad Request: MESSAGE_TOO_LONG")
        user.callback_answers.append(dict(params))
        await self._changed(user, None, "callback_answer")
        return True

    # -- methods: files ----------------------------------------------------------------------

    async def _get_file(self, params: JSONDict) -> JSONDict:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise BotAPIError("Bad Request: wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # -- methods: commands, menu, profile ----------------------------------------------------

    def _scope_key(self, scope: Any, *, check_chat: bool = True) -> tuple[Any, ...]:
        if scope is None:
            return ("default",)
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise BotAPIError("Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind,)
        if kind not in ("chat", "chat_administrators", "chat_member"):
            raise BotAPIError("Bad Request: wrong BotCommandScope type specified")
        try:
            chat_id = int(scope["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise BotAPIError("Bad Request: chat not found") from None
        if check_chat:
            user = self._users.get(chat_id)
            if user is None or not user.known:
                raise BotAPIError("Bad Request: chat not found")
        if kind == "chat_member":
            try:
                return (kind, chat_id, int(scope["user_id"]))
            except (KeyError, TypeError, ValueError):
                raise BotAPIError("Bad Request: user not found") from None
        return (kind, chat_id)

    def _command_key(self, params: JSONDict) -> tuple[tuple[Any, ...], str]:
        language = params.get("language_code") or ""
        if not isinstance(language, str) or (language and not re.fullmatch(r"[a-z]{2}", language)):
            raise BotAPIError("Bad Request: wrong language code specified")
        return self._scope_key(params.get("scope")), language

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise BotAPIError("Bad Request: can't parse commands JSON object")
        cleaned: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise BotAPIError("Bad Request: can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _BOT_COMMAND_NAME_RE.match(name):
                raise BotAPIError("Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise BotAPIError("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._command_key(params), None)
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[dict[str, str]]:
        return [dict(command) for command in self._commands.get(self._command_key(params), [])]

    async def _set_chat_menu_button(self, params: JSONDict) -> bool:
        chat_id = self._int_param(params, "chat_id", required=False)
        if chat_id is not None:
            self._chat(params, sending=False)
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise BotAPIError("Bad Request: can't parse menu button JSON object")
        if button["type"] == "web_app":
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise BotAPIError("Bad Request: menu button text must be non-empty")
            _web_app_url(button.get("web_app"), "menu button")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: JSONDict) -> JSONDict:
        chat_id = self._int_param(params, "chat_id", required=False)
        if chat_id is not None:
            self._chat(params, sending=False)
            if chat_id in self.menu_buttons:
                return dict(self.menu_buttons[chat_id])
        return dict(self.menu_buttons.get(None, {"type": "default"}))

    def _setting_setter(self, name: str, max_length: int) -> Handler:
        async def setter(params: JSONDict) -> bool:
            value = params.get(name) or ""
            language = params.get("language_code") or ""
            if not isinstance(value, str) or len(value) > max_length:
                raise BotAPIError(f"Bad Request: {name} is too long")
            if value:
                self.bot_settings[(name, str(language))] = value
            else:
                self.bot_settings.pop((name, str(language)), None)
            return True

        return setter

    def _setting_getter(self, name: str) -> Handler:
        async def getter(params: JSONDict) -> JSONDict:
            language = str(params.get("language_code") or "")
            value = self.bot_settings.get((name, language)) or self.bot_settings.get((name, ""))
            if value is None and name == "name":
                value = self.bot_name
            return {name: value or ""}

        return getter

    async def _get_business_connection(self, params: JSONDict) -> JSONDict:
        connection_id = params.get("business_connection_id")
        connection = self.business_connections.get(str(connection_id or ""))
        if connection is None:
            raise BotAPIError("Bad Request: BUSINESS_CONNECTION_INVALID")
        return dict(connection)

    async def _get_chat(self, params: JSONDict) -> JSONDict:
        user = self._chat(params, sending=False)
        return {
            **user.chat_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }


def _parse_inline_button(button: Any) -> InlineButton:
    if not isinstance(button, dict):
        raise BotAPIError("Bad Request: can't parse inline keyboard button JSON object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BotAPIError(TEXT_BUTTONS_UNALLOWED)
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise BotAPIError(TEXT_BUTTONS_UNALLOWED)
    if len(actions) > 1:
        raise BotAPIError(
            "Bad Request: can't parse inline keyboard button: exactly one of "
            f"{', '.join(actions)} must be specified"
        )
    callback_data = button.get("callback_data")
    if "callback_data" in button and not (
        isinstance(callback_data, str)
        and 1 <= len(callback_data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise BotAPIError("Bad Request: BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https", "tg") or not parts.netloc:
            raise BotAPIError("Bad Request: BUTTON_URL_INVALID")
    web_app_url = (
        _web_app_url(button["web_app"], "inline keyboard button") if ("web_app" in button) else None
    )
    return InlineButton(
        text=text,
        callback_data=callback_data if isinstance(callback_data, str) else None,
        url=url if isinstance(url, str) else None,
        web_app_url=web_app_url,
    )


def _web_app_url(web_app: Any, where: str) -> str:
    """A WebAppInfo's URL; Telegram opens Mini Apps over HTTPS only."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str):
        raise BotAPIError(f"Bad Request: can't parse {where} JSON object: Web App URL expected")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise BotAPIError(
            f"Bad Request: {where} Web App URL '{url}' is invalid: Only HTTPS links are allowed"
        )
    return url
