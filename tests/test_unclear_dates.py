"""A date the parser is unsure of in a next step (issue 12): the visit's confirmation names the
part that looked like a date instead of dropping it silently, no follow-up is set, and
✏️ Change date sets one. Clear dates and text with nothing date-like change nothing; nor does a
follow-up date given some other way. End to end in English and Chinese, then the rule itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.parsing.capture import parse_capture, unclear_dates, unclear_dates_in_step
from bot.parsing.dates import find_when_at_edges
from models import Role, Touch
from tests.conftest import FakeClock
from tests.flows import SalesTeam, add_customer, invite, join, sales_team, texts

WARNING = "⚠️ I didn't understand the date in {}: tap ✏️ Change date to set it"
WARNING_ZH = "⚠️ 没看懂{}里的日期：点“✏️ 改日期”来设置"
CHANGE_DATE = "✏️ Change date"
CHANGE_DATE_ZH = "✏️ 改日期"

# Wednesday 25 November 2026, 17:00 in Shanghai (the clock of the end-to-end tests).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"


@pytest.fixture(autouse=True)
def message_dates_follow_the_clock(emulator: BotAPIEmulator, clock: FakeClock) -> None:
    emulator.message_clock = lambda: clock().timestamp()


async def seeded(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Tools")
    return team


async def chinese_rep(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SimUser:
    team = await sales_team(bot, emulator)
    wang = emulator.user(5301, "伟", last_name="王", language_code="zh-hans")
    await join(bot, wang, await invite(bot, team.admin, Role.REP, "North"))
    add_customer(db, wang, "上海宏达机电有限公司")
    return wang


def touches(db: Database) -> list[Touch]:
    with db.session() as session:
        return list(session.exec(select(Touch).order_by(Touch.id)))  # type: ignore[arg-type]


def quoted(*parts: str, separator: str = ", ") -> str:
    return separator.join(f"“{part}”" for part in parts)


# -- end to end ----------------------------------------------------------------------------------

UNCLEAR_EN = [
    ("call back at quarter to 5 or so", ["at quarter to 5 or so"]),
    ("send 20 fri", ["20 fri"]),
    ("ship after the 10th-ish", ["after the 10th-ish"]),
    ("call tonight at 5", ["tonight at 5"]),
    ("send the deck this week", ["this week"]),
    ("call fri, send samples the 10th-ish", ["fri", "the 10th-ish"]),
]


async def test_an_unclear_date_is_named_and_change_date_sets_it(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    for step, parts in UNCLEAR_EN:
        confirm = texts(await bot.send(tom, f"/visit Acme Tools: demo went well; next: {step}"))
        assert WARNING.format(quoted(*parts)) + "\n\nSave it?" in confirm, confirm
        assert f"Next: {step}\nFollow-up: none\n⚠️" in confirm  # the step is kept whole
        assert tom.last().button_texts() == ["✅ Save", CHANGE_DATE]
        await bot.press(tom, CHANGE_DATE)
        assert "When do you follow up?" in tom.last().text
        await bot.send(tom, "fri 4:45pm")
        confirm = tom.last().text
        assert "Follow-up: Fri 27 Nov 2026, 16:45 (Asia/Shanghai)" in confirm
        assert "⚠️" not in confirm
        await bot.press(tom, "✅ Save")
    saved = touches(db)
    assert [touch.next_step for touch in saved] == [step for step, _ in UNCLEAR_EN]
    # Fri 27 Nov 16:45 in Shanghai is 08:45 UTC.
    assert {touch.follow_up_at for touch in saved} == {datetime(2026, 11, 27, 8, 45, tzinfo=UTC)}


async def test_saved_without_a_follow_up_when_the_warning_is_ignored(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    await bot.send(tom, "/visit Acme Tools: call; next: call back at quarter to 5 or so")
    await bot.press(tom, "✅ Save")
    [touch] = touches(db)
    assert touch.next_step == "call back at quarter to 5 or so" and touch.follow_up_at is None
    # ✏️ Change date answered with No follow-up: asked and answered, not named again.
    await bot.send(tom, "/visit Acme Tools: call; next: send 20 fri")
    await bot.press(tom, CHANGE_DATE)
    await bot.press(tom, "No follow-up")
    confirm = tom.last().text
    assert "Follow-up: none" in confirm and "⚠️" not in confirm


async def test_named_after_adding_the_customer_or_picking_one(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom
    await bot.send(tom, "/visit Brightway: met Zhang Min; next: send 20 fri")
    await bot.press(tom, '➕ Add "Brightway" as a new customer')
    confirm = tom.last().text
    assert "➕ New customer added: Brightway" in confirm
    assert WARNING.format(quoted("20 fri")) in confirm
    await bot.send(tom, "/cancel")
    add_customer(db, tom, "Acme Machinery")
    await bot.send(tom, "/visit acme: price talk; next: call tonight at 5")
    await bot.press(tom, "Acme Machinery")
    assert WARNING.format(quoted("tonight at 5")) in tom.last().text


@pytest.mark.parametrize(
    ("typed", "next_step", "follow_up"),
    [
        ("next: send quote fri", "send quote", "Fri 27 Nov 2026"),
        ("next: call back a quarter past 4pm", "call back", "Thu 26 Nov 2026, 16:15"),
        ("next: call back at quarter to 5 or so; follow up: fri", None, "Fri 27 Nov 2026"),
        ("next: send 20 fri; when: tomorrow 10am", "send 20 fri", "Thu 26 Nov 2026, 10:00"),
    ],
)
async def test_a_date_understood_or_given_otherwise_changes_nothing(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    db: Database,
    typed: str,
    next_step: str | None,
    follow_up: str,
) -> None:
    team = await seeded(bot, emulator, db)
    confirm = texts(await bot.send(team.tom, f"/visit Acme Tools: visit; {typed}"))
    assert f"Follow-up: {follow_up} (Asia/Shanghai)" in confirm
    assert "⚠️" not in confirm
    if next_step is not None:
        assert f"Next: {next_step}\n" in confirm


@pytest.mark.parametrize(
    "step",
    ["send quote", "whenever", "call Mr Sun about the drawings", "send 2 units"],
)
async def test_nothing_date_like_no_warning(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, step: str
) -> None:
    team = await seeded(bot, emulator, db)
    confirm = texts(await bot.send(team.tom, f"/visit Acme Tools: visit; next: {step}"))
    assert f"Next: {step}\nFollow-up: none\n\nSave it?" in confirm


async def test_the_step_by_step_next_step_is_checked_too(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    tom = team.tom

    async def up_to_the_next_step() -> None:
        await bot.send(tom, "/visit")
        await bot.press(tom, "Acme Tools")
        await bot.press(tom, "📞 Call")
        await bot.send(tom, "talked prices")
        await bot.send(tom, "Skip")

    # Unsure, then No follow-up: the confirmation names it; ✏️ Change date sets the date.
    await up_to_the_next_step()
    await bot.send(tom, "call back at quarter to 5 or so")
    await bot.press(tom, "No follow-up")
    confirm = tom.last().text
    assert WARNING.format(quoted("at quarter to 5 or so")) in confirm
    await bot.press(tom, CHANGE_DATE)
    await bot.send(tom, "tomorrow 4:45pm")
    assert "⚠️" not in tom.last().text
    await bot.press(tom, "✅ Save")
    # A date given at the follow-up question: nothing to say.
    await up_to_the_next_step()
    await bot.send(tom, "send 20 fri")
    await bot.send(tom, "fri 10am")
    assert "⚠️" not in tom.last().text
    await bot.press(tom, "✅ Save")
    # Understood in the step, or nothing date-like: no warning either.
    for step in ("send quote fri", "send quote"):
        await up_to_the_next_step()
        await bot.send(tom, step)
        await bot.press(tom, "No follow-up")
        assert "Follow-up: none\n\nSave it?" in tom.last().text
        await bot.press(tom, "✅ Save")
    first, second, third, fourth = touches(db)
    assert first.next_step == "call back at quarter to 5 or so"
    assert first.follow_up_at == datetime(2026, 11, 26, 8, 45, tzinfo=UTC)
    assert second.follow_up_at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert third.follow_up_at is None and fourth.follow_up_at is None


UNCLEAR_ZH = [
    ("明天3 发报价", ["明天3"]),
    ("周一到周五送样品", ["周一到周五"]),
    ("每周五开例会", ["每周五"]),
    ("发报价明天或者后天", ["明天或者后天"]),
]


async def test_in_chinese(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> None:
    wang = await chinese_rep(bot, emulator, db)
    for step, parts in UNCLEAR_ZH:
        confirm = texts(await bot.send(wang, f"/visit 宏达：演示很顺利；下一步：{step}"))
        assert WARNING_ZH.format(quoted(*parts, separator="、")) + "\n\n确认保存吗？" in confirm
        assert f"下一步：{step}\n跟进：无\n⚠️" in confirm
        assert wang.last().button_texts() == ["✅ 保存", CHANGE_DATE_ZH]
        await bot.press(wang, CHANGE_DATE_ZH)
        await bot.send(wang, "周五下午3点")
        confirm = wang.last().text
        assert "跟进：2026年11月27日 周五 15:00（Asia/Shanghai）" in confirm
        assert "⚠️" not in confirm
        await bot.press(wang, "✅ 保存")
    assert [touch.next_step for touch in touches(db)] == [step for step, _ in UNCLEAR_ZH]
    # Clear, or nothing date-like: no warning.
    confirm = texts(await bot.send(wang, "/visit 宏达：演示很顺利；下一步：下周五发报价"))
    assert "下一步：发报价\n跟进：2026年12月4日 周五（Asia/Shanghai）\n\n确认保存吗？" in confirm
    await bot.send(wang, "/cancel")
    confirm = texts(await bot.send(wang, "/visit 宏达：演示很顺利；下一步：发报价"))
    assert "下一步：发报价\n跟进：无\n\n确认保存吗？" in confirm
    await bot.send(wang, "/cancel")
    # Step by step, in Chinese.
    await bot.send(wang, "/visit")
    await bot.send(wang, "宏达")
    await bot.press(wang, "上海宏达机电有限公司")
    await bot.press(wang, "📞 电话")
    await bot.send(wang, "谈了价格")
    await bot.send(wang, "跳过")
    await bot.send(wang, "明天3 回电话")
    await bot.press(wang, "不跟进")
    assert WARNING_ZH.format(quoted("明天3")) in wang.last().text


# -- the rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("call back at quarter to 5 or so", ("at quarter to 5 or so",)),
        ("send 20 fri", ("20 fri",)),
        ("ship after the 10th-ish", ("after the 10th-ish",)),
        ("call tonight at 5", ("tonight at 5",)),
        ("call 5 to 6pm", ("5 to 6pm",)),
        ("meet between 3 and 5pm", ("between 3 and 5pm",)),
        ("follow up every monday", ("every monday",)),
        ("call tomorrow or friday", ("tomorrow or friday",)),
        ("send the invoice end of next week", ("end of next week",)),
        ("sometime next week or so", ("sometime next week or so",)),
        ("fri at the latest", ("fri at the latest",)),
        ("no later than Fri.", ("no later than Fri",)),
        ("send quote in 2-3 days", ("in 2-3 days",)),
        ("ship mid-December", ("mid-December",)),
        ("call may 5th-ish", ("may 5th-ish",)),
        ("call at 3 p.m. sharp", ("at 3 p.m. sharp",)),
        ("call (fri), then email", ("fri",)),
        ("call fri, send samples the 10th-ish", ("fri", "the 10th-ish")),
        ("Call Back At Quarter To 5 Or So", ("At Quarter To 5 Or So",)),
        ("明天3 发报价", ("明天3",)),
        ("周一到周五送样品", ("周一到周五",)),
        ("例会改到每周五", ("每周五",)),
        ("发报价明天或者后天", ("明天或者后天",)),
        ("每天下午三点打电话", ("每天下午三点",)),
        ("在周五前后发报价", ("在周五前后",)),
        ("下个月 三十二号发货", ("下个月 三十二号",)),
        ("過兩天再聯系", ("過兩天",)),  # Traditional characters, named as typed
        ("下下周拜访", ("下下周",)),
        ("３点半左右回电话", ("３点半左右",)),  # full-width digits
    ],
)
def test_the_part_that_looks_like_a_date(text: str, parts: tuple[str, ...]) -> None:
    assert unclear_dates(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "send quote",
        "发报价",
        "whenever",
        "call Mr Sun about the drawings",
        "ask Jan and Li Jun",
        "we may order more",
        "send 2 units",
        "quote 4.50 per unit",
        "c'mon, close it",
        "calls twice a day",
        "快一点发报价",
        "有两点要确认",
        "送到3号楼",
        "跟进一下",
        "天津见客户",
        "确认型号",
        "",
    ],
)
def test_nothing_date_like(text: str) -> None:
    assert unclear_dates(text) == ()


@pytest.mark.parametrize(
    "step", ["send quote fri", "call back a quarter past 4pm", "下周五发报价", "tomorrow 3pm"]
)
def test_a_step_with_a_date_understood_has_nothing_unclear(step: str) -> None:
    assert unclear_dates_in_step(step, now=NOW, zone=ZONE) == ()


def test_quick_capture_names_the_unclear_part_only_without_a_follow_up() -> None:
    capture = parse_capture("Acme: demo; next: send 20 fri", now=NOW, zone=ZONE)
    assert capture is not None
    assert (capture.next_step, capture.when, capture.unclear_dates) == (
        "send 20 fri",
        None,
        ("20 fri",),
    )
    given = parse_capture("Acme: demo; next: send 20 fri; fu: tomorrow", now=NOW, zone=ZONE)
    assert given is not None and given.when is not None and given.unclear_dates == ()
    # A follow-up label the parser could not read joins the next step, and is named.
    labelled = parse_capture("Acme: demo; follow up: fri-ish", now=NOW, zone=ZONE)
    assert labelled is not None and labelled.unclear_dates == ("fri-ish",)
    plain = parse_capture("Acme: demo; next: send quote", now=NOW, zone=ZONE)
    assert plain is not None and plain.when is None and plain.unclear_dates == ()


@pytest.mark.parametrize(
    "text",
    [
        "明天3 发报价",  # at 3 tomorrow, or three of something?
        "明天 3 发报价",
        "call tonight at 5",  # "at 5" alone would leave "tonight" behind
        "发报价明天到周五",
        "发报价明天或者后天",
        "每天下午三点打电话",
    ],
)
def test_no_part_of_a_phrase_is_taken(text: str) -> None:
    assert find_when_at_edges(text, now=NOW, zone=ZONE) is None
