"""End to end in Chinese: a Chinese-speaking rep registers, logs a visit with quick capture and a
Chinese follow-up, and gets the reminder and the morning brief in Chinese; a Chinese-speaking
contact gets a Chinese quote PDF and birthday greeting from an English-speaking rep; /language
switches mid-use (answers, buttons, command menu); a manager's digest in Chinese; names in
Chinese order; dates and money formatted for each reader."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import Contact, Role, Touch
from tests.conftest import FakeClock
from tests.flows import add_customer, invite, join, register, sales_team, texts, user_row
from tests.test_deals import create_deal
from tests.test_quotes import add_products


def chat_scope(telegram_id: int) -> dict[str, object]:
    return {"type": "chat", "chat_id": telegram_id}


async def chinese_contact(
    bot: LocalBot, emulator: BotAPIEmulator, rep: SimUser, search: str, customer: str, name: str
) -> SimUser:
    """The rep hands ``name`` their link; their Telegram app is set to Chinese."""
    await bot.send(rep, search)
    await bot.press(rep, customer)
    await bot.press(rep, "🔗 Link a contact")
    await bot.press(rep, name)
    code = rep.last().text.split("?start=")[1].split()[0]
    person = emulator.user(7101, "娜", last_name="李", language_code="zh-hans")
    welcome = await bot.send(person, f"/start {code}")
    assert welcome[0].text.startswith(f"{name}，您好！"), welcome[0].text
    await bot.press(person, "✅ 好的，可以给我发消息")
    return person


async def test_a_chinese_speaking_rep_works_in_chinese_from_registration_to_the_brief(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    code = await invite(bot, team.admin, Role.REP, "North")
    wang = emulator.user(5301, "伟", last_name="王", language_code="zh-hans")
    welcome = await join(bot, wang, code)
    assert welcome[0].text.startswith("欢迎你，王伟！"), welcome[0].text
    row = user_row(db, 5301)
    assert row is not None and (row.full_name, row.language) == ("王伟", "zh")
    assert "王伟 accepted your invite" in team.admin.last().text  # the admin reads English
    menu = {c["command"]: c["description"] for c in emulator.commands_for(chat_scope(5301))}
    assert menu["visit"].startswith("记拜访") and menu["language"] == "语言：English 或 中文"

    add_customer(db, wang, "上海宏达机电有限公司")
    # Wed 25 Nov 17:00 in Shanghai: tomorrow 15:00 is Thu 26 Nov.
    confirm = await bot.send(wang, "/visit 宏达：演示很顺利，下一步：明天下午三点发报价")
    assert "拜访 · 上海宏达机电有限公司" in confirm[-1].text
    assert "下一步：发报价" in confirm[-1].text
    assert "跟进：2026年11月26日 周四 15:00（Asia/Shanghai）" in confirm[-1].text
    assert confirm[-1].button_texts()[0] == "✅ 保存"
    await bot.press(wang, "✅ 保存")
    assert wang.last().text.startswith("✅ 已保存")
    with db.session() as session:
        touch = session.exec(select(Touch)).one()
        assert (touch.notes, touch.next_step) == ("演示很顺利", "发报价")

    # The next morning: the brief at 08:30, the reminder at 15:00, both in Chinese.
    clock.current = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)
    await bot.tick()
    brief = [m.text for m in wang.messages if m.text.startswith("☀️")]
    assert len(brief) == 1 and "早上好，王伟" in brief[0] and "11月26日 周四" in brief[0]
    assert "上海宏达机电有限公司" in brief[0]
    clock.current = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    await bot.tick()
    reminder = wang.last()
    assert reminder.text.startswith("🔔 跟进：上海宏达机电有限公司"), reminder.text
    assert "跟进时间：2026年11月26日 周四 15:00" in reminder.text
    assert "✅ 已完成" in reminder.button_texts()


async def test_language_switches_mid_use_with_buttons_and_the_command_menu(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    settings = await bot.send(team.tom, "/settings")
    assert "Language: English" in settings[0].text
    assert settings[0].button_texts() == ["Change time zone", "🌐 Language", "⏰ Brief time"]
    await bot.press(team.tom, "🌐 Language")
    assert team.tom.last().button_texts() == ["English", "中文"]
    await bot.press(team.tom, "中文")
    assert team.tom.last().text.startswith("好的，以后我会用中文和你交流")
    assert user_row(db, team.tom.id).language == "zh"  # type: ignore[union-attr]
    menu = {c["command"]: c["description"] for c in emulator.commands_for(chat_scope(team.tom.id))}
    assert menu["help"] == "我能帮你做什么"

    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    card = team.tom.last()
    assert "📝 记拜访" in card.button_texts() and "✏️ 修改" in card.button_texts()
    assert "语言：中文" in texts(await bot.send(team.tom, "/settings"))
    # Nonsense where a button is expected is re-asked in Chinese; /language switches back.
    await bot.send(team.tom, "/language")
    await bot.press(team.tom, "English")
    assert team.tom.last().text.startswith("Done: I'll speak English from now on.")
    assert "Language: English" in texts(await bot.send(team.tom, "/settings"))
    await bot.settle(await team.tom.press_data("set:lang:klingon"))
    assert team.tom.callback_answers[-1]["text"] == "Not found."
    assert user_row(db, team.tom.id).language == "en"  # type: ignore[union-attr]


async def test_a_chinese_contact_gets_a_chinese_quote_and_greeting_from_an_english_rep(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na", birthday=(11, 26))
    add_products(db)
    li = await chinese_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na")
    with db.session() as session:
        assert session.exec(select(Contact)).one().language == "zh"
    assert "谢谢" in li.last().text and "/birthday" not in li.last().text  # birthday known

    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    await bot.send(team.tom, "/quote")
    await bot.press(team.tom, "Lathes · Acme Machinery")
    await bot.send(team.tom, "CNC-100")
    await bot.press(team.tom, team.tom.last().button_texts()[0])
    await bot.send(team.tom, "12")
    await bot.press(team.tom, "5%")
    await bot.press(team.tom, "📤 Submit")
    rep_copy = team.tom.last()
    assert rep_copy.text.startswith("🧾 Quote") and "CNY 11,400.00" in rep_copy.text
    rep_pdf = PdfReader(io.BytesIO(rep_copy.document or b"")).pages[0].extract_text()
    assert "Quotation" in rep_pdf
    await bot.press(team.tom, "📤 Send to Li Na")
    offer = li.last()
    assert offer.kind == "document" and "报价单" in offer.text and "¥11,400.00" in offer.text
    assert offer.button_texts() == ["✅ 接受", "✖ 拒绝"]
    text = PdfReader(io.BytesIO(offer.document or b"")).pages[0].extract_text()
    assert "报价单" in text and "合计：¥11,400.00" in text and "Quotation" not in text
    await bot.press(li, "✅ 接受")
    assert "Li Na" in team.tom.last().text and "accepted" in team.tom.last().text

    clock.current = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, her birthday
    await bot.tick()
    greeting = [m.text for m in li.messages if m.text.startswith("🎂")]
    assert greeting == [
        "🎂 Li Na，祝您生日快乐！\n\n愿您今天开开心心，新的一岁身体健康、工作顺利、万事如意。"
        "感谢您一直以来对我们的支持与信任！\n\nTom 敬上"
    ]


async def test_a_managers_digest_in_chinese_and_a_reps_in_english(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    await bot.send(team.manager, "/language")
    await bot.press(team.manager, "中文")
    add_customer(db, team.tom, "Acme Machinery")
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "12k")
    await bot.send(team.tom, "/visit Acme Machinery: demo went well")
    await bot.press(team.tom, "✅ Save")
    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    await bot.tick()
    digest = [m for m in team.manager.messages if m.text.startswith("📊")]
    assert digest, texts(team.manager.messages[-3:])
    assert "2026年11月25日 周三" in digest[0].text, digest[0].text
    assert "Tom" in digest[0].text and "拜访" in digest[0].text
    chart = [m for m in team.manager.messages if m.kind == "photo"]
    assert chart and "进行中的商机" in chart[-1].text, [m.text for m in chart]


async def test_a_third_register_of_names_keeps_latin_names_in_their_order(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    anna = await register(bot, emulator, team.admin, Role.REP, 5401, "Anna")
    assert user_row(db, anna.id).full_name == "Anna"  # type: ignore[union-attr]
    code = await invite(bot, team.admin, Role.REP, "North")
    mixed = emulator.user(5402, "Wei", last_name="王", language_code="en")
    await join(bot, mixed, code)
    assert user_row(db, 5402).full_name == "Wei 王"  # type: ignore[union-attr]
