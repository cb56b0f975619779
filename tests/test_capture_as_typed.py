"""End to end: quick capture as people really send it (issue 11) — labels typed after a comma,
an unknown customer added from the capture, a full name picked without a question, a long note
Telegram split into several messages, and a voice note, photo or location sent outside a flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services import quick_capture
from models import Attachment, Customer, Touch
from tests.conftest import FakeClock
from tests.flows import SalesTeam, add_customer, link_contact, sales_team, texts

ADD_BRIGHTWAY = '➕ Add "Brightway" as a new customer'
LOG_WITH_THIS = "📝 Log a visit with this"
REASK = "Please choose with the buttons above, or send /cancel."


@pytest.fixture(autouse=True)
def message_dates_follow_the_clock(emulator: BotAPIEmulator, clock: FakeClock) -> None:
    """What people send is dated by the test's clock, as the bot's own clock is."""
    emulator.message_clock = lambda: clock().timestamp()


async def seeded(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", phone="+86 21 5555 0101", contact="Li Na")
    add_customer(db, team.tom, "Acme Tools")
    add_customer(db, team.tom, "上海宏达机电有限公司")
    add_customer(db, team.sara, "Pacific Steel Works")
    return team


def touches(db: Database) -> list[Touch]:
    with db.session() as session:
        return list(session.exec(select(Touch).order_by(Touch.id)))  # type: ignore[arg-type]


def customer_names(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(c.name for c in session.exec(select(Customer)))


def customer_of(db: Database, touch: Touch) -> str:
    with db.session() as session:
        customer = session.get(Customer, touch.customer_id)
        assert customer is not None
        return customer.name


def attachments(db: Database) -> list[Attachment]:
    with db.session() as session:
        return list(session.exec(select(Attachment).order_by(Attachment.id)))  # type: ignore[arg-type]


async def test_next_step_label_after_a_comma_splits_in_both_languages(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    # What a Chinese phone keyboard types: full-width colon and comma, no semicolon.
    confirm = texts(await bot.send(tom, "/visit 宏达：演示很顺利，下一步：下周五发报价"))
    assert "演示很顺利\n" in confirm and "Next: 发报价" in confirm
    assert "Follow-up: Fri 4 Dec 2026" in confirm
    await bot.press(tom, "✅ Save")
    await bot.send(tom, "/visit Acme Tools: demo went well, next: send quote fri")
    assert "Next: send quote" in tom.last().text
    await bot.press(tom, "✅ Save")
    # 下一步 needs no colon in Chinese, after a full stop.
    await bot.send(tom, "/visit 宏达：样品已送到。下一步明天下午三点电话确认")
    await bot.press(tom, "✅ Save")
    # "next week" in the notes, "nextgen" in a word, and "next steps" without a colon stay notes.
    quiet = "they restock next week, the nextgen line too, next steps unclear"
    answer = texts(await bot.send(tom, f"/visit Acme Tools: {quiet}"))
    assert "Next: —" in answer and "Follow-up: none" in answer
    # Nonsense after the label: kept as the next step, no follow-up, nothing saved yet.
    answer = texts(await bot.send(tom, "/visit Acme Tools: ok, next: whenever"))
    assert "Next: whenever" in answer and "Follow-up: none" in answer
    assert len(touches(db)) == 3
    await bot.send(tom, "/cancel")

    first, second, third = touches(db)
    assert (first.notes, first.next_step) == ("演示很顺利", "发报价")
    assert first.follow_up_at == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # Fri 4 Dec, Shanghai
    assert (second.notes, second.next_step) == ("demo went well", "send quote")
    assert second.follow_up_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # Fri 27 Nov
    assert (third.notes, third.next_step) == ("样品已送到", "电话确认")
    assert (
        third.follow_up_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC) and third.follow_up_has_time
    )
    assert [customer_of(db, t) for t in (first, second, third)] == [
        "上海宏达机电有限公司",
        "Acme Tools",
        "上海宏达机电有限公司",
    ]


async def test_unknown_customer_ends_the_flow_and_offers_to_add_it(
    deps: Deps, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    first = LocalBot(deps, emulator)
    await first.start()
    team = await seeded(first, emulator, db)
    tom = team.tom
    answer = await first.send(
        tom, "/visit Brightway: met Zhang Min, they need 3 trucks; next: send quote fri"
    )
    assert answer[0].text.startswith("No customer of yours matches “Brightway”, so nothing")
    assert answer[0].button_texts() == [ADD_BRIGHTWAY]
    offer = answer[0]
    offer_data = offer.buttons()[0].callback_data or ""
    # The flow is over: /newcustomer is not refused with "answer the question above".
    asked = texts(await first.send(tom, "/newcustomer Brightway Logistics"))
    assert "finish this first" not in asked and "phone" in asked.lower()
    await first.send(tom, "/cancel")
    # A second unknown name while the first offer waits.
    await first.send(tom, "/visit Jade Garden: met the chef, next: samples mon")
    jade_offer = tom.last()
    assert jade_offer.button_texts() == ['➕ Add "Jade Garden" as a new customer']
    # Nonsense as a name: the button says why it can't be a customer, and adds nothing.
    await first.send(tom, "/visit /etc/passwd: x")
    await first.press(tom, '➕ Add "/etc/passwd" as a new customer')
    assert "“/etc/passwd” can't be a customer name" in tom.last().text
    assert customer_names(db) == sorted(
        ["Acme Machinery", "Acme Tools", "上海宏达机电有限公司", "Pacific Steel Works"]
    )
    assert touches(db) == []
    await first.stop()

    # After a restart, an hour later, the button still works.
    clock.advance(timedelta(hours=1))
    second = LocalBot(deps, emulator)
    await second.start()
    try:
        await second.press(tom, ADD_BRIGHTWAY, offer)
        confirm = tom.message(offer.message_id).text
        assert "➕ New customer added: Brightway" in confirm
        assert "met Zhang Min, they need 3 trucks" in confirm and "Next: send quote" in confirm
        assert "Follow-up: Fri 27 Nov 2026 (Asia/Shanghai)" in confirm
        assert "Brightway" in customer_names(db) and touches(db) == []
        await second.press(tom, "✅ Save")
        assert tom.message(offer.message_id).text.startswith("✅ Saved: Visit · Brightway")
        # The offer is used up: pressing it again adds nothing.
        await second.settle(await tom.press_data(offer_data, offer))
        assert tom.callback_answers[-1]["text"] == "Not found."

        # Jade Garden was added meanwhile by hand: the duplicate check offers it instead.
        await second.send(tom, "/newcustomer Jade Garden")
        await second.press(tom, "Skip")
        await second.press(tom, "Skip")
        await second.press(tom, '➕ Add "Jade Garden" as a new customer', jade_offer)
        duplicate = tom.message(jade_offer.message_id)
        assert "“Jade Garden” looks like a customer you already have" in duplicate.text
        assert duplicate.button_texts() == ["Jade Garden", "Create a new one anyway"]
        assert texts(await second.send(tom, "the first one")) == REASK
        await second.press(tom, "Jade Garden", duplicate)
        assert "Next: samples" in tom.message(jade_offer.message_id).text
        await second.press(tom, "✅ Save")
        assert second.app is not None and second.app.handler_errors == []
    finally:
        await second.stop()
    assert customer_names(db).count("Jade Garden") == 1
    brightway, jade = touches(db)
    assert customer_of(db, brightway) == "Brightway" and customer_of(db, jade) == "Jade Garden"
    assert (brightway.notes, brightway.next_step) == (
        "met Zhang Min, they need 3 trucks",
        "send quote",
    )
    assert brightway.follow_up_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert (jade.notes, jade.next_step) == ("met the chef", "samples")
    with db.session() as session:
        added = session.exec(select(Customer).where(Customer.name == "Brightway")).one()
        assert added.id == brightway.customer_id and added.owner_id == brightway.author_id
    assert emulator.rejections == []


async def test_a_full_exact_name_picks_the_customer_without_asking(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    answer = texts(await bot.send(tom, "/visit acme  MACHINERY: demo for the engineers"))
    assert "Which customer did you mean" not in answer
    assert "Visit · Acme Machinery" in answer
    await bot.press(tom, "✅ Save")
    await bot.send(tom, "/visit Acme Tools: reorder of 50 spindles")
    await bot.press(tom, "✅ Save")
    # A shared word alone still asks; nonsense at that question is a search, then /cancel.
    asked = await bot.send(tom, "/visit Acme: price talk")
    assert asked[0].text == "Which customer did you mean by “Acme”?"
    assert sorted(asked[0].button_texts()) == ["Acme Machinery", "Acme Tools"]
    assert "No customer of yours matches “zzzz”" in texts(await bot.send(tom, "zzzz"))
    await bot.send(tom, "/cancel")
    machinery, tools = touches(db)
    assert customer_of(db, machinery) == "Acme Machinery"
    assert machinery.notes == "demo for the engineers"
    assert customer_of(db, tools) == "Acme Tools"


async def test_a_long_note_split_by_telegram_is_joined_into_one(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    await bot.send(tom, "/visit")
    await bot.press(tom, "Acme Tools")
    await bot.press(tom, "👥 Meeting")
    note = "".join(f"Point {n}: the line runs three shifts. " for n in range(250))
    assert 8192 < len(note) < 12288
    before = len(tom.messages)
    sent = await tom.send_long(note)
    assert len(sent) == 3
    await bot.settle(sent[-1])
    answers = [m.text for m in tom.messages[before:]]
    assert REASK not in answers
    assert "Share your location with the 📍 button below, or press Skip." not in answers
    assert answers[0] == "Check in here? Share your location with the button below, or press Skip."
    assert answers[1:] == [
        f"➕ Added to the note: {8192:,} characters in all.\n{answers[0]}",
        f"➕ Added to the note: {len(note):,} characters in all.\n{answers[0]}",
    ]
    # Ten seconds later a short text is an answer again: nonsense is re-asked.
    clock.advance(timedelta(seconds=10))
    assert texts(await bot.send(tom, "maybe later")) == (
        "Share your location with the 📍 button below, or press Skip."
    )
    await bot.send(tom, "Skip")
    await bot.send(tom, "send the quote")
    await bot.press(tom, "No follow-up")
    await bot.press(tom, "✅ Save")
    [touch] = touches(db)
    assert touch.notes == note and touch.next_step == "send the quote"

    # A quick capture pasted long: the rest carries the next step; Skip right after a long
    # note answers the step, and a short note's quick answer is never joined.
    long_capture = (
        "/visit Acme Machinery: " + "Audit of every machine. " * 200 + "; next: quote fri"
    )
    sent = await tom.send_long(long_capture)
    assert len(sent) == 2
    await bot.settle(sent[-1])
    confirm = tom.last().text
    assert confirm.startswith("➕ Added to the note:") and "Next: quote" in confirm
    assert "Follow-up: Fri 27 Nov 2026" in confirm
    await bot.press(tom, "✅ Save")
    quick = touches(db)[-1]
    assert quick.notes == ("Audit of every machine. " * 200).rstrip(" .")
    assert quick.next_step == "quote"

    await bot.send(tom, "/visit")
    await bot.press(tom, "Acme Tools")
    await bot.press(tom, "📞 Call")
    await bot.send(tom, "x" * 4000)
    assert "What is the next step" in texts(await bot.send(tom, "Skip"))
    await bot.send(tom, "/cancel")
    await bot.send(tom, "/visit")
    await bot.press(tom, "Acme Tools")
    await bot.press(tom, "📞 Call")
    await bot.send(tom, "short note")
    assert texts(await bot.send(tom, "and more")) == (
        "Share your location with the 📍 button below, or press Skip."
    )
    await bot.send(tom, "/cancel")
    assert len(touches(db)) == 2


async def test_voice_photo_or_location_outside_a_flow_starts_a_visit(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    await bot.settle(await tom.send_voice(b"OggS voice of the visit", duration=12))
    offer = tom.last()
    assert offer.text == (
        "🎙 Got your voice note. Is it from a visit? Log one with it: I'll ask which customer."
    )
    assert offer.button_texts() == [LOG_WITH_THIS]
    offer_data = offer.buttons()[0].callback_data or ""
    await bot.press(tom, LOG_WITH_THIS, offer)
    assert tom.message(offer.message_id).text.startswith("Which customer?")
    assert "No customer of yours matches “qqqq”" in texts(await bot.send(tom, "qqqq"))
    await bot.send(tom, "tools")
    await bot.press(tom, "Acme Tools")
    question = tom.last()
    assert texts(await bot.send(tom, "dunno")) == REASK
    await bot.press(tom, "🚗 Visit", question)
    assert tom.message(question.message_id).text == (
        "📎 Kept (1 attached). Write what happened, or press Continue."
    )
    await bot.send(tom, "Li Na liked the demo")
    await bot.send(tom, "Skip")
    await bot.send(tom, "send the quote")
    await bot.send(tom, "fri")
    await bot.press(tom, "✅ Save")
    assert "Li Na liked the demo 📎1" in tom.last().text
    # The offer is used up.
    await bot.settle(await tom.press_data(offer_data, offer))
    assert tom.callback_answers[-1]["text"] == "Not found."

    # A location is the check-in: the step that asks for it is left out.
    await bot.settle(await tom.send_location(31.2304, 121.4737))
    assert tom.last().text.startswith("📍 Got your location.")
    await bot.press(tom, LOG_WITH_THIS)
    await bot.send(tom, "machinery")
    await bot.press(tom, "Acme Machinery")
    await bot.press(tom, "🚗 Visit")
    asked = texts(await bot.send(tom, "walked the plant"))
    assert "📍 Checked in." in asked and "What is the next step" in asked
    assert "Check in here?" not in asked
    await bot.press(tom, "Skip")
    await bot.press(tom, "No follow-up")
    await bot.press(tom, "✅ Save")

    # A photo's caption is the start of the notes; offered, not yet logged.
    await bot.settle(await tom.send_photo(b"\xff\xd8 their shelf", caption="their shelf"))
    assert tom.last().text.startswith("📷 Got your photo.")
    assert tom.last().button_texts() == [LOG_WITH_THIS]

    voice, walk = touches(db)
    assert customer_of(db, voice) == "Acme Tools" and voice.notes == "Li Na liked the demo"
    assert voice.next_step == "send the quote" and voice.latitude is None
    assert customer_of(db, walk) == "Acme Machinery" and walk.notes == "walked the plant"
    assert (walk.latitude, walk.longitude) == (31.2304, 121.4737)
    [attachment] = attachments(db)
    assert attachment.touch_id == voice.id and attachment.kind == "voice"
    [voice_note] = [message["voice"] for message in tom.sent if "voice" in message]
    assert attachment.telegram_file_id == voice_note["file_id"]

    # Customer contacts and strangers get what they got before: no offer, nothing logged.
    contact = await link_contact(bot, emulator, tom, "machinery", "Acme Machinery", "Li Na", 7101)
    before = len(contact.messages)
    await bot.settle(await contact.send_voice(b"OggS hello"))
    answered = contact.messages[before:]
    assert answered and all(LOG_WITH_THIS not in m.button_texts() for m in answered)
    assert "Got your voice note" not in texts(answered)
    stranger: SimUser = emulator.user(7102, "Someone")
    await bot.settle(await stranger.send_location(1.0, 2.0))
    assert stranger.last().text.startswith("Hello! I am the sales team's assistant")
    assert len(touches(db)) == 2


# -- the rules, without Telegram -----------------------------------------------------------------

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("length", "gap", "joined"),
    [
        (4096, 0, True),  # cut at the limit, sent the same second
        (3500, 3, True),  # cut at a space before the limit, within the window
        (4096, 4, False),  # too late: a new message
        (3499, 0, False),  # too short to have been cut
        (10_000, 0, False),  # longer than any part Telegram sends
        (4096, -1, False),  # sent before the note
    ],
)
def test_what_counts_as_the_rest_of_a_note(length: int, gap: int, joined: bool) -> None:
    at = T0 + timedelta(seconds=gap)
    assert quick_capture.is_continuation(previous_length=length, previous_at=T0, at=at) is joined


@pytest.mark.parametrize(
    ("first", "rest", "joined"),
    [
        ("a" * 4096, "bc", "a" * 4096 + "bc"),  # cut mid-word at the limit
        ("ends with a space ", "next", "ends with a space next"),
        ("ends here", "\nnew line", "ends here\nnew line"),
        ("cut at a dropped space", "then more", "cut at a dropped space then more"),
        ("演示很顺利", "他们要20台", "演示很顺利他们要20台"),
        ("", "only", "only"),
    ],
)
def test_parts_of_a_note_are_joined_as_they_were_cut(first: str, rest: str, joined: str) -> None:
    assert quick_capture.join_note_parts(first, rest) == joined


def test_telegram_counts_length_in_utf16_units() -> None:
    assert quick_capture.text_length("a😀中") == 4
