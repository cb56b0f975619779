"""End to end: logging a visit step by step and by quick capture, follow-up dates in the rep's
time zone, undo and edit, bad input at every step, idle timeout and a restart mid-flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Attachment, Touch
from tests.conftest import FakeClock
from tests.flows import SalesTeam, actor_of, add_customer, sales_team, texts


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


async def test_visit_step_by_step_with_voice_note_and_check_in(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    await bot.send(tom, "/visit")
    await bot.send(tom, "acme mach")
    await bot.press(tom, "Acme Machinery")
    assert tom.last().button_texts() == ["🚗 Visit", "📞 Call", "👥 Meeting", "💬 Message"]
    await bot.press(tom, "🚗 Visit")
    assert "What happened?" in tom.last().text
    await bot.settle(await tom.send_voice(b"OggS voice bytes", duration=7))
    assert tom.last().text == "📎 Kept (1 attached). Write what happened, or press Continue."
    asked = await bot.send(tom, "Met Li Na; demo went well, they want 20 units")
    assert "Check in here?" in asked[0].text
    assert tom.reply_keyboard is not None
    assert tom.reply_keyboard[0][0]["request_location"] is True
    await bot.settle(await tom.send_location(31.2304, 121.4737))
    assert tom.messages[-2].text == "📍 Checked in."
    assert tom.reply_keyboard is None
    await bot.send(tom, "send the quote")
    echo = await bot.send(tom, "tomorrow 3pm")

    # 09:00 UTC is 17:00 in Shanghai: tomorrow 3pm there is 07:00 UTC on the 26th.
    assert "Follow-up: Thu 26 Nov 2026, 15:00 (Asia/Shanghai)" in echo[0].text
    assert echo[0].button_texts() == ["✅ Save", "✏️ Change date"]
    await bot.press(tom, "✅ Save")
    saved = tom.last()
    assert saved.text.startswith("✅ Saved: Visit · Acme Machinery")
    # The first check-in at Acme, which has no place yet: keep it as Acme's place?
    assert saved.button_texts() == ["↩️ Undo", "✏️ Edit", "💼 New deal", "📍 Keep as its place"]
    [touch] = touches(db)
    assert touch.kind == "visit" and touch.notes == "Met Li Na; demo went well, they want 20 units"
    assert touch.next_step == "send the quote"
    assert touch.follow_up_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert touch.follow_up_has_time and touch.author_id == actor_of(db, tom.id).user_id
    assert (touch.latitude, touch.longitude) == (31.2304, 121.4737)
    with db.session() as session:
        [attachment] = session.exec(select(Attachment)).all()
    assert attachment.touch_id == touch.id and attachment.kind == "voice"


async def test_quick_capture_is_one_message_and_one_tap(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    before = len(team.tom.messages)
    await bot.send(
        team.tom, "/visit Acme Machinery: demo went well, they want 20 units; next: send quote fri"
    )
    confirm = team.tom.last()
    assert "Next: send quote" in confirm.text
    assert "Follow-up: Fri 27 Nov 2026 (Asia/Shanghai)" in confirm.text
    await bot.press(team.tom, "✅ Save")

    assert len(team.tom.messages) - before == 1  # one answer, edited into the summary
    [touch] = touches(db)
    assert touch.notes == "demo went well, they want 20 units" and touch.next_step == "send quote"
    # A date without a time is stored as the start of that day in the rep's zone.
    assert touch.follow_up_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert not touch.follow_up_has_time


async def test_quick_capture_asks_which_customer_when_ambiguous(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    answer = await bot.send(team.tom, "/visit acme: price too high; next: call back 明天下午三点")
    assert answer[0].text == "Which customer did you mean by “acme”?"
    assert answer[0].button_texts() == ["Acme Machinery", "Acme Tools"]
    await bot.press(team.tom, "Acme Tools")
    assert "Follow-up: Thu 26 Nov 2026, 15:00" in team.tom.last().text
    await bot.press(team.tom, "✅ Save")
    [touch] = touches(db)
    assert touch.next_step == "call back" and touch.notes == "price too high"
    with db.session() as session:
        from models import Customer

        assert session.get(Customer, touch.customer_id).name == "Acme Tools"  # type: ignore[union-attr]


async def test_quick_capture_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/visit 宏达：演示很顺利，他们要20台；下一步：下周五发报价")
    assert "Follow-up: Fri 4 Dec 2026" in team.tom.last().text
    await bot.press(team.tom, "✅ Save")
    [touch] = touches(db)
    assert touch.notes == "演示很顺利，他们要20台" and touch.next_step == "发报价"


async def test_undo_within_five_minutes_and_not_after(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/visit Acme Tools: first call")
    await bot.press(team.tom, "✅ Save")
    clock.advance(timedelta(minutes=4))
    await bot.press(team.tom, "↩️ Undo")
    assert "Undone" in team.tom.last().text and team.tom.last().buttons() == []
    assert touches(db)[0].deleted_at == clock()

    await bot.send(team.tom, "/visit Acme Tools: second call")
    await bot.press(team.tom, "✅ Save")
    clock.advance(timedelta(minutes=5, seconds=1))
    answer = await bot.press(team.tom, "↩️ Undo")
    assert texts(answer).startswith("It is too late to undo")
    assert touches(db)[1].deleted_at is None


async def test_edit_changes_a_saved_visit(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/visit Acme Tools: fisrt call; next: samples")
    await bot.press(team.tom, "✅ Save")
    answers = len(team.tom.callback_answers)
    await bot.press(team.tom, "✏️ Edit")
    assert team.tom.last().button_texts() == ["What happened", "Next step", "Follow-up date"]
    # The press is answered (found by tests/test_fuzz_flows.py: the button kept spinning).
    assert len(team.tom.callback_answers) == answers + 1
    await bot.press(team.tom, "What happened")
    answer = await bot.send(team.tom, "first call")
    assert "✅ Saved: Visit · Acme Tools\nfirst call" in answer[0].text
    await bot.send(team.tom, "/visit")  # a new flow is possible afterwards
    [touch] = touches(db)
    assert touch.notes == "first call" and touch.next_step == "samples"


async def test_follow_up_in_the_past_needs_confirmation(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/visit Acme Tools: call; next: ring again yesterday")
    assert team.tom.last().text == "Tue 24 Nov 2026 is in the past. Use it anyway?"
    await bot.press(team.tom, "No, another date")
    assert "When do you follow up?" in team.tom.last().text
    await bot.send(team.tom, "yesterday 10am")
    await bot.press(team.tom, "Yes, use it")
    await bot.press(team.tom, "✅ Save")
    assert touches(db)[0].follow_up_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


async def test_every_visit_step_reasks_on_nonsense_and_saves_nothing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    await bot.send(tom, "/visit")
    assert "No customer of yours matches “qqqq”" in texts(await bot.send(tom, "qqqq"))
    await bot.send(tom, "tools")
    await bot.press(tom, "Acme Tools")
    assert texts(await bot.send(tom, "dunno")) == (
        "Please choose with the buttons above, or send /cancel."
    )
    await bot.press(tom, "📞 Call")
    await bot.settle(await tom.send_location(1.0, 2.0))
    assert tom.last().text.startswith("Let's finish this first")
    await bot.send(tom, "called, no answer")
    assert texts(await bot.send(tom, "maybe later")) == (
        "Share your location with the 📍 button below, or press Skip."
    )
    await bot.send(tom, "Skip")
    await bot.press(tom, "Skip")
    unclear = await bot.send(tom, "when pigs fly")
    assert "I couldn't read “when pigs fly” as a date" in unclear[0].text
    await bot.press(tom, "No follow-up")
    assert "Follow-up: none" in tom.last().text
    assert texts(await bot.send(tom, "ok")) == (
        "Please choose with the buttons above, or send /cancel."
    )
    await bot.send(tom, "/cancel")
    assert touches(db) == []


async def test_a_very_long_note_is_kept_whole_and_shown_short(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    note = ("Long meeting notes. " * 500)[:10_000]
    await bot.send(team.tom, "/visit Acme Tools: x")
    await bot.send(team.tom, "/cancel")
    await bot.send(team.tom, "/visit")
    await bot.press(team.tom, "Acme Tools")
    await bot.press(team.tom, "👥 Meeting")
    await bot.send(team.tom, note)
    await bot.send(team.tom, "Skip")
    await bot.press(team.tom, "Skip")
    await bot.press(team.tom, "No follow-up")
    await bot.press(team.tom, "✅ Save")

    assert len(touches(db)[0].notes) == 10_000
    assert len(team.tom.last().text) < 4096 and team.tom.last().text.count("Long meeting") < 100
    await bot.send(team.tom, "tools")
    await bot.press(team.tom, "Acme Tools")
    await bot.press(team.tom, "🕘 Timeline")
    assert len(team.tom.last().text) < 4096


async def test_an_idle_visit_times_out_and_saves_nothing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/visit")
    await bot.press(team.tom, "Acme Tools")
    assert bot.app is not None and bot.app.job_queue is not None
    [timeout_job] = [job for job in bot.app.job_queue.jobs() if "timeout" in job.callback.__name__]
    assert timeout_job.next_t is not None
    await timeout_job.run(bot.app)

    assert team.tom.last().text.startswith("That was left open for 30 minutes, so I closed it.")
    assert "Not sure" not in texts(await bot.send(team.tom, "hello"))  # no longer in the flow
    assert team.tom.last().text.startswith("No customer of yours matches")
    assert touches(db) == []


async def test_a_restart_mid_visit_continues_at_the_same_step(
    deps: Deps, emulator: BotAPIEmulator, db: Database
) -> None:
    first = LocalBot(deps, emulator)
    await first.start()
    team = await seeded(first, emulator, db)
    await first.send(team.tom, "/visit")
    await first.press(team.tom, "Acme Tools")
    await first.press(team.tom, "📞 Call")
    await first.send(team.tom, "They need a new quote")
    await first.stop()

    second = LocalBot(deps, emulator)
    await second.start()
    try:
        await second.send(team.tom, "Skip")
        assert "What is the next step" in team.tom.last().text
        await second.press(team.tom, "Skip")
        await second.press(team.tom, "No follow-up")
        await second.press(team.tom, "✅ Save")
    finally:
        await second.stop()
    [touch] = touches(db)
    assert touch.kind == "call" and touch.notes == "They need a new quote"
    assert emulator.rejections == []


async def test_log_visit_from_the_card_with_a_photo(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "tools")
    await bot.press(team.tom, "Acme Tools")
    await bot.press(team.tom, "📝 Log visit")
    assert "Acme Tools: what kind of touch was it?" in team.tom.last().text
    await bot.press(team.tom, "💬 Message")
    await bot.settle(await team.tom.send_photo(b"\xff\xd8 jpeg bytes", caption="their shelf"))
    assert "📎 Kept (1 attached)" in team.tom.last().text
    await bot.press(team.tom, "Continue")
    await bot.send(team.tom, "Skip")
    await bot.press(team.tom, "Skip")
    await bot.press(team.tom, "No follow-up")
    await bot.press(team.tom, "✅ Save")
    assert "their shelf 📎1" in team.tom.last().text
    [touch] = touches(db)
    assert touch.kind == "message" and touch.notes == "their shelf"
    with db.session() as session:
        [attachment] = session.exec(select(Attachment)).all()
    assert attachment.kind == "photo" and attachment.telegram_file_id
