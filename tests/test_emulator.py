"""Tests for the local Bot API emulator, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes, filters
from telegram.ext import MessageHandler as PTBMessageHandler

from bot.emulator import (
    SENDING_METHODS,
    BotAPIEmulator,
    SimUser,
    TelegramHTMLError,
    parse_html,
    utf16_len,
)

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    client = Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


@pytest.fixture
async def alice(emu: BotAPIEmulator) -> SimUser:
    user = emu.user(1001, "Alice", last_name="Smith", username="alice")
    await user.send("hi")  # makes the chat known to the bot
    return user


def kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


# -- HTML parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>bold</b>", "bold", [{"type": "bold", "offset": 0, "length": 4}]),
        ("<B>x</B>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
        ("a <strong>b</strong>", "a b", [{"type": "bold", "offset": 2, "length": 1}]),
        (
            "<b>x <i>y</i></b>",
            "x y",
            [
                {"type": "bold", "offset": 0, "length": 3},
                {"type": "italic", "offset": 2, "length": 1},
            ],
        ),
        ("<em>e</em>", "e", [{"type": "italic", "offset": 0, "length": 1}]),
        (
            "<u>u</u><ins>i</ins>",
            "ui",
            [
                {"type": "underline", "offset": 0, "length": 1},
                {"type": "underline", "offset": 1, "length": 1},
            ],
        ),
        (
            "<s>1</s><strike>2</strike><del>3</del>",
            "123",
            [
                {"type": "strikethrough", "offset": 0, "length": 1},
                {"type": "strikethrough", "offset": 1, "length": 1},
                {"type": "strikethrough", "offset": 2, "length": 1},
            ],
        ),
        ('<span class="tg-spoiler">s</span>', "s", [{"type": "spoiler", "offset": 0, "length": 1}]),
        ("<tg-spoiler>s</tg-spoiler>", "s", [{"type": "spoiler", "offset": 0, "length": 1}]),
        (
            '<a href="https://example.com/?a=1&amp;b=2">link</a>',
            "link",
            [
                {
                    "type": "text_link",
                    "offset": 0,
                    "length": 4,
                    "url": "https://example.com/?a=1&b=2",
                }
            ],
        ),
        (
            "<a href='tg://user?id=42'>Bob</a>",
            "Bob",
            [{"type": "text_link", "offset": 0, "length": 3, "url": "tg://user?id=42"}],
        ),
        ("<code>x = 1</code>", "x = 1", [{"type": "code", "offset": 0, "length": 5}]),
        ("<pre>block</pre>", "block", [{"type": "pre", "offset": 0, "length": 5}]),
        (
            '<pre><code class="language-python">print(1)</code></pre>',
            "print(1)",
            [{"type": "pre", "offset": 0, "length": 8, "language": "python"}],
        ),
        ("<blockquote>q</blockquote>", "q", [{"type": "blockquote", "offset": 0, "length": 1}]),
        (
            "<blockquote expandable>q</blockquote>",
            "q",
            [{"type": "expandable_blockquote", "offset": 0, "length": 1}],
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "👍",
            [
                {
                    "type": "custom_emoji",
                    "offset": 0,
                    "length": 2,
                    "custom_emoji_id": "5368324170671202286",
                }
            ],
        ),
        ("<b>A&amp;B</b>", "A&B", [{"type": "bold", "offset": 0, "length": 3}]),
        ("&lt;tag&gt; &quot;q&quot;", '<tag> "q"', []),
        ("&#65;&#x42;&#X43;", "ABC", []),
        ("Tom & Jerry", "Tom & Jerry", []),
        ("R&D and &#;", "R&D and &#;", []),
        ("a > b", "a > b", []),
        ("😀<b>x</b>", "😀x", [{"type": "bold", "offset": 2, "length": 1}]),
        ("<b></b>empty", "empty", []),
        ("<b>x</>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
        (
            "<code class=language-sql>q</code>",
            "q",
            [
                {"type": "code", "offset": 0, "length": 1, "language": "sql"},
            ],
        ),
    ],
)
def test_parse_html_valid(html: str, text: str, entities: list[dict[str, Any]]) -> None:
    assert parse_html(html) == (text, entities)


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("x <foo>y</foo>", 'Unsupported start tag "foo" at byte offset 2'),
        ("é<br>", 'Unsupported start tag "br" at byte offset 2'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("a <", "Unclosed start tag at byte offset 2"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("R&D;", 'Unsupported HTML entity "&D;" at byte offset 1'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=https://x.y>l</a>", "Unexpected end of name token at byte offset 8"),
        ("<a href>l</a>", 'Expected equal sign in declaration of an attribute of the tag "a"'),
        ('<a href="x>l</a>', 'Unclosed start tag "a" at byte offset 0'),
    ],
)
def test_parse_html_errors(html: str, description: str) -> None:
    with pytest.raises(TelegramHTMLError) as caught:
        parse_html(html)
    assert caught.value.description.startswith("can't parse entities: ")
    assert description in caught.value.description


def test_utf16_len() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("é") == 1


# -- sending and validation -------------------------------------------------------------------


async def test_html_round_trip(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    sent = await bot.send_message(alice.id, "<b>A&amp;B</b> and <i>more</i>", parse_mode="HTML")
    assert sent.text == "A&B and more"
    assert sent.text_html == "<b>A&amp;B</b> and <i>more</i>"
    assert sent.from_user is not None and sent.from_user.is_bot
    message = alice.last()
    assert message.text == "A&B and more"
    assert message.html == "<b>A&amp;B</b> and <i>more</i>"
    assert message.entities[0] == {"type": "bold", "offset": 0, "length": 3}
    assert emu.rejections == []


async def test_html_errors_are_rejected(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "<b>oops", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "x", parse_mode="Klingon")
    assert emu.rejections == [
        (
            "sendMessage",
            "Bad Request: can't parse entities: "
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        ("sendMessage", "Bad Request: unsupported parse_mode"),
    ]
    assert alice.messages == []


async def test_text_stays_string_and_requests_are_logged(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    sent = await bot.send_message(alice.id, "123")
    assert sent.text == "123"
    method, params = emu.requests[-1]
    assert method == "sendMessage"
    assert params["text"] == "123"
    assert params["chat_id"] == alice.id


async def test_message_length_limit_counts_utf16(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    await bot.send_message(alice.id, "a" * 4096)
    await bot.send_message(alice.id, "😀" * 2048)
    assert emu.rejections == []
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "a" * 4097)
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "😀" * 2048 + "a")
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "  \n ")
    assert [d for _, d in emu.rejections] == [
        "Bad Request: message is too long",
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
    ]
    # Markup does not count towards the limit, only the parsed text.
    await bot.send_message(alice.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    assert len(alice.messages) == 3


async def test_caption_limit(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    await bot.send_document(alice.id, b"x", filename="a.txt", caption="c" * 1024)
    with pytest.raises(BadRequest):
        await bot.send_document(alice.id, b"x", filename="a.txt", caption="c" * 1025)
    assert emu.rejections == [("sendDocument", "Bad Request: message caption is too long")]


async def test_callback_data_limit(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    ok = "é" * 32  # 64 bytes in UTF-8
    await bot.send_message(alice.id, "pick", reply_markup=kb([("A", ok)]))
    assert alice.last().buttons()[0].callback_data == ok
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "pick", reply_markup=kb([("A", ok + "a")]))
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "pick", reply_markup=kb([("", "data")]))
    assert [d for _, d in emu.rejections] == [
        "Bad Request: BUTTON_DATA_INVALID",
        "Bad Request: text buttons are unallowed in the inline keyboard",
    ]


async def test_unknown_chat(emu: BotAPIEmulator, bot: Bot) -> None:
    silent = emu.user(2002, "Silent")  # exists, but never wrote to the bot
    for chat_id in (999, silent.id):
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(chat_id, "hello")
    assert emu.rejections == [("sendMessage", "Bad Request: chat not found")] * 2
    await silent.send("/start")
    await bot.send_message(silent.id, "hello")
    assert silent.last().text == "hello"


async def test_blocked_user_gets_403(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    alice.block()
    with pytest.raises(Forbidden):
        await bot.send_message(alice.id, "are you there?")
    assert emu.rejections == [("sendMessage", "Forbidden: bot was blocked by the user")]
    alice.unblock()
    await bot.send_message(alice.id, "welcome back")
    assert [m.text for m in alice.messages] == ["welcome back"]


async def test_edit_and_delete(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    sent = await bot.send_message(
        alice.id, "<b>v1</b>", parse_mode="HTML", reply_markup=kb([("Yes", "y")])
    )
    await bot.edit_message_text(
        "<b>v1</b>", alice.id, sent.message_id, parse_mode="HTML", reply_markup=kb([("No", "n")])
    )
    message = alice.last()
    assert message.edits == 1 and message.button_texts() == ["No"]
    with pytest.raises(BadRequest):
        await bot.edit_message_text(
            "<b>v1</b>",
            alice.id,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=kb([("No", "n")]),
        )
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(
            alice.id, sent.message_id, reply_markup=kb([("No", "n")])
        )
    assert emu.rejections == [
        ("editMessageText", NOT_MODIFIED),
        ("editMessageReplyMarkup", NOT_MODIFIED),
    ]
    emu.rejections.clear()
    # Editing the text without reply_markup removes the inline keyboard, like Telegram does.
    await bot.edit_message_text("v2", alice.id, sent.message_id)
    assert message.text == "v2" and message.inline_keyboard == [] and message.edits == 2
    with pytest.raises(BadRequest):
        await bot.edit_message_text("v3", alice.id, 9999)
    assert await bot.delete_message(alice.id, sent.message_id)
    assert message.deleted
    with pytest.raises(BadRequest):
        await bot.delete_message(alice.id, sent.message_id)
    assert [d for _, d in emu.rejections] == [
        "Bad Request: message to edit not found",
        "Bad Request: message to delete not found",
    ]
    with pytest.raises(AssertionError):
        alice.last()


async def test_reply_keyboard_is_recorded(bot: Bot, alice: SimUser) -> None:
    markup = ReplyKeyboardMarkup(
        [["Deals", "Tasks"], [KeyboardButton("Share location", request_location=True)]],
        resize_keyboard=True,
        input_field_placeholder="Choose",
    )
    await bot.send_message(alice.id, "menu", reply_markup=markup)
    assert alice.reply_keyboard == [
        [{"text": "Deals"}, {"text": "Tasks"}],
        [{"text": "Share location", "request_location": True}],
    ]
    await bot.send_message(alice.id, "bye", reply_markup=ReplyKeyboardRemove())
    assert alice.reply_keyboard is None


# -- updates and simulated users -----------------------------------------------------------------


async def test_get_updates_offset_acknowledges(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    await alice.send("one")
    await alice.send("two")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["hi", "one", "two"]
    ids = [u.update_id for u in updates]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert emu.pending_updates() == 3  # fetched but not yet acknowledged
    again = await bot.get_updates(offset=ids[1])
    assert [u.update_id for u in again] == ids[1:]
    assert emu.pending_updates() == 2
    assert await bot.get_updates(offset=ids[-1] + 1) == ()
    assert emu.pending_updates() == 0


async def test_long_poll_returns_when_an_update_arrives(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    await bot.get_updates(offset=-1)
    (last,) = await bot.get_updates(offset=-1)
    start = time.monotonic()
    assert await bot.get_updates(offset=last.update_id + 1, timeout=1) == ()
    assert time.monotonic() - start >= 0.9


async def test_user_message_kinds(emu: BotAPIEmulator, bot: Bot) -> None:
    bob = emu.user(3003, "Bob", username="bob", language_code="de")
    await bob.send("/start@salesbot_test_bot deep")
    await bob.send_location(55.75, 37.62)
    await bob.send_contact("+123456", "Carol", "Jones")
    await bob.send_photo(b"\x89PNG\r\n\x1a\n" + b"\0" * 8 + b"\0\0\0\x10\0\0\0\x20", "pic")
    await bob.send_voice(b"OggS", duration=5)
    await bob.send_venue(31.2, 121.4, "Acme Plant", "1 Road")
    updates = await bot.get_updates()
    messages = [u.message for u in updates]
    assert all(m is not None and m.chat.type == "private" for m in messages)
    first, location, contact, photo, voice, venue = (m for m in messages if m is not None)
    assert venue.venue is not None and venue.venue.title == "Acme Plant"
    assert venue.location is not None and venue.location.longitude == 121.4
    assert first.from_user is not None and first.from_user.language_code == "de"
    assert first.text is not None and first.entities[0].type == "bot_command"
    assert first.entities[0].length == len("/start@salesbot_test_bot")
    assert location.location is not None and location.location.latitude == 55.75
    assert contact.contact is not None and contact.contact.last_name == "Jones"
    assert photo.photo[-1].width == 16 and photo.photo[-1].height == 32
    assert photo.caption == "pic"
    assert voice.voice is not None and voice.voice.to_dict()["duration"] == 5
    message_ids = [m.message_id for m in messages if m is not None]
    assert message_ids == [1, 2, 3, 4, 5, 6]


async def test_press_by_text_and_by_data(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    await bot.send_message(alice.id, "old", reply_markup=kb([("Yes", "old:yes")]))
    await bot.send_message(alice.id, "Sure?", reply_markup=kb([("Yes", "yes"), ("No", "no")]))
    await alice.press("Yes")
    await alice.press("no")
    await alice.press("old:yes")  # found in an older message
    updates = await bot.get_updates()
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.data for q in queries] == ["yes", "no", "old:yes"]
    assert isinstance(queries[0].message, Message) and queries[0].message.text == "Sure?"
    assert isinstance(queries[2].message, Message) and queries[2].message.text == "old"
    assert queries[0].from_user.id == alice.id
    await bot.answer_callback_query(queries[0].id, text="Done")
    assert alice.callback_answers == [{"callback_query_id": queries[0].id, "text": "Done"}]
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(queries[0].id)
    assert emu.rejections == [
        (
            "answerCallbackQuery",
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
        )
    ]


async def test_press_missing_button(bot: Bot, alice: SimUser) -> None:
    with pytest.raises(LookupError, match="no bot message here has inline buttons"):
        await alice.press("Yes")
    await bot.send_message(alice.id, "Sure?", reply_markup=kb([("Yes", "yes")]))
    with pytest.raises(LookupError, match="'Yes' \\(data='yes'\\)"):
        await alice.press("Maybe")


async def test_press_data_forges_a_query(bot: Bot, alice: SimUser) -> None:
    await bot.send_message(alice.id, "Sure?", reply_markup=kb([("Yes", "yes")]))
    await alice.press_data("forged:1")
    updates = await bot.get_updates()
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.data == "forged:1"


async def test_bot_sends_document_and_photo(bot: Bot, alice: SimUser) -> None:
    sent = await bot.send_document(
        alice.id,
        b"name,amount\nACME,10\n",
        filename="deals.csv",
        caption="<b>Export</b>",
        parse_mode="HTML",
    )
    assert sent.document is not None and sent.document.file_name == "deals.csv"
    message = alice.last()
    assert message.kind == "document"
    assert message.document == b"name,amount\nACME,10\n"
    assert message.filename == "deals.csv"
    assert message.text == "Export"
    # Re-sending by file_id reuses the stored file.
    await bot.send_document(alice.id, sent.document.file_id)
    assert alice.last().document == b"name,amount\nACME,10\n"
    await bot.send_photo(alice.id, b"\x89PNG\r\n\x1a\nfake")
    assert alice.last().kind == "photo"
    await bot.send_location(alice.id, latitude=1.5, longitude=2.5)
    assert (alice.last().latitude, alice.last().longitude) == (1.5, 2.5)
    await bot.send_venue(alice.id, 31.2, 121.4, title="Acme", address="1 Road")
    venue = alice.last()
    assert (venue.kind, venue.title, venue.address, venue.latitude) == (
        "venue",
        "Acme",
        "1 Road",
        31.2,
    )
    for title, address, latitude in ((" ", "1 Road", 31.2), ("Acme", " ", 31.2), ("A", "B", 91)):
        with pytest.raises(BadRequest):
            await bot.send_venue(alice.id, latitude, 121.4, title=title, address=address)


async def test_bot_downloads_user_document(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    await alice.send_document("card.vcf", b"BEGIN:VCARD\nEND:VCARD\n", "text/vcard", "my card")
    updates = await bot.get_updates()
    message = updates[-1].message
    assert message is not None and message.document is not None
    assert message.document.file_name == "card.vcf" and message.caption == "my card"
    file = await message.document.get_file()
    assert file.file_path is not None and file.file_path.startswith(emu.base_file_url)
    assert bytes(await file.download_as_bytearray()) == b"BEGIN:VCARD\nEND:VCARD\n"
    with pytest.raises(BadRequest):
        await bot.get_file("nope")


async def test_commands_per_scope(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("deals", "My deals")], scope=BotCommandScopeChat(alice.id)
    )
    await bot.set_my_commands([BotCommand("hilfe", "Hilfe")], language_code="de")
    assert emu.commands_for() == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert emu.commands_for({"type": "chat", "chat_id": alice.id}) == [
        {"command": "deals", "description": "My deals"}
    ]
    assert emu.commands_for(language_code="de") == [{"command": "hilfe", "description": "Hilfe"}]
    assert emu.commands_for({"type": "all_private_chats"}) == []
    fetched = await bot.get_my_commands(scope=BotCommandScopeChat(alice.id))
    assert [c.command for c in fetched] == ["deals"]
    assert emu.visible_commands(alice.id) == [{"command": "deals", "description": "My deals"}]
    assert emu.visible_commands(4242) == emu.commands_for()
    await bot.delete_my_commands(scope=BotCommandScopeChat(alice.id))
    assert emu.commands_for({"type": "chat", "chat_id": alice.id}) == []
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeDefault())] == [
        "start",
        "help",
    ]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(777))
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad-Name", "y")])
    assert [d for _, d in emu.rejections] == [
        "Bad Request: chat not found",
        "Bad Request: BOT_COMMAND_INVALID",
    ]


async def test_profile_and_misc_methods(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    me = await bot.get_me()
    assert me.username == emu.bot_username and me.is_bot
    assert await bot.set_my_description("CRM bot")
    assert (await bot.get_my_description()).description == "CRM bot"
    assert await bot.set_my_short_description("CRM")
    assert await bot.set_my_name("Sales")
    assert await bot.set_chat_menu_button()
    assert (await bot.get_chat_menu_button()).type == "default"
    assert await bot.send_chat_action(alice.id, "typing")
    assert alice.chat_actions == ["typing"]
    chat = await bot.get_chat(alice.id)
    assert chat.first_name == "Alice" and chat.username == "alice"
    assert (await bot.get_webhook_info()).url == ""
    assert emu.rejections == []


async def test_http_protocol_details(emu: BotAPIEmulator, alice: SimUser) -> None:
    root = f"http://{emu.host}:{emu.port}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{root}/botWRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.post(f"{root}/bot{emu.token}/fooBar") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found: method not found"
        payload = {"chat_id": alice.id, "text": "via json"}
        async with session.post(f"{root}/bot{emu.token}/SENDMESSAGE", json=payload) as response:
            body = await response.json()
            assert body["ok"] is True and body["result"]["text"] == "via json"
        query = {"chat_id": str(alice.id), "text": "42"}
        async with session.get(f"{root}/bot{emu.token}/sendMessage", params=query) as response:
            assert (await response.json())["result"]["text"] == "42"
    assert [m.text for m in alice.messages] == ["via json", "42"]
    assert emu.requests[-2][0] == "sendMessage"
    assert emu.rejections == [
        ("getMe", "Unauthorized"),
        ("fooBar", "Not Found: method not found"),
    ]


async def test_wait_for_messages_timeout(alice: SimUser) -> None:
    with pytest.raises(TimeoutError, match="expected at least 1 bot message"):
        await alice.wait_for_messages(1, timeout=0.05)


# -- end to end with a PTB Application ---------------------------------------------------------


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text, do_quote=True)


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html("<b>Welcome!</b>", reply_markup=kb([("Go", "go")]))


async def test_application_long_polling_end_to_end(emu: BotAPIEmulator) -> None:
    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(PTBMessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    carol = emu.user(4004, "Carol")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        await app.start()
        await carol.send("/start")
        (welcome,) = await carol.wait_for_messages(1)
        assert welcome.text == "Welcome!" and welcome.button_texts() == ["Go"]
        await carol.send("hello there")
        messages = await carol.wait_for_messages(2)
        assert messages[1].text == "hello there"
        assert messages[1].reply_to_message_id is not None
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
    assert time.monotonic() - started < 5
    assert emu.rejections == []


# -- flood control, network failures, send timing ---------------------------------------------

PNG = b"\x89PNG\r\n\x1a\nfake"


class FakeClock:
    """A hand-driven stand-in for time.monotonic, injected as the emulator's clock."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def limited(clock: FakeClock) -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(enforce_limits=True, clock=clock)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def limited_bot(limited: BotAPIEmulator) -> AsyncIterator[Bot]:
    client = Bot(limited.token, base_url=limited.base_url, base_file_url=limited.base_file_url)
    async with client:
        yield client


