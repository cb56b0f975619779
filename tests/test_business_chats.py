"""End to end (issue 16): a rep's own customer chats through Telegram Business. The rep connects
the bot to their account; each new chat is asked about once (*🔗 This chat is …?*); a chat
linked to a customer contact is kept on the customer's timeline, with who wrote each message,
text and files; nothing is kept before the link, from a chat that is "not a customer", after
disconnecting, or for a stranger or a deactivated person. A promise with a date in the rep's own
message becomes a follow-up with one tap, due in the rep's zone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from telegram import Bot
from telegram.error import BadRequest

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import BusinessChat, BusinessMessage, ChatLinkState, Contact, Role, Touch, User
from tests.conftest import FakeClock
from tests.flows import SalesTeam, add_customer, register, sales_team, set_zone


@pytest.fixture(autouse=True)
def _messages_dated_by_the_clock(emulator: BotAPIEmulator, clock: FakeClock) -> None:
    """What simulated people write is dated by the test's clock, as the bot's own time is."""
    emulator.message_clock = lambda: clock().timestamp()


async def _connected(bot: LocalBot, rep: SimUser) -> None:
    await bot.settle(await rep.connect_business())


async def _writes(bot: LocalBot, rep: SimUser, partner: SimUser, text: str, **kw: object) -> int:
    """A message in ``rep``'s business chat with ``partner`` (by the partner unless
    ``from_partner=False``); returns its message id once the bot has handled it."""
    update_id, message_id = await rep.business_message(partner, text, **kw)  # type: ignore[arg-type]
    await bot.settle(update_id)
    return message_id


def _kept(db: Database) -> list[BusinessMessage]:
    with db.session() as session:
        return list(
            session.exec(select(BusinessMessage).order_by(BusinessMessage.id))  # type: ignore[arg-type]
        )


def _links(db: Database) -> list[BusinessChat]:
    with db.session() as session:
        return list(session.exec(select(BusinessChat)))


def _contact_id(db: Database, name: str) -> int:
    with db.session() as session:
        contact = session.exec(select(Contact).where(Contact.name == name)).one()
        assert contact.id is not None
        return contact.id


async def _team_with_acme(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_customer(db, team.tom, "Brightway Logistics", contact="Chen Jie")
    add_customer(db, team.ken, "Southern Steel", contact="Wu Lei")  # another team's customer
    return team


async def test_a_linked_chat_is_kept_on_the_timeline_with_who_wrote_it(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    db: Database,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    li = emulator.user(7001, "Li", last_name="Na")
    await _connected(bot, tom)
    assert "Telegram Business connected" in tom.last().text

    before = len(tom.messages)
    await _writes(bot, tom, li, "Hello Tom, secret price list please")
    asked = tom.messages[before:]
    assert len(asked) == 1 and "This chat is" in asked[0].text and "Li Na" in asked[0].text
    buttons = asked[0].button_texts()
    assert buttons[0] == "⭐ Li Na · Acme Machinery"  # the partner's name is a contact's
    assert "Chen Jie · Brightway Logistics" in buttons
    assert not any("Wu Lei" in button for button in buttons)  # Ken's customer: not Tom's to see
    assert buttons[-1] == "🚫 Not a customer"

    # A second message before the answer: not asked again, and nothing kept.
    await _writes(bot, tom, li, "Are you there?")
    assert len(tom.messages) == before + 1
    assert _kept(db) == []

    await bot.press(tom, "⭐ Li Na · Acme Machinery", asked[0])
    assert "is Li Na of Acme Machinery" in tom.message(asked[0].message_id).text

    await _writes(bot, tom, li, "Here is the drawing of the part")
    await _writes(bot, tom, li, "Thanks, checking with the factory", from_partner=False)
    update_id, _ = await tom.business_message(li, "the shelf", photo=b"\x89PNG fake")
    await bot.settle(update_id)
    update_id, _ = await tom.business_message(
        li, None, from_partner=False, document=("prices.pdf", b"%PDF-1.4")
    )
    await bot.settle(update_id)
    assert len(tom.messages) == before + 1  # nothing more to ask or offer

    kept = _kept(db)
    assert [(row.from_contact, row.text, row.file_kind) for row in kept] == [
        (True, "Here is the drawing of the part", None),
        (False, "Thanks, checking with the factory", None),
        (True, "the shelf", "photo"),
        (False, "", "document"),
    ]
    assert kept[2].file_id is not None and emulator.file(kept[2].file_id).content == b"\x89PNG fake"
    assert kept[3].file_name == "prices.pdf"
    assert not any("secret" in row.text or "there?" in row.text for row in kept)

    await bot.send(tom, "acme")
    await bot.press(tom, "Acme Machinery")
    await bot.press(tom, "🕘 Timeline")
    timeline = tom.last().text
    assert "· Li Na (customer)\n💬 Here is the drawing of the part" in timeline
    assert "· Tom\n💬 Thanks, checking with the factory" in timeline
    assert "💬 the shelf 📎 photo" in timeline and "💬 📎 file" in timeline
    # The manager sees the same timeline.
    await bot.send(team.manager, "acme")
    await bot.press(team.manager, "Acme Machinery")
    await bot.press(team.manager, "🕘 Timeline")
    assert "💬 Here is the drawing of the part" in team.manager.last().text

    assert li.messages == []  # nothing was ever written to the customer
    assert "secret price list" not in caplog.text and "drawing of the part" not in caplog.text
    assert "checking with the factory" not in caplog.text


async def test_not_a_customer_keeps_nothing_and_is_never_asked_again(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    friend = emulator.user(7002, "Old", last_name="Friend")
    await _connected(bot, tom)
    await _writes(bot, tom, friend, "Dinner on Friday?")
    ask = tom.last()
    await bot.press(tom, "🚫 Not a customer", ask)
    assert "Not a customer: nothing of this chat is kept" in tom.message(ask.message_id).text
    count = len(tom.messages)
    await _writes(bot, tom, friend, "See you at 7")
    await _writes(bot, tom, friend, "I'll bring the wine on Friday", from_partner=False)
    assert len(tom.messages) == count  # not asked again, nothing offered
    assert _kept(db) == []
    (link,) = _links(db)
    assert link.state == ChatLinkState.NOT_CUSTOMER and link.partner_name is None

    # Changing the answer later: linked from now on, and back to "not a customer" forgets it.
    await bot.press(tom, "✏️ Change", tom.message(ask.message_id))
    await bot.press(tom, "Chen Jie · Brightway Logistics", tom.message(ask.message_id))
    await _writes(bot, tom, friend, "About the pallets")
    assert [row.text for row in _kept(db)] == ["About the pallets"]
    await bot.press(tom, "✏️ Change", tom.message(ask.message_id))
    await bot.press(tom, "🚫 Not a customer", tom.message(ask.message_id))
    assert "The 1 message kept from it before was removed" in tom.message(ask.message_id).text
    assert _kept(db) == []


async def test_a_promise_with_a_date_becomes_a_follow_up_with_one_tap(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    set_zone(db, tom, "Europe/Berlin")  # Wed 25 Nov, 10:00 in Berlin
    li = emulator.user(7001, "Li", last_name="Na")
    await _connected(bot, tom)
    await _writes(bot, tom, li, "Could you quote 20 lathes?")
    await bot.press(tom, "⭐ Li Na · Acme Machinery")
    count = len(tom.messages)
    await _writes(bot, tom, li, "Sure. I'll send the quote on Friday.", from_partner=False)
    offer = tom.messages[count:]
    assert len(offer) == 1
    assert "you promised: “send the quote” · Fri 27 Nov" in offer[0].text
    assert offer[0].button_texts() == ["⏰ Follow-up Fri 27 Nov: send the quote"]
    # The customer's own words promise nothing of the rep's.
    await _writes(bot, tom, li, "I will pay on Monday")
    assert len(tom.messages) == count + 1

    data = offer[0].buttons()[0].callback_data or ""
    await bot.press(tom, "⏰ Follow-up Fri 27 Nov: send the quote", offer[0])
    assert "✅ Follow-up saved: Acme Machinery · send the quote · Fri 27 Nov" in tom.last().text
    await bot.settle(await tom.press_data(data, offer[0]))  # a second tap makes no second one
    with db.session() as session:
        (touch,) = session.exec(select(Touch)).all()
    assert touch.next_step == "send the quote" and touch.kind == "message"
    # Friday in Berlin: midnight there, 23:00 UTC the day before; a date without a time.
    assert touch.follow_up_at == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    assert touch.follow_up_has_time is False
    assert "already made" in tom.last().text

    # A Chinese-speaking rep's promise, with a time, in Shanghai.
    sara = team.sara
    with db.session() as session:
        session.exec(select(User).where(User.telegram_id == sara.id)).one().language = "zh"
    add_customer(db, sara, "宏达机电", contact="李娜")
    partner = emulator.user(7003, "娜", last_name="李")
    await _connected(bot, sara)
    assert "已连接 Telegram Business" in sara.last().text
    await _writes(bot, sara, partner, "您好，报价什么时候能发？")
    assert "这个聊天是" in sara.last().text
    await bot.press(sara, "⭐ 李娜 · 宏达机电")
    await _writes(bot, sara, partner, "好的，我明天下午三点给您回电", from_partner=False)
    label = "⏰ 跟进 11月26日 周四 15:00：给您回电"
    assert sara.last().button_texts() == [label]
    await bot.press(sara, label)
    assert "✅ 跟进已保存" in sara.last().text
    with db.session() as session:
        touch = session.exec(select(Touch).where(Touch.next_step == "给您回电")).one()
    assert touch.follow_up_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai
    assert touch.follow_up_has_time is True
    await _writes(bot, sara, partner, "周五发您报价", from_partner=False)
    assert sara.last().button_texts() == ["⏰ 跟进 11月27日 周五：发您报价"]
    update_id, _ = await sara.business_message(partner, "样品照片", photo=b"\x89PNG fake")
    await bot.settle(update_id)

    await bot.send(sara, "宏达")
    await bot.press(sara, "宏达机电")
    await bot.press(sara, "🕘 动态")
    timeline = sara.last().text
    assert "· 李娜（客户）\n💬 样品照片 📎 照片" in timeline
    assert "· Sara\n💬 周五发您报价" in timeline
    assert "您好，报价什么时候能发？" not in timeline  # written before the chat was linked


async def test_disconnecting_stops_keeping_at_once_and_a_stale_button_says_so(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    li = emulator.user(7001, "Li", last_name="Na")
    chen = emulator.user(7004, "Chen", last_name="Jie")
    await _connected(bot, tom)
    await _writes(bot, tom, li, "Hi")
    await bot.press(tom, "⭐ Li Na · Acme Machinery")
    await _writes(bot, tom, li, "kept before the end")
    await _writes(bot, tom, chen, "a new chat")
    ask = tom.last()
    assert "This chat is" in ask.text

    await bot.settle(await tom.disconnect_business())
    assert "Telegram Business disconnected" in tom.last().text
    # A message already on its way when the rep disconnected is not kept.
    in_flight = {
        "message_id": 99,
        "from": li.to_json(),
        "chat": li.chat_json(),
        "date": int(emulator.message_clock()),
        "business_connection_id": tom.business_connection_id,
        "text": "after the end",
    }
    await bot.settle(await emulator._push_update({"business_message": in_flight}))
    assert [row.text for row in _kept(db)] == ["kept before the end"]
    # Telegram sends nothing more once disconnected, and the emulator neither.
    with pytest.raises(RuntimeError, match="no enabled business connection"):
        await tom.business_message(li, "never delivered")

    # The question still on screen: linking now is refused clearly.
    before = len(tom.messages)
    await bot.press(tom, "⭐ Chen Jie · Brightway Logistics", ask)
    assert "Telegram Business connection is off" in texts_after(tom, before)
    with db.session() as session:
        link = session.exec(select(BusinessChat).where(BusinessChat.chat_id == chen.id)).one()
    assert link.state == ChatLinkState.ASKED

    # Connected again: kept again.
    await _connected(bot, tom)
    await _writes(bot, tom, li, "back again")
    assert [row.text for row in _kept(db)] == ["kept before the end", "back again"]


def texts_after(person: SimUser, start: int) -> str:
    return "\n".join(message.text for message in person.messages[start:])


async def test_strangers_deactivated_people_and_finance_keep_nothing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    li = emulator.user(7001, "Li", last_name="Na")

    stranger = emulator.user(8001, "Stranger")
    await _connected(bot, stranger)
    await _writes(bot, stranger, li, "hello stranger")
    assert stranger.messages == []

    finance = await register(bot, emulator, team.admin, Role.FINANCE, 8002, "Fay")
    await _connected(bot, finance)
    assert "for sales reps and managers only" in finance.last().text
    count = len(finance.messages)
    await _writes(bot, finance, li, "hello finance")
    assert len(finance.messages) == count

    # Sara connects, links the chat, and is then deactivated: nothing more is kept.
    sara = team.sara
    add_customer(db, sara, "Golden Harvest", contact="Li Na")
    await _connected(bot, sara)
    await _writes(bot, sara, li, "hi Sara")
    await bot.press(sara, "⭐ Li Na · Golden Harvest")
    await _writes(bot, sara, li, "kept for Sara")
    with db.session() as session:
        session.exec(select(User).where(User.telegram_id == sara.id)).one().is_active = False
    await _writes(bot, sara, li, "after deactivation")
    # A deactivated person who connects is not told anything either.
    count = len(sara.messages)
    await _connected(bot, sara)
    assert len(sara.messages) == count

    assert [row.text for row in _kept(db)] == ["kept for Sara"]
    assert [link.user_id for link in _links(db)] == [
        session_user_id(db, sara.id)
    ]  # the stranger's and finance's chats were never even asked about
    assert li.messages == []


def session_user_id(db: Database, telegram_id: int) -> int:
    with db.session() as session:
        user = session.exec(select(User).where(User.telegram_id == telegram_id)).one()
        assert user.id is not None
        return user.id


async def test_an_edit_updates_the_kept_text_and_a_message_twice_is_kept_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    li = emulator.user(7001, "Li", last_name="Na")
    await _connected(bot, tom)
    first = await _writes(bot, tom, li, "typo in here")
    await bot.settle(await tom.edit_business_message(li, first, "edited before the link"))
    await bot.press(tom, "⭐ Li Na · Acme Machinery")
    assert _kept(db) == []  # the edit of a message from before the link is not kept

    message_id = await _writes(bot, tom, li, "20 pcs")
    await bot.settle(await tom.edit_business_message(li, message_id, "25 pcs"))
    (row,) = _kept(db)
    assert row.text == "25 pcs" and row.edited_at is not None

    # Telegram delivers the same message again (after a restart, say): kept once.
    same = emulator._business_chats[(tom.id, li.id)][-1]
    await bot.settle(await emulator._push_update({"business_message": dict(same)}))
    assert len(_kept(db)) == 1

    await bot.send(tom, "acme")
    await bot.press(tom, "Acme Machinery")
    await bot.press(tom, "🕘 Timeline")
    assert "💬 25 pcs (edited)" in tom.last().text

    # Deleted in the chat: gone from the timeline too.
    await bot.settle(await tom.delete_business_messages(li, [message_id]))
    assert _kept(db) == []


async def test_forged_and_foreign_buttons_are_refused(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    li = emulator.user(7001, "Li", last_name="Na")
    await _connected(bot, tom)
    await _writes(bot, tom, li, "hi")
    ask = tom.last()
    (link,) = _links(db)
    wu = _contact_id(db, "Wu Lei")

    # A contact of a customer Tom cannot see (Ken's, another team).
    await bot.settle(await tom.press_data(f"bz:ln:{link.id}:{wu}", ask))
    assert tom.callback_answers[-1]["text"] == "Not found."
    # Tom's chat, pressed by another rep.
    await team.sara.send("/today")
    await bot.settle(await team.sara.press_data(f"bz:ln:{link.id}:{_contact_id(db, 'Li Na')}"))
    assert team.sara.callback_answers[-1]["text"] == "Not found."
    await bot.settle(await team.sara.press_data(f"bz:no:{link.id}"))
    assert team.sara.callback_answers[-1]["text"] == "Not found."
    # A follow-up of a kept message that does not exist.
    await bot.settle(await tom.press_data("bz:fu:424242", ask))
    assert tom.callback_answers[-1]["text"] == "Not found."
    (link,) = _links(db)
    assert link.state == ChatLinkState.ASKED and link.contact_id is None
    assert _kept(db) == []


async def test_the_best_guess_is_the_contact_whose_telegram_it_is_and_many_contacts_page(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    for number in range(1, 9):
        add_customer(db, tom, f"Customer {number:02d}", contact=f"Buyer {number:02d}")
    with db.session() as session:
        contact = session.exec(select(Contact).where(Contact.name == "Chen Jie")).one()
        contact.telegram_chat_id = 7005  # Chen Jie linked her own Telegram to the bot
    await _connected(bot, tom)
    await _writes(bot, tom, emulator.user(7005, "CJ"), "hi, it's me")
    ask = tom.last()
    buttons = ask.button_texts()
    assert buttons[0] == "⭐ Chen Jie · Brightway Logistics"
    assert "Page 1 of 2" in ask.text and buttons[-2:] == ["Next ▶", "🚫 Not a customer"]
    await bot.press(tom, "Next ▶", ask)
    second = tom.message(ask.message_id)
    assert "Page 2 of 2" in second.text and "◀ Previous" in second.button_texts()
    assert not any(text.startswith("⭐") for text in second.button_texts())
    shown = [*buttons, *second.button_texts()]
    assert sum("Chen Jie" in text for text in shown) == 1  # a guess is not listed twice
    assert "Li Na · Acme Machinery" in shown and "Buyer 08 · Customer 08" in shown


async def test_a_connection_made_before_the_bot_listened_is_asked_of_telegram(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _team_with_acme(bot, emulator, db)
    tom = team.tom
    li = emulator.user(7001, "Li", last_name="Na")
    # The connection exists at Telegram, but its update never reached this bot.
    tom.business_connection_id = "made-long-ago"
    emulator.business_connections["made-long-ago"] = {
        "id": "made-long-ago",
        "user": tom.to_json(),
        "user_chat_id": tom.id,
        "date": int(emulator.message_clock()),
        "rights": {"can_reply": False},
        "is_enabled": True,
    }
    await _writes(bot, tom, li, "hello")
    assert "This chat is" in tom.last().text
    assert ("getBusinessConnection", {"business_connection_id": "made-long-ago"}) in [
        (name, {k: v for k, v in params.items() if k == "business_connection_id"})
        for name, params in emulator.requests
    ]


async def test_the_emulator_refuses_what_telegram_refuses_in_business_chats(
    emulator: BotAPIEmulator,
) -> None:
    tom = emulator.user(9101, "Tom")
    li = emulator.user(9102, "Li")
    with pytest.raises(RuntimeError, match="no enabled business connection"):
        await tom.business_message(li, "nobody connected")
    with pytest.raises(RuntimeError, match="never connected"):
        await tom.disconnect_business()
    emulator.can_connect_to_business = False
    with pytest.raises(RuntimeError, match="Business Mode"):
        await tom.connect_business()
    emulator.can_connect_to_business = True
    await tom.connect_business()
    with pytest.raises(RuntimeError, match="someone else"):
        await tom.business_message(tom, "to myself")
    await tom.business_message(li, "hello")
    assert not li.known  # writing to a rep makes no chat the bot may write to

    bot = Bot(emulator.token, base_url=emulator.base_url)
    async with bot:
        connection = await bot.get_business_connection(tom.business_connection_id or "")
        assert connection.user.id == tom.id and connection.is_enabled
        assert connection.rights is not None and connection.rights.can_reply
        with pytest.raises(BadRequest, match=r"(?i)business_connection_invalid"):
            await bot.get_business_connection("made-up")
        with pytest.raises(BadRequest, match="does not send into business chats"):
            await bot.send_message(
                tom.id, "on Tom's behalf", business_connection_id=tom.business_connection_id
            )
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(li.id, "to the customer")
    emulator.rejections.clear()
