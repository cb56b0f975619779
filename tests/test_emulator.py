"""Tests for the local Bot API emulator, driven by the real python-telegram-bot client."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
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
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes, filters
from telegram.ext import MessageHandler as PTBMessageHandler

from bot.emulator import BotAPIEmulator, SimUser, TelegramHTMLError, parse_html, utf16_len

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
    updates = await bot.get_updates()
    messages = [u.message for u in updates]
    assert all(m is not None and m.chat.type == "private" for m in messages)
    first, location, contact, photo, voice = (m for m in messages if m is not None)
    assert first.from_user is not None and first.from_user.language_code == "de"
    assert first.text is not None and first.entities[0].type == "bot_command"
    assert first.entities[0].length == len("/start@salesbot_test_bot")
    assert location.location is not None and location.location.latitude == 55.75
    assert contact.contact is not None and contact.contact.last_name == "Jones"
    assert photo.photo[-1].width == 16 and photo.photo[-1].height == 32
    assert photo.caption == "pic"
    assert voice.voice is not None and voice.voice.to_dict()["duration"] == 5
    message_ids = [m.message_id for m in messages if m is not None]
    assert message_ids == [1, 2, 3, 4, 5]


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