async def known_users(emulator: BotAPIEmulator, count: int, first_id: int = 5000) -> list[SimUser]:
    """``count`` users who have written to the bot, so it may write to them."""
    people = [emulator.user(first_id + i, f"User{i}") for i in range(count)]
    for person in people:
        await person.send("/start")
    return people


# PTB warns about RetryAfter.retry_after becoming a timedelta whenever it makes a RetryAfter.
ignore_retry_after_deprecation = pytest.mark.filterwarnings(
    "ignore:.*attribute `retry_after` will be of type"
)


def retry_seconds(error: RetryAfter) -> float:
    """``error.retry_after`` in seconds, without PTB's int-or-timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@ignore_retry_after_deprecation
async def test_flood_answers_429_with_retry_after(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    emu.flood(2, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "one")
    assert retry_seconds(caught.value) == 7
    root = f"http://{emu.host}:{emu.port}"
    async with aiohttp.ClientSession() as session:
        payload = {"chat_id": alice.id, "text": "two"}
        async with session.post(f"{root}/bot{emu.token}/sendMessage", json=payload) as response:
            assert response.status == 429
            assert await response.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            }
    assert alice.messages == [] and emu.send_log == []
    assert emu.refused_429 == 2
    assert emu.rejections == [("sendMessage", "Too Many Requests: retry after 7")] * 2
    await bot.send_message(alice.id, "three")  # the order is used up
    assert [m.text for m in alice.messages] == ["three"]
    assert emu.refused_429 == 2
    with pytest.raises(ValueError):
        emu.flood(1, retry_after=0)


@ignore_retry_after_deprecation
async def test_flood_covers_every_sending_method_only(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    assert {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "sendVenue",
    } == SENDING_METHODS
    first = await bot.send_message(alice.id, "before")
    emu.flood(5, retry_after=2)
    with pytest.raises(RetryAfter):
        await bot.send_photo(alice.id, PNG)
    with pytest.raises(RetryAfter):
        await bot.send_document(alice.id, b"x", filename="a.txt")
    with pytest.raises(RetryAfter):
        await bot.send_location(alice.id, latitude=1.5, longitude=2.5)
    with pytest.raises(RetryAfter):
        await bot.send_venue(alice.id, 1.5, 2.5, title="Acme", address="1 Road")
    # Methods that send no new message neither get refused nor use up the order.
    assert await bot.send_chat_action(alice.id, "typing")
    await bot.edit_message_text("edited", alice.id, first.message_id)
    assert (await bot.get_me()).username == emu.bot_username
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "refused")
    assert [method for method, _ in emu.rejections] == [
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "sendVenue",
        "sendMessage",
    ]
    assert [m.text for m in alice.messages] == ["edited"]
    await bot.send_location(alice.id, latitude=1.5, longitude=2.5)
    assert [m.kind for m in alice.messages] == ["text", "location"]
    assert [method for _, _, method in emu.send_log] == ["sendMessage", "sendLocation"]
    assert emu.refused_429 == 5


@ignore_retry_after_deprecation
async def test_flood_for_one_chat_spares_the_others(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    bob = emu.user(1002, "Bob")
    await bob.send("hi")
    emu.flood(1, retry_after=3, chat_id=alice.id)
    await bot.send_message(bob.id, "for bob")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "for alice")
    assert retry_seconds(caught.value) == 3
    await bot.send_message(alice.id, "for alice again")
    await bot.send_message(bob.id, "bob again")
    assert [m.text for m in alice.messages] == ["for alice again"]
    assert [m.text for m in bob.messages] == ["for bob", "bob again"]
    assert emu.refused_429 == 1


async def test_limits_are_off_by_default(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    for i in range(8):
        await bot.send_message(alice.id, f"m{i}")
    assert len(alice.messages) == 8 and len(emu.send_log) == 8
    assert emu.refused_429 == 0 and emu.rejections == []


@ignore_retry_after_deprecation
async def test_limits_refuse_the_31st_send_within_a_second(
    limited: BotAPIEmulator, limited_bot: Bot, clock: FakeClock
) -> None:
    people = await known_users(limited, 7)
    for i in range(30):  # 5 per chat: within the per-chat limit
        await limited_bot.send_message(people[i % 6].id, f"m{i}")
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(people[6].id, "31st")
    assert retry_seconds(caught.value) == 1
    clock.now = 100.999
    with pytest.raises(RetryAfter):
        await limited_bot.send_message(people[6].id, "still too early")
    assert people[6].messages == []
    clock.now = 101.0  # the 30 sends at 100.0 have left the window (now - 1, now]
    await limited_bot.send_message(people[6].id, "in time")
    assert [m.text for m in people[6].messages] == ["in time"]
    assert limited.refused_429 == 2
    assert limited.rejections == [("sendMessage", "Too Many Requests: retry after 1")] * 2
    assert len(limited.send_log) == 31
    assert limited.max_sends_in_window() == 30


@ignore_retry_after_deprecation
async def test_limits_per_chat(limited: BotAPIEmulator, limited_bot: Bot, clock: FakeClock) -> None:
    alice, bob = await known_users(limited, 2)
    for i in range(5):
        clock.now = 100.0 + i / 10
        await limited_bot.send_message(alice.id, f"a{i}")
    clock.now = 100.5
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(alice.id, "sixth")
    assert retry_seconds(caught.value) == 1
    await limited_bot.send_message(bob.id, "other chats are fine")
    clock.now = 101.0
    await limited_bot.send_message(alice.id, "sixth, later")
    assert [m.text for m in alice.messages][-1] == "sixth, later"
    assert len(alice.messages) == 6 and limited.refused_429 == 1
    assert limited.max_sends_in_window(chat_id=alice.id) == 5
    # A blocked user still gets 403 (and the failed send is not logged).
    bob.block()
    with pytest.raises(Forbidden):
        await limited_bot.send_message(bob.id, "blocked")
    assert len(limited.send_log) == 7


@ignore_retry_after_deprecation
async def test_limit_rate_configures_the_rules(
    limited: BotAPIEmulator, limited_bot: Bot, clock: FakeClock
) -> None:
    alice, *others = await known_users(limited, 32)
    limited.limit_rate(overall=None, per_chat=2, window=10.0)
    await limited_bot.send_message(alice.id, "1")
    await limited_bot.send_message(alice.id, "2")
    clock.now = 101.5
    with pytest.raises(RetryAfter) as caught:
        await limited_bot.send_message(alice.id, "3")
    assert retry_seconds(caught.value) == 9  # ceil(100.0 + 10 - 101.5)
    for person in others:  # 33 sends within the window: no overall limit now
        await limited_bot.send_message(person.id, "hello")
    assert limited.max_sends_in_window(10.0) == 33 and limited.refused_429 == 1
    limited.enforce_limits = False
    await limited_bot.send_message(alice.id, "3, unlimited")
    assert len(alice.messages) == 3
    with pytest.raises(ValueError):
        limited.limit_rate(per_chat=0)


async def test_limits_hold_for_concurrent_sends(limited: BotAPIEmulator) -> None:
    people = await known_users(limited, 8)
    url = f"{limited.base_url}{limited.token}/sendMessage"

    async def send(session: aiohttp.ClientSession, chat_id: int) -> int:
        async with session.post(url, json={"chat_id": chat_id, "text": "burst"}) as response:
            return response.status

    async with aiohttp.ClientSession() as session:
        statuses = await asyncio.gather(*(send(session, p.id) for p in people for _ in range(5)))
    assert sorted(statuses) == [200] * 30 + [429] * 10
    assert limited.max_sends_in_window() == 30 and len(limited.send_log) == 30
    assert limited.refused_429 == 10
    assert sum(len(p.messages) for p in people) == 30


async def test_send_log_and_max_sends_in_window(
    limited: BotAPIEmulator, limited_bot: Bot, clock: FakeClock
) -> None:
    alice, bob = await known_users(limited, 2)
    timeline: list[tuple[float, SimUser, str]] = [
        (100.0, alice, "sendMessage"),
        (100.2, bob, "sendPhoto"),
        (100.5, alice, "sendDocument"),
        (101.1, alice, "sendLocation"),
        (101.25, bob, "sendMessage"),
    ]
    for moment, person, method in timeline:
        clock.now = moment
        if method == "sendMessage":
            await limited_bot.send_message(person.id, "text")
        elif method == "sendPhoto":
            await limited_bot.send_photo(person.id, PNG)
        elif method == "sendDocument":
            await limited_bot.send_document(person.id, b"x", filename="a.txt")
        else:
            await limited_bot.send_location(person.id, latitude=1.0, longitude=2.0)
    with pytest.raises(BadRequest):  # refused sends are not logged
        await limited_bot.send_message(alice.id, "<b>broken", parse_mode="HTML")
    assert limited.send_log == [(t, person.id, method) for t, person, method in timeline]
    assert limited.max_sends_in_window() == 3
    assert limited.max_sends_in_window(2.0) == 5
    assert limited.max_sends_in_window(0.5) == 2  # 100.0 and 100.5 are 0.5 apart: not within
    assert limited.max_sends_in_window(chat_id=alice.id) == 2
    assert limited.max_sends_in_window(chat_id=bob.id) == 1
    assert limited.max_sends_in_window(chat_id=999) == 0


def is_network_error(error: BaseException) -> bool:
    """A failed connection as PTB reports it: no HTTP answer at all, so no status mapping.

    (BadRequest is a NetworkError subclass too, and PTB maps an HTTP 502 to NetworkError.)
    """
    return type(error) in (NetworkError, TimedOut) and isinstance(
        error.__cause__, httpx.TransportError
    )


async def test_dropped_connection_is_a_network_error(
    emu: BotAPIEmulator, bot: Bot, alice: SimUser
) -> None:
    emu.drop_connections(2)
    assert (await bot.get_me()).username == emu.bot_username  # not a send: unaffected
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(alice.id, "lost")
    assert is_network_error(caught.value)
    with pytest.raises(NetworkError) as caught:
        await bot.send_photo(alice.id, PNG)
    assert is_network_error(caught.value)
    assert alice.messages == [] and emu.send_log == []
    assert emu.dropped_connections == 2 and emu.rejections == []
    await bot.send_message(alice.id, "recovered")
    assert [m.text for m in alice.messages] == ["recovered"]
    assert len(emu.send_log) == 1 and emu.dropped_connections == 2


async def test_dropped_answer_after_delivery(emu: BotAPIEmulator, bot: Bot, alice: SimUser) -> None:
    emu.drop_connections(1, after_delivery=True)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(alice.id, "delivered, answer lost")
    assert is_network_error(caught.value)
    assert [m.text for m in alice.messages] == ["delivered, answer lost"]
    assert [(chat, method) for _, chat, method in emu.send_log] == [(alice.id, "sendMessage")]
    await bot.send_message(alice.id, "next")
    assert len(alice.messages) == 2 and emu.dropped_connections == 1
