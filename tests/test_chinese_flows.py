"""Every flow of the user guide, end to end, for people who read Chinese.

A Chinese company (华东区: admin 张丽, manager 林梅, director 周大卫, reps 王伟 and 陈涛, all with a
Chinese Telegram app or switched with /language) goes through each flow of the README's user
guide, with an English-speaking rep (Tom) beside them. Each step is checked for its Chinese
answer, Chinese buttons and Chinese dates and money; and a guard watches every message, edit,
button and alert the bot sends: a Chinese reader must never get a run of English words that is
not a name, a command, a code or something the test typed itself, and Tom must get no Chinese
but the data he works with."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.settings import Settings, load_settings
from models import (
    Contact,
    Customer,
    Deal,
    OutboxMessage,
    Product,
    Quote,
    Role,
    Ticket,
    Touch,
    User,
)
from tests.conftest import ADMIN_ID, FakeClock
from tests.flows import add_customer, invite_code, make_order, texts, user_row

# -- the guard ------------------------------------------------------------------------------------

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Three or more ASCII words in a row, apart only by spaces and ASCII punctuation.
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z']*(?:[ \t\n,.;:!?()\"'&-]+[A-Za-z][A-Za-z']*){2,}")
NOT_WORDS = [
    re.compile(r"https?://\S+"),  # links (invites, contact links)
    re.compile(r"/[a-z_]+"),  # commands
    re.compile(r"\b[A-Z]{1,3}-\d{4}-\d{5}\b"),  # quote and order numbers
    re.compile(r"\b[A-Z]{2,}-\d+\b"),  # SKUs
    re.compile(r"\b[A-Z][a-z]+/[A-Za-z_]+\b"),  # time zones
    re.compile(r"\b[A-Z]{3}\b"),  # currency codes
]
# Words shown in the other language on purpose: the price list's column headers (a file's first
# row must name them in English), the pipeline's stage codes (typed after /pipeline), each
# language by its own name, and the language picker, which asks in both languages.
TECHNICAL = [
    "中文",
    "选择语言：",
    "sku, name, unit, list price, currency",
    "floor price",
    "max discount %",
    "lead, qualified, quoted, negotiation, contract_review",
    "Which language shall I speak?",
]


@dataclass
class Seen:
    """One thing a person was shown, and the language they read at that moment."""

    person: SimUser
    language: str | None
    text: str
    buttons: list[str]


@dataclass(repr=False)
class LanguageGuard:
    """Watches everything the bot shows each person (messages as sent and as edited, inline
    and reply-keyboard buttons, callback alerts) and finds what is not in their language."""

    emulator: BotAPIEmulator
    languages: dict[int, str] = field(default_factory=dict)
    data: set[str] = field(default_factory=set)  # names and text the test itself typed
    seen: list[Seen] = field(default_factory=list)
    alerts_seen: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.emulator.listeners.append(self._record)

    def _record(self, user: SimUser, message: BotMessage, event: str) -> None:
        markup = message.reply_markup or {}
        keyboard = [
            button if isinstance(button, str) else str(button.get("text", ""))
            for row in markup.get("keyboard", [])
            for button in row
        ]
        buttons = message.button_texts() + keyboard
        self.seen.append(Seen(user, self.languages.get(user.id), message.text, buttons))

    def _alerts(self) -> None:
        """Callback alerts since the last look, in the language each person reads now."""
        for user in self.emulator.users:
            answers = user.callback_answers[self.alerts_seen.get(user.id, 0) :]
            self.alerts_seen[user.id] = len(user.callback_answers)
            for answer in answers:
                if answer.get("text"):
                    self.seen.append(
                        Seen(user, self.languages.get(user.id), str(answer["text"]), [])
                    )

    def reads(self, language: str, *people: SimUser) -> None:
        """From now on ``people`` read ``language`` ("zh" or "en")."""
        self._alerts()
        for person in people:
            self.languages[person.id] = language

    def allow(self, *values: str) -> None:
        """Data that may appear in any language: names, notes, descriptions the test typed."""
        self.data.update(value for value in values if value)

    def _without_data(self, text: str) -> str:
        for value in sorted(self.data | set(TECHNICAL), key=len, reverse=True):
            text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ¶ ", text)
        for pattern in NOT_WORDS:
            text = pattern.sub(" ¶ ", text)
        return text

    def english_in(self, text: str) -> list[str]:
        return ENGLISH_RUN.findall(self._without_data(text))

    def chinese_in(self, text: str) -> list[str]:
        return CJK.findall(self._without_data(text))

    def _chinese_label(self, label: str) -> bool:
        rest = self._without_data(label)
        # Words in Chinese, or data only: a name, a number, a percentage, stars, a language.
        return bool(CJK.search(rest)) or re.fullmatch(r"[^A-Za-z]*|English", rest) is not None

    def problems(self) -> list[str]:
        self._alerts()
        found: list[str] = []
        for seen in self.seen:
            who = f"{seen.person.first_name} ({seen.language})"
            if seen.language == "zh":
                runs = self.english_in(seen.text)
                if runs or not self._chinese_label(seen.text):
                    found.append(f"{who} got English {runs} in {seen.text!r}")
                found += [
                    f"{who} got the English button {label!r} with {seen.text!r}"
                    for label in seen.buttons
                    if not self._chinese_label(label)
                ]
            elif seen.language == "en":
                if self.chinese_in(seen.text):
                    found.append(f"{who} got Chinese in {seen.text!r}")
                found += [
                    f"{who} got the Chinese button {label!r}"
                    for label in seen.buttons
                    if self.chinese_in(label)
                ]
        return found

    def check(self) -> None:
        assert len({seen.language for seen in self.seen}) >= 2, "the guard saw too little"
        problems = self.problems()
        assert problems == [], "\n".join(problems)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A company in Shanghai that bills in yuan."""
    return load_settings(
        DATABASE_URL=database_url,
        ADMIN_TELEGRAM_IDS=str(ADMIN_ID),
        DEFAULT_TIMEZONE="Asia/Shanghai",
        DEFAULT_CURRENCY="CNY",
        TELEGRAM_BOT_TOKEN=None,
        OUTBOX_CHAT_INTERVAL="0",
        OUTBOX_MAX_PER_SECOND="1000",
    )


@pytest.fixture
def guard(emulator: BotAPIEmulator) -> LanguageGuard:
    return LanguageGuard(emulator)


# -- the guard itself -----------------------------------------------------------------------------


async def test_the_guard_finds_english_in_a_chinese_chat_and_chinese_in_an_english_one(
    bot: LocalBot, emulator: BotAPIEmulator, guard: LanguageGuard
) -> None:
    wang = emulator.user(5203, "伟", last_name="王", language_code="zh-hans")
    tom = emulator.user(5204, "Tom", language_code="en")
    guard.reads("zh", wang)
    guard.reads("en", tom)
    guard.allow("Acme Machinery", "上海宏达机电有限公司", "demo went well")
    fine = [
        "与“acme”匹配的客户，点击即可打开：Acme Machinery",
        "报价单 Q-2026-00042 · CNC-100 · ¥1,000.00 · CNY · /import products · Asia/Shanghai",
        "https://t.me/salesbot?start=Abc-def_123 拜访：demo went well",
    ]
    for text in fine:
        assert guard.english_in(text) == [], text
    assert guard.english_in("Please choose with the buttons above") == [
        "Please choose with the buttons above"
    ]
    assert guard.english_in("已保存。Follow up soon") == ["Follow up soon"]
    assert guard.chinese_in("Customers matching 上海宏达机电有限公司 in 华东") == ["华", "东"]
    guard.seen += [
        Seen(wang, "zh", "已保存", ["Skip"]),
        Seen(wang, "zh", "Done", []),
        Seen(tom, "en", "Saved.", ["跳过"]),
        Seen(tom, "en", "Saved: 上海宏达机电有限公司", ["English", "中文", "Acme Machinery"]),
    ]
    assert guard.problems() == [
        "伟 (zh) got the English button 'Skip' with '已保存'",
        "伟 (zh) got English [] in 'Done'",
        "Tom (en) got the Chinese button '跳过'",
    ]


# -- a Chinese company ----------------------------------------------------------------------------

ROLES = {
    Role.REP: "销售代表",
    Role.MANAGER: "销售经理",
    Role.DIRECTOR: "销售总监",
    Role.ADMIN: "管理员",
}
TEAM = "华东区"


@dataclass
class Company:
    admin: SimUser  # 张丽
    manager: SimUser  # 林梅
    director: SimUser  # 周大卫
    wang: SimUser  # 王伟, a rep
    tom: SimUser  # Tom, a rep who reads English


def chat_scope(telegram_id: int) -> dict[str, object]:
    return {"type": "chat", "chat_id": telegram_id}


def menu(emulator: BotAPIEmulator, person: SimUser) -> dict[str, str]:
    return {c["command"]: c["description"] for c in emulator.commands_for(chat_scope(person.id))}


async def invite_in_chinese(bot: LocalBot, inviter: SimUser, role: Role, team: str | None) -> str:
    """``inviter`` (who reads Chinese) runs /invite; returns the code."""
    answer = await bot.send(inviter, "/invite")
    if "你要邀请的人是什么角色" not in answer[-1].text:
        return invite_code(answer[-1])  # a manager's invite is a rep of their team at once
    await bot.press(inviter, ROLES[role])
    if team is not None:
        if team in inviter.last().button_texts():
            await bot.press(inviter, team)
        else:
            await bot.press(inviter, "➕ 新建团队")
            await bot.send(inviter, team)
    return invite_code(inviter.last())


async def chinese_company(bot: LocalBot, emulator: BotAPIEmulator, guard: LanguageGuard) -> Company:
    """张丽 (admin) invites 林梅 (manager of 华东区), 周大卫 (director) and the reps 王伟 and
    Tom; everyone's Telegram is in Chinese but Tom's."""
    admin = emulator.user(ADMIN_ID, "丽", last_name="张", language_code="zh-hans")
    manager = emulator.user(5201, "梅", last_name="林", language_code="zh-cn")
    director = emulator.user(5202, "大卫", last_name="周", language_code="zh-tw")
    wang = emulator.user(5203, "伟", last_name="王", language_code="zh-hans")
    tom = emulator.user(5204, "Tom", language_code="en")
    guard.reads("zh", admin, manager, director, wang)
    guard.reads("en", tom)
    guard.allow("张丽", "林梅", "周大卫", "王伟", "Tom", TEAM)
    await bot.send(admin, "/start")
    for person, role in ((manager, Role.MANAGER), (director, Role.DIRECTOR), (wang, Role.REP)):
        code = await invite_in_chinese(bot, admin, role, None if role == Role.DIRECTOR else TEAM)
        await bot.send(person, f"/start {code}")
    await bot.send(tom, f"/start {await invite_in_chinese(bot, manager, Role.REP, None)}")
    return Company(admin=admin, manager=manager, director=director, wang=wang, tom=tom)


PRICE_LIST = (
    "sku,name,unit,list price,currency,floor price\n"
    "CNC-100,数控车床 100,台,1000,CNY,880\n"
    "SP-1,主轴,件,abc,CNY,\n"
    "SP-2,刀具,套,250,CNY,\n"
).encode()


# -- getting in, people, settings and the admin's tools -------------------------------------------


async def test_getting_in_people_settings_and_the_admins_tools_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, guard: LanguageGuard
) -> None:
    admin = emulator.user(ADMIN_ID, "丽", last_name="张", language_code="zh-hans")
    guard.reads("zh", admin)
    guard.allow("张丽", "林梅", "周大卫", "王伟", "Tom", "陈涛", TEAM)
    welcome = await bot.send(admin, "/start")
    assert welcome[0].text.startswith("欢迎你，张丽！你已注册为管理员。"), welcome[0].text
    assert "/invite — 邀请成员加入团队" in welcome[0].text
    assert menu(emulator, admin)["users"] == "成员管理：停用或重新启用"

    # /invite: the role, a new team, the link; nonsense at a button step is re-asked.
    asked = await bot.send(admin, "/invite")
    assert asked[0].text == "你要邀请的人是什么角色？请选择："
    assert asked[0].button_texts() == ["销售代表", "销售经理", "销售总监", "管理员", "财务"]
    assert texts(await bot.send(admin, "随便")) == "请点上方的按钮选择，或发送 /cancel。"
    await bot.press(admin, "销售经理")
    question = admin.message(asked[0].message_id)  # the question turns into the next one
    assert question.text == "这位新销售经理加入哪个团队？目前还没有团队，请先创建第一个。"
    assert question.button_texts() == ["➕ 新建团队"]
    await bot.press(admin, "➕ 新建团队")
    assert question.text.startswith("请发送新团队的名称（例如：华北区）")
    assert "1 到 100 个字符" in texts(await bot.send(admin, "x" * 101))
    created = (await bot.send(admin, TEAM))[0]
    assert created.text.startswith("邀请链接（销售经理，团队：华东区）：")
    assert "有效期至 2026年12月2日 17:00（Asia/Shanghai）" in created.text
    assert created.button_texts() == ["撤回此邀请"]
    manager = emulator.user(5201, "梅", last_name="林", language_code="zh-cn")
    guard.reads("zh", manager)
    joined = await bot.send(manager, f"/start {invite_code(created)}")
    assert joined[0].text.startswith("欢迎你，林梅！你已注册为销售经理，所属团队：华东区。")
    assert admin.last().text == "林梅 已接受你的邀请，以销售经理身份加入团队 华东区。"

    # A withdrawn invite; the team is offered by its name next time.
    await bot.send(admin, "/invite")
    await bot.press(admin, "销售代表")
    assert admin.last().text == "这位新销售代表加入哪个团队？"
    assert admin.last().button_texts() == [TEAM, "➕ 新建团队"]
    await bot.press(admin, TEAM)
    withdrawn = invite_code(admin.last())
    await bot.press(admin, "撤回此邀请")
    assert admin.last().text == "邀请已撤回，该链接不再有效。"
    stranger = emulator.user(5299, "明", last_name="赵", language_code="zh-hk")
    guard.reads("zh", stranger)
    assert texts(await bot.send(stranger, f"/start {withdrawn}")).startswith("这个邀请已被撤回")
    assert texts(await bot.send(stranger, "你好")).endswith("请向管理员索取邀请链接。")
    await bot.settle(await stranger.press_data("usr:view:1:0"))
    assert stranger.callback_answers[-1]["text"] == "我只为受邀成员服务，请向管理员索取邀请。"

    wang = emulator.user(5203, "伟", last_name="王", language_code="zh-hans")
    director = emulator.user(5202, "大卫", last_name="周", language_code="zh-tw")
    guard.reads("zh", wang, director)
    await bot.send(wang, f"/start {await invite_in_chinese(bot, admin, Role.REP, TEAM)}")
    await bot.send(director, f"/start {await invite_in_chinese(bot, admin, Role.DIRECTOR, None)}")
    assert director.messages[0].text.startswith("欢迎你，周大卫！你已注册为销售总监。")
    # A manager's invite is a rep of her own team; Tom's Telegram is in English.
    mine = (await bot.send(manager, "/invite"))[-1]
    assert mine.text.startswith("邀请链接（销售代表，团队：华东区）：")
    tom = emulator.user(5204, "Tom", language_code="en")
    guard.reads("en", tom)
    assert texts(await bot.send(tom, f"/start {invite_code(mine)}")).startswith(
        "Welcome, Tom! You are registered as sales rep in team 华东区."
    )
    assert manager.last().text == "Tom 已接受你的邀请，以销售代表身份加入团队 华东区。"
    # 陈涛's Telegram is in English: he switches with /language, and his command menu follows.
    chen = emulator.user(5205, "涛", last_name="陈", language_code="en")
    guard.reads("en", chen)
    welcome = await bot.send(chen, f"/start {await invite_in_chinese(bot, admin, Role.REP, TEAM)}")
    assert welcome[0].text.startswith("Welcome, 陈涛!")
    assert "Language: English" in texts(await bot.send(chen, "/settings"))
    await bot.press(chen, "🌐 Language")
    guard.reads("zh", chen)
    await bot.press(chen, "中文")
    assert chen.last().text.startswith("好的，以后我会用中文和你交流。")
    assert menu(emulator, chen)["visit"].startswith("记拜访或电话")
    assert user_row(db, chen.id).language == "zh"  # type: ignore[union-attr]

    # /help per role.
    for person, role, offered, not_offered in (
        (wang, "销售代表", ["/visit — 记拜访或电话", "/quote — "], ["/invite", "/users"]),
        (manager, "销售经理", ["/invite — ", "/digest — 团队日报"], ["/users"]),
        (director, "销售总监", ["/digest — ", "/deals — "], ["/invite", "/users"]),
        (admin, "管理员", ["/users — ", "/care — ", "/outbox — "], []),
    ):
        shown = texts(await bot.send(person, "/help"))
        assert shown.startswith(f"你可以使用这些功能（身份：{role}）："), shown
        assert "任何步骤中发送 /cancel 都可以退出当前对话" in shown
        assert all(command in shown for command in offered), (role, shown)
        assert not any(f"{command} — " in shown for command in not_offered), (role, shown)
    assert texts(await bot.send(tom, "/help")).startswith("What you can do (as sales rep)")

    # /users: deactivate and reactivate.
    listing = (await bot.send(admin, "/users"))[0]
    assert listing.text.startswith("成员（6）。点击成员可停用或重新启用。")
    assert "王伟 · 销售代表" in listing.button_texts()
    assert "周大卫 · 销售总监" in listing.button_texts()
    await bot.press(admin, "王伟 · 销售代表")
    assert (
        admin.last().text == "王伟\n角色：销售代表\n团队：华东区\n时区：Asia/Shanghai\n状态：正常"
    )
    assert admin.last().button_texts() == ["停用", "◀ 返回列表", "📜 修改记录"]
    await bot.press(admin, "停用")
    assert "状态：已停用：只会收到邀请提示" in admin.last().text
    assert texts(await bot.send(wang, "/help")).startswith("你好！我是销售团队的助手")
    await bot.press(admin, "重新启用")
    assert "状态：正常" in admin.last().text
    await bot.press(admin, "◀ 返回列表")
    assert "王伟 · 销售代表" in admin.last().button_texts()
    await bot.press(admin, "张丽 · 管理员")
    assert texts(await bot.press(admin, "停用")) == "你不能停用自己的账号。"
    assert texts(await bot.send(wang, "/users")) == "你的角色无权进行此操作。"

    # /pipeline.
    shown = texts(await bot.send(admin, "/pipeline"))
    assert "销售漏斗" in shown and "3. 已报价 quoted · 50%" in shown
    assert "6. 赢单 won · 100%" in shown
    assert texts(await bot.send(admin, "/pipeline quoted 40")).startswith("已保存。")
    for nonsense in ("/pipeline quoted 很多", "/pipeline won 50"):
        usage = texts(await bot.send(admin, nonsense))
        assert usage.startswith("请发送阶段代码和 0 到 100 之间的百分比"), usage

    # /import products: a CSV with a bad row, previewed, imported after the tap.
    assert (
        texts(await bot.send(admin, "/import"))
        == "要导入什么？导入产品目录请发送 /import products；"
        "导入客户及联系人名单请发送 /import customers。"
    )
    asked_file = texts(await bot.send(admin, "/import products"))
    assert asked_file.startswith("请把价格表以 .csv 或 .xlsx 文件发过来。"), asked_file
    assert texts(await bot.send(admin, "这就发")).startswith("请把价格表以 .csv 或 .xlsx")
    await bot.settle(await admin.send_document("价格表.pdf", b"%PDF-1.4"))
    assert admin.last().text.startswith("我只能读取 .csv 和 .xlsx 文件。")
    await bot.settle(await admin.send_document("价格表.csv", PRICE_LIST, "text/csv"))
    preview = admin.last()
    assert preview.text.startswith("导入预览\n➕ 新增产品 2 个\n✏️ 更新 0 个")
    bad_price = "标准价须是大于 0、最多 2 位小数、不超过 999,999,999,999.99 的金额"
    assert f"⚠️ 1 行有误，不会导入：\n• 第 3 行：{bad_price}（abc）" in preview.text
    assert preview.text.endswith("确认之前不会保存任何内容。")
    assert preview.button_texts() == ["✅ 导入 2 行"]
    await bot.press(admin, "✅ 导入 2 行")
    assert admin.last().text == "✅ 导入完成：新增 2 个，更新 0 个，1 行有误已跳过。"
    # /product: one line, the same checks.
    assert texts(await bot.send(admin, "/product")).startswith("一行添加或修改一个产品：")
    refused = texts(await bot.send(admin, "/product CNC-200, 数控车床 200, 台, 12.345, CNY"))
    assert refused.startswith(
        "⚠️ 标准价须是大于 0、最多 2 位小数、不超过 999,999,999,999.99 的金额（12.345）。示例："
    ), refused
    one = await bot.send(admin, "/product CNC-200, 数控车床 200, 台, 1500, CNY, 1300")
    assert one[0].text == "➕ 新产品 CNC-200：数控车床 200 · ¥1,500.00/台 · 底价 ¥1,300.00"
    assert one[0].button_texts() == ["✅ 保存"]
    await bot.press(admin, "✅ 保存")
    assert admin.last().text == "✅ 导入完成：新增 1 个，更新 0 个。"
    with db.session() as session:
        assert len(session.exec(select(Product)).all()) == 3

    # /settings: the time zone (nonsense re-asked) and the language.
    mine = (await bot.send(wang, "/settings"))[0]
    assert "角色：销售代表，团队：华东区" in mine.text and "语言：中文" in mine.text
    assert "时区：Asia/Shanghai（当地现在是 2026年11月25日 17:00）" in mine.text
    assert "语言：中文\n晨报时间：08:30（公司默认）" in mine.text
    assert mine.button_texts() == ["修改时区", "🌐 语言", "⏰ 晨报时间"]
    await bot.press(wang, "修改时区")
    assert wang.last().text.startswith("请发送你的时区")
    assert texts(await bot.send(wang, "火星基地")).startswith("我不认识时区“火星基地”。")
    assert texts(await bot.send(wang, "Berlin")) == (
        "时区已设为Europe/Berlin，当地现在是 2026年11月25日 10:00。"
    )
    assert user_row(db, wang.id).timezone == "Europe/Berlin"  # type: ignore[union-attr]
    await bot.send(wang, "/settings")
    await bot.press(wang, "🌐 语言")
    assert wang.last().button_texts() == ["English", "中文"]
    guard.reads("en", wang)
    await bot.press(wang, "English")
    assert wang.last().text.startswith("Done: I'll speak English from now on.")
    assert "Time zone: Europe/Berlin" in texts(await bot.send(wang, "/settings"))
    await bot.send(wang, "/language")
    guard.reads("zh", wang)
    await bot.press(wang, "中文")
    assert wang.last().text.startswith("好的，以后我会用中文和你交流。")

    # A flow left alone for 30 minutes closes itself.
    await bot.send(admin, "/invite")
    assert bot.app is not None and bot.app.job_queue is not None
    [timeout] = [job for job in bot.app.job_queue.jobs() if "timeout" in job.callback.__name__]
    await timeout.run(bot.app)
    assert admin.last().text.startswith("这一步已经 30 分钟没有操作，我先关掉了。内容没有保存")

    # /cancel, unknown commands, stray text and files.
    await bot.send(admin, "/invite")
    assert texts(await bot.send(admin, "/help")).startswith("我们先把这件事办完")
    assert texts(await bot.send(admin, "/cancel")) == "已取消，内容没有保存。"
    assert texts(await bot.send(admin, "/cancel")).startswith("当前没有可取消的操作。")
    assert texts(await bot.send(admin, "/frobnicate")) == (
        "我不认识 /frobnicate 这个命令。发送 /help 看看我能做什么。"
    )
    nothing = texts(await bot.send(wang, "你好"))
    assert nothing.startswith("你的客户中没有与“你好”匹配的。"), nothing
    await bot.settle(await wang.send_document("notes.bin", b"\x00\x01"))
    assert wang.last().text == "我不太明白你的意思。发送 /help 看看我能做什么。"
    await bot.settle(await wang.press_data("zzz:1"))
    assert wang.callback_answers[-1]["text"] == "这个按钮已失效。发送 /help 看看能做什么。"
    guard.check()


# -- on the road: customers, their records, visits, deals, the day and the timeline ---------------

HONGDA = "上海宏达机电有限公司"
TONGYONG = "上海通用汽车配件有限公司"
JINGGONG = "北京精工科技"


def the_touches(db: Database) -> list[Touch]:
    with db.session() as session:
        return list(session.exec(select(Touch).order_by(Touch.id)))  # type: ignore[arg-type]


def the_deals(db: Database) -> list[Deal]:
    with db.session() as session:
        return list(session.exec(select(Deal).order_by(Deal.id)))  # type: ignore[arg-type]


async def test_customers_records_visits_deals_and_the_day_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, guard: LanguageGuard
) -> None:
    team = await chinese_company(bot, emulator, guard)
    wang, tom = team.wang, team.tom
    add_customer(db, wang, HONGDA, phone="+86 21 5555 0101", contact="李娜")
    add_customer(db, wang, TONGYONG, phone="+86 21 5555 0102")
    add_customer(db, wang, JINGGONG)
    add_customer(db, tom, "Acme Machinery", contact="Li Na")
    guard.allow(HONGDA, TONGYONG, JINGGONG, "Acme Machinery", "Li Na")

    # /customers, and a search by typing (Chinese, pinyin initials, phone digits).
    listing = (await bot.send(wang, "/customers"))[0]
    assert listing.text.startswith("客户（3）：")
    assert "• 上海宏达机电有限公司 · +86 21 5555 0101" in listing.text
    assert listing.text.endswith("点击客户即可打开，或输入部分名称进行搜索。")
    found = (await bot.send(wang, "宏达"))[0]
    assert found.text == "与“宏达”匹配的客户，点击即可打开："
    assert found.button_texts() == [HONGDA]
    assert (await bot.send(wang, "shty"))[0].button_texts()[0] == TONGYONG
    assert (await bot.send(wang, "/customers 5555 0102"))[0].button_texts() == [TONGYONG]

    # The card.
    await bot.press(wang, TONGYONG)
    await bot.send(wang, "宏达")
    await bot.press(wang, HONGDA)
    card = wang.last()
    assert card.text.startswith(
        f"{HONGDA}\n☎️ +86 21 5555 0101\n负责人：王伟 · 账期 30 天 · 信用额度 0.00"
    )
    assert "联系人\n• 李娜 · +86 21 5555 0101" in card.text
    assert "下次跟进：无" in card.text and card.text.endswith("还没有拜访或电话记录。")
    assert card.button_texts() == [
        "📝 记拜访",
        "💼 新商机",
        "🕘 动态",
        "🔗 绑定联系人",
        "⚙️ 申请改条款",
        "✏️ 修改",
        "📜 修改记录",
        "📍 设置位置",
    ]

    # /newcustomer, nonsense re-asked; then a duplicate offered instead.
    assert texts(await bot.send(wang, "/newcustomer")).startswith("新客户的名称是？")
    assert texts(await bot.send(wang, "苏州恒达物流")).startswith("对方的电话号码？")
    assert texts(await bot.send(wang, "打我电话")).startswith("这看起来不像电话号码。")
    assert texts(await bot.send(wang, "+86 512 6666 0101")).startswith("对方联系人叫什么名字？")
    added = await bot.send(wang, "赵敏")
    assert added[0].text == "已添加苏州恒达物流。" and "• 赵敏 · +86 512 6666 0101" in added[1].text
    await bot.send(wang, "/newcustomer 上海宏达机电")
    await bot.press(wang, "跳过")
    await bot.press(wang, "跳过")
    offer = wang.last()
    assert offer.text.startswith(
        "这个客户好像已经存在：\n• 上海宏达机电有限公司 · +86 21 5555 0101 · 王伟"
    )
    assert offer.button_texts() == [HONGDA, "仍然新建"]
    await bot.press(wang, HONGDA)
    assert wang.last().text.startswith(HONGDA)

    # ✏️ Edit: a customer's field, a tier by button, a contact's birthday, a new contact.
    await bot.press(wang, "✏️ 修改")
    edit = wang.last()
    assert edit.text.startswith(f"✏️ {HONGDA}：要修改哪一项？\n\n电话：+86 21 5555 0101\n地址：—")
    assert edit.button_texts() == [
        "名称",
        "☎️ 电话",
        "📍 地址",
        "行业",
        "客户类别",
        "采购时间",
        "✏️ 李娜",
        "➕ 添加联系人",
        "◀ 返回客户",
    ]
    await bot.press(wang, "行业")
    assert wang.last().text.startswith(f"{HONGDA} · 行业：目前为 —\n\n请发送行业")
    saved = await bot.send(wang, "机床")
    assert saved[0].text == f"✅ {HONGDA} · 行业：— → 机床"
    await bot.press(wang, "✏️ 修改")
    await bot.press(wang, "客户类别")
    assert wang.last().button_texts() == ["A类", "B类", "C类", "✖ 清空"]
    assert texts(await bot.send(wang, "A")) == "请点上方的按钮选择，或发送 /cancel。"
    await bot.press(wang, "A类")
    assert f"✅ {HONGDA} · 客户类别：— → A" in texts(wang.messages[-2:])
    await bot.press(wang, "✏️ 修改")
    await bot.press(wang, "✏️ 李娜")
    assert wang.last().text.startswith(
        f"✏️ 李娜 · {HONGDA}\n职务：—\n电话：+86 21 5555 0101\n生日：—"
    )
    assert wang.last().button_texts() == [
        "名称",
        "职务",
        "☎️ 电话",
        "🎂 生日",
        "🌐 语言",
        "🕘 时区",
        "◀ 返回客户",
        "📜 修改记录",
    ]
    await bot.press(wang, "🎂 生日")
    assert texts(await bot.send(wang, "下辈子")).startswith("没能识别这个生日。")
    assert "✅ 李娜 · 生日：— → 11月26日" in texts(await bot.send(wang, "11月26日"))
    await bot.press(wang, "✏️ 修改")
    await bot.press(wang, "➕ 添加联系人")
    assert wang.last().text.startswith(f"➕ 为{HONGDA}添加新联系人。对方叫什么名字？")
    await bot.send(wang, "张伟")
    assert wang.last().text.startswith("对方的职务，例如 采购经理？（或点“跳过”）")
    await bot.send(wang, "采购经理")
    await bot.press(wang, "跳过")
    assert texts(await bot.send(wang, "春天")).startswith("没能识别这个生日。")
    added = await bot.send(wang, "1985年5月12日")
    assert added[0].text == f"✅ 已将张伟添加为{HONGDA}的联系人。"
    assert "• 张伟，采购经理 · 🎂 1985年5月12日" in added[-1].text

    # ⚙️ Terms: a director's (a manager asks instead); a rep has no button, a forged one is
    # refused.
    assert "⚙️ 商务条款" not in wang.last().button_texts()
    hongda = customer_id(db, HONGDA)
    await bot.settle(await wang.press_data(f"trm:{hongda}"))
    assert wang.callback_answers[-1]["text"] == "你的角色无权进行此操作。"
    await bot.send(team.director, "宏达")
    await bot.press(team.director, HONGDA)
    await bot.press(team.director, "⚙️ 商务条款")
    terms = team.director.last()
    assert terms.text == (
        f"{HONGDA}：商务条款\n折扣上限：未单独设置\n账期：30 天\n信用额度：0.00\n\n要修改哪一项？"
    )
    assert terms.button_texts() == ["可给折扣", "账期", "信用额度"]
    await bot.press(team.director, "可给折扣")
    assert texts(await bot.send(team.director, "很多")).startswith("这不是有效的折扣")
    saved = await bot.send(team.director, "7.5")
    assert saved[0].text == "✅ 折扣上限：7.5%。超出此折扣的报价需要销售经理审批。"
    assert "折扣上限 7.5%" in saved[1].text

    # /visit step by step, with nonsense at the steps.
    assert texts(await bot.send(wang, "/visit")).startswith("哪个客户？")
    await bot.send(wang, "宏达")
    await bot.press(wang, HONGDA)
    question = wang.last()
    assert question.text == f"{HONGDA}：这次是哪种跟进方式？"
    assert question.button_texts() == ["🚗 拜访", "📞 电话", "👥 会议", "💬 消息"]
    assert texts(await bot.send(wang, "嗯")) == "请点上方的按钮选择，或发送 /cancel。"
    await bot.press(wang, "🚗 拜访")
    assert question.text.startswith("沟通情况如何？")
    asked = await bot.send(wang, "演示很顺利，他们要20台")
    assert asked[0].text.startswith("要在这里签到吗？")
    assert wang.reply_keyboard == [
        [{"text": "📍 发送我的位置", "request_location": True}],
        [{"text": "跳过"}],
    ]
    assert texts(await bot.send(wang, "等会儿")) == "请点下方的 📍 按钮发送位置，或点“跳过”。"
    skipped = await bot.send(wang, "跳过")
    assert skipped[0].text == "未签到。" and skipped[1].text.startswith(
        "你答应客户的下一步是什么？"
    )
    assert skipped[1].button_texts() == ["跳过"]
    assert texts(await bot.send(wang, "发报价单")).startswith("什么时候跟进？")
    unclear = texts(await bot.send(wang, "猴年马月"))
    assert unclear.startswith("无法把“猴年马月”识别为日期。"), unclear
    # Wed 25 Nov 17:00 in Shanghai: next Friday is 4 Dec.
    confirm = (await bot.send(wang, "下周五下午3点"))[0]
    assert confirm.text == (
        f"拜访 · {HONGDA}\n演示很顺利，他们要20台\n下一步：发报价单\n"
        "跟进：2026年12月4日 周五 15:00（Asia/Shanghai）\n\n确认保存吗？"
    )
    assert confirm.button_texts() == ["✅ 保存", "✏️ 改日期"]
    assert texts(await bot.send(wang, "好")) == "请点上方的按钮选择，或发送 /cancel。"
    await bot.press(wang, "✅ 保存")
    saved_visit = wang.message(confirm.message_id)
    assert saved_visit.text.startswith(f"✅ 已保存：拜访 · {HONGDA}\n演示很顺利，他们要20台")
    assert "跟进：2026年12月4日 周五 15:00" in saved_visit.text
    assert saved_visit.text.endswith("5 分钟内可以撤销。")
    assert saved_visit.button_texts() == ["↩️ 撤销", "✏️ 修改", "💼 新商机"]
    # ✏️ Edit the saved visit's next step.
    await bot.press(wang, "✏️ 修改", saved_visit)
    assert wang.last().text == "要修改哪一项？"
    assert wang.last().button_texts() == ["沟通内容", "下一步", "跟进日期"]
    await bot.press(wang, "下一步")
    assert wang.last().text == "请发送新的下一步。"
    edited = await bot.send(wang, "发正式报价单")
    assert "下一步：发正式报价单" in edited[0].text
    assert the_touches(db)[0].next_step == "发正式报价单"

    # Quick capture in Chinese; a short name that fits several asks which; Undo.
    quick = (await bot.send(wang, "/visit 通用：电话沟通了配件需求，下一步：明天上午10点回电"))[0]
    assert quick.text.startswith(f"拜访 · {TONGYONG}\n电话沟通了配件需求\n下一步：回电\n")
    assert "跟进：2026年11月26日 周四 10:00（Asia/Shanghai）" in quick.text
    await bot.press(wang, "✅ 保存")
    await bot.press(wang, "↩️ 撤销")
    assert wang.last().text == f"↩️ 已撤销：与 {TONGYONG} 的这条拜访记录已删除。"
    which = (await bot.send(wang, "/visit 上海：送了样品"))[0]
    assert which.text == "“上海”指的是哪个客户？"
    assert sorted(which.button_texts()) == sorted([HONGDA, TONGYONG])
    await bot.press(wang, TONGYONG)
    await bot.press(wang, "✅ 保存")
    unknown = (await bot.send(wang, "/visit 无名公司：第一次拜访"))[0]
    assert unknown.text.startswith("没有找到与“无名公司”匹配的客户，所以还没有记录。")
    assert unknown.button_texts() == ["➕ 新建客户“无名公司”"]
    await bot.press(wang, "➕ 新建客户“无名公司”")
    assert wang.last().text.startswith("➕ 已新建客户：无名公司\n拜访 · 无名公司\n第一次拜访")
    await bot.press(wang, "✅ 保存")
    # A voice note or a location outside a flow is offered as a visit.
    await bot.settle(await wang.send_voice(b"OggS voice of the visit", duration=12))
    offer = wang.last()
    assert offer.text == "🎙 收到你的语音。和拜访有关吗？可以用它记一次拜访，我会问你是哪个客户。"
    assert offer.button_texts() == ["📝 用它记一次拜访"]
    await bot.press(wang, "📝 用它记一次拜访", offer)
    assert wang.message(offer.message_id).text.startswith("哪个客户？")
    await bot.send(wang, "精工")
    await bot.press(wang, JINGGONG)
    question = wang.last()
    await bot.press(wang, "💬 消息", question)
    assert question.text == "📎 已保存（共 1 个附件）。写下沟通情况，或点“继续”。"
    assert question.button_texts() == ["继续"]
    await bot.press(wang, "继续", question)
    await bot.settle(await wang.send_location(31.2304, 121.4737))
    assert wang.messages[-2].text == "📍 已签到。"
    await bot.press(wang, "跳过")
    await bot.press(wang, "不跟进")
    await bot.press(wang, "✅ 保存")
    assert wang.last().text.startswith(f"✅ 已保存：消息 · {JINGGONG}\n— 📎1 📍")
    await bot.settle(await wang.send_location(31.2304, 121.4737))
    assert wang.last().text.startswith("📍 收到你的位置。和拜访有关吗？")
    # A shared contact card is a new customer; a Chinese name split into given and family
    # name on the card is written family name first.
    await bot.settle(await wang.send_contact("+86 187 0000 0206", "平", last_name="何"))
    assert wang.last().text == "要把何平（+86 187 0000 0206）新建为客户吗？"
    assert texts(await bot.press(wang, "新建为客户")).startswith("已添加何平。")
    past = (await bot.send(wang, "/visit 精工：打了电话，下一步：昨天回电"))[0]
    assert past.text == "2026年11月24日 周二 已经过去了。仍然用这个时间吗？"
    assert past.button_texts() == ["是，就用这个", "不，换个日期"]
    await bot.press(wang, "不，换个日期")
    assert wang.last().text.startswith("什么时候跟进？")
    await bot.press(wang, "不跟进")
    assert "跟进：无" in wang.last().text
    await bot.press(wang, "✅ 保存")
    # Tom, beside them, logs his in English.
    guard.allow("demo went well", "send quote")
    await bot.send(tom, "/visit Acme Machinery: demo went well; next: send quote fri")
    assert "Follow-up: Fri 27 Nov 2026 (Asia/Shanghai)" in tom.last().text
    await bot.press(tom, "✅ Save")
    assert tom.last().text.startswith("✅ Saved: Visit · Acme Machinery")

    # /deal: amount 1.2万, a close date, the timeframe and the source.
    await bot.send(wang, "/deal")
    await bot.press(wang, HONGDA)
    assert wang.last().text.startswith(f"为 {HONGDA} 新建商机。是什么项目？")
    ask_amount = texts(await bot.send(wang, "20台数控车床"))
    assert ask_amount.startswith("商机金额是多少？") and "不写币种则按 CNY 计" in ask_amount
    assert texts(await bot.send(wang, "很多")).startswith("无法把“很多”识别为金额。")
    assert texts(await bot.send(wang, "1.2万")).startswith("预计什么时候成交？")
    assert texts(await bot.send(wang, "改天")).startswith("无法把“改天”识别为日期。")
    assert texts(await bot.send(wang, "昨天")).startswith("2026年11月24日 周二 已经过去了")
    await bot.send(wang, "月底")
    assert wang.last().text == "客户打算什么时候采购？"
    assert wang.last().button_texts() == ["立即采购", "3个月内", "6个月内", "1年内", "跳过"]
    await bot.press(wang, "3个月内")
    assert wang.last().text == "这个商机是从哪里来的？"
    assert wang.last().button_texts() == [
        "转介绍",
        "官网",
        "展会",
        "陌生拜访/电话",
        "老客户",
        "其他",
        "跳过",
    ]
    await bot.press(wang, "展会")
    deal_card = wang.last()
    assert deal_card.text == (
        f"💼 20台数控车床\n客户：{HONGDA}\n金额：¥12,000.00 · 赢率 10% → ¥1,200.00\n"
        "阶段：线索\n预计成交日期：2026年11月30日 周一\n采购时间：3个月内\n来源：展会"
    )
    assert deal_card.button_texts()[:3] == ["🧾 报价", "→ 已确认需求", "→ 已报价"]
    assert "→ 输单" in deal_card.button_texts()
    [deal] = the_deals(db)
    assert (deal.amount, deal.currency, deal.timeframe, deal.source) == (
        Decimal("12000.00"),
        "CNY",
        "3m",
        "trade_show",
    )
    # Stage moves, and → Lost with a reason.
    await bot.press(wang, "→ 已报价")
    assert "阶段：已报价" in wang.last().text and "赢率 50% → ¥6,000.00" in wang.last().text
    assert wang.last().text.endswith("已移至“已报价”阶段。")
    await bot.send(wang, f"/visit {JINGGONG}：谈了备件")
    await bot.press(wang, "✅ 保存")
    await bot.press(wang, "💼 新商机")
    await bot.send(wang, "备件")
    await bot.send(wang, "¥3000")
    await bot.press(wang, "跳过")
    await bot.press(wang, "跳过")
    await bot.press(wang, "跳过")
    await bot.press(wang, "→ 输单")
    why = wang.last()
    assert why.text == "“备件”为什么输单？"
    assert why.button_texts() == [
        "价格",
        "竞争对手",
        "时机不对",
        "没有预算",
        "其他…",
        "◀ 返回商机",
    ]
    spare_parts = the_deals(db)[1].id
    await bot.settle(await wang.press_data(f"deal:mv:{spare_parts}:lost"))  # forged: no reason
    assert wang.last().text == "输单需要填写原因：请用下方按钮选一个。"
    await bot.press(wang, "其他…")
    assert why.text == "简单说说输单的原因？"
    lost = await bot.send(wang, "工厂搬迁")
    assert "阶段：输单（其他：工厂搬迁）" in lost[0].text
    assert the_deals(db)[1].lost_note == "工厂搬迁"

    # /deals: the board; the manager's shows whose each deal is.
    board = (await bot.send(wang, "/deals"))[0]
    assert board.text == (
        "进行中的商机（1）：¥12,000.00，加权金额 ¥6,000.00\n\n"
        f"已报价 · ¥12,000.00\n• 20台数控车床 · {HONGDA} · ¥12,000.00"
    )
    assert board.button_texts() == [f"20台数控车床 · {HONGDA}"]
    team_board = texts(await bot.send(team.manager, "/deals"))
    assert f"• 20台数控车床 · {HONGDA} · ¥12,000.00 · 王伟" in team_board
    assert "进行中的商机（1）" in team_board
    assert texts(await bot.send(tom, "/deals")).startswith("No open deals")

    # /today: a follow-up due, one overdue, a deal past its close date and a birthday.
    assert texts(await bot.send(wang, "/today")).startswith("今天（11月25日 周三）没有待办事项")
    await bot.send(wang, "/visit 通用：报了价，下一步：明天上午10点确认")
    await bot.press(wang, "✅ 保存")
    clock.current = clock.current.replace(day=26, hour=3)  # Thu 26 Nov, 11:00 in Shanghai
    day = (await bot.send(wang, "/today"))[0]
    assert day.text.startswith("今日安排，11月26日 周四\n\n待跟进（1 项，其中 1 项已逾期）")
    assert f"⚠️ {TONGYONG}：确认 · 2026年11月26日 周四 10:00" in day.text
    assert f"今天过生日\n🎂 李娜（{HONGDA}） · +86 21 5555 0101" in day.text
    assert day.button_texts() == [f"⚠️ {TONGYONG}：确认", f"🎂 李娜 · {HONGDA}"]
    clock.current = clock.current.replace(month=12, day=1)
    day = (await bot.send(wang, "/today"))[0]
    assert f"已过预计成交日期的商机\n• 20台数控车床 · {HONGDA} · 11月30日" in day.text
    await bot.press(wang, f"⏰ 20台数控车床 · {HONGDA}")
    assert wang.last().text.startswith("💼 20台数控车床")

    # The customer's timeline, newest first, signed, paged.
    await bot.send(wang, "宏达")
    await bot.press(wang, HONGDA)
    await bot.press(wang, "🕘 动态")
    timeline = wang.last()
    assert timeline.text.startswith(f"{HONGDA}：客户动态\n\n")
    assert "2026年11月25日 17:00 · 王伟\n💼 “20台数控车床”：线索 → 已报价" in timeline.text
    assert "· 王伟\n拜访：演示很顺利，他们要20台\n下一步：发正式报价单" in timeline.text
    assert "· 王伟\n👤 新联系人：张伟" in timeline.text
    assert "· 王伟\n✏️ 李娜 · 生日：— → 11月26日" in timeline.text
    assert "· 王伟\n✏️ 客户类别：— → A" in timeline.text
    assert timeline.button_texts() == ["更早 ▶", "◀ 返回客户"]
    await bot.press(wang, "更早 ▶")
    older = wang.last().text
    assert older.startswith(f"{HONGDA}：客户动态，第 2 页")
    assert "· 王伟\n✏️ 行业：— → 机床" in older
    assert "· 王伟\n💼 新商机“20台数控车床”（线索）" in older
    assert wang.last().button_texts() == ["◀ 较新", "◀ 返回客户"]
    await bot.press(wang, "◀ 较新")
    await bot.press(wang, "◀ 返回客户")
    assert wang.last().text.startswith(f"{HONGDA} · A 类客户 · 机床")
    guard.check()


def customer_id(db: Database, name: str) -> int:
    with db.session() as session:
        found = session.exec(select(Customer).where(Customer.name == name)).one()
        assert found.id is not None
        return found.id


# -- from a quote to cash, with the customer's contact --------------------------------------------

LATHE = "CNC-100 · 数控车床 100"


def add_products(db: Database) -> None:
    with db.session() as session:
        session.add(
            Product(
                sku="CNC-100",
                name="数控车床 100",
                unit="台",
                list_price=Decimal("1000.00"),
                currency="CNY",
                floor_price=Decimal("700.00"),
            )
        )


async def new_deal(bot: LocalBot, rep: SimUser, customer: str, title: str, amount: str) -> None:
    """A deal by /deal, in Chinese, without a close date, timeframe or source."""
    await bot.send(rep, "/deal")
    await bot.press(rep, customer)
    await bot.send(rep, title)
    await bot.send(rep, amount)
    for _ in range(3):
        await bot.press(rep, "跳过")


async def quote_lathes(bot: LocalBot, rep: SimUser, deal: str, discount: str) -> BotMessage:
    """/quote for ten lathes at ``discount`` %; returns the summary."""
    await bot.send(rep, "/quote")
    await bot.press(rep, deal)
    await bot.send(rep, "车床")
    await bot.press(rep, LATHE)
    await bot.send(rep, "10")
    question = rep.last()
    await bot.send(rep, discount)
    return rep.last() if rep.last().text.startswith("🧾") else question


async def link_chinese_contact(
    bot: LocalBot, guard: LanguageGuard, rep: SimUser, customer: str, contact: str, person: SimUser
) -> None:
    """The rep (who reads Chinese) hands ``contact`` their one-time link; ``person``'s
    Telegram is in Chinese."""
    await bot.send(rep, customer)
    await bot.press(rep, customer)
    await bot.press(rep, "🔗 绑定联系人")
    await bot.press(rep, contact)
    code = rep.last().text.split("?start=")[1].split()[0]
    guard.reads("zh", person)
    await bot.send(person, f"/start {code}")
    await bot.press(person, "✅ 好的，可以给我发消息")


async def test_from_a_quote_to_cash_with_the_customers_contact_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, guard: LanguageGuard
) -> None:
    team = await chinese_company(bot, emulator, guard)
    wang, manager, director = team.wang, team.manager, team.director
    add_customer(db, wang, HONGDA, contact="李娜")
    add_products(db)
    guard.allow(HONGDA, "李娜", "数控车床 100")
    deal = f"20台数控车床 · {HONGDA}"

    # The contact links her Telegram (in Chinese) and agrees to messages.
    await bot.send(wang, "宏达")
    await bot.press(wang, HONGDA)
    await bot.press(wang, "🔗 绑定联系人")
    assert wang.last().text == "要给哪位联系人发送绑定链接，让对方连接 Telegram？（✅ = 已连接）"
    await bot.press(wang, "李娜")
    link = wang.last().text
    assert link.startswith("李娜的绑定链接：\n\nhttps://t.me/")
    assert link.endswith("对方打开后，就能查看自己的订单，并在这里给你发消息。")
    li = emulator.user(7101, "娜", last_name="李", language_code="zh-hans")
    guard.reads("zh", li)
    welcome = (await bot.send(li, f"/start {link.split('?start=')[1].split()[0]}"))[0]
    assert welcome.text.startswith(f"李娜，您好！您已代表{HONGDA}与供应商的对接人王伟建立了联系。")
    assert welcome.button_texts() == ["✅ 好的，可以给我发消息", "不用了，谢谢"]
    await bot.press(li, "✅ 好的，可以给我发消息")
    assert li.last().text.startswith("谢谢您！如需停止接收消息，随时发送 /stop 即可。")
    assert "可以用 /birthday 告诉我们您的生日" in li.last().text

    # A quote beyond the rep's limit: the manager rejects it with a reason.
    await new_deal(bot, wang, HONGDA, "20台数控车床", "1.2万")
    assert texts(await bot.send(wang, "/quote")) == "这份报价单是给哪个商机的？"
    await bot.press(wang, deal)
    assert wang.last().text == (
        f"为 20台数控车床 · {HONGDA} 报价。报哪个产品？输入产品名称的一部分或 SKU。"
    )
    assert texts(await bot.send(wang, "铣床")).startswith("没有产品匹配“铣床”。")
    found = (await bot.send(wang, "车床"))[0]
    assert found.text == "匹配“车床”的产品：点一个。" and found.button_texts() == [LATHE]
    await bot.press(wang, LATHE)
    assert wang.last().text == "数控车床 100（CNC-100）· ¥1,000.00/台。数量是多少（单位：台）？"
    assert texts(await bot.send(wang, "很多")).startswith("请发送大于 0 的数量")
    discount = (await bot.send(wang, "10"))[0]
    assert discount.text.startswith("这一行的折扣是多少 %？")
    assert texts(await bot.send(wang, "150")).startswith("请发送 0 到 100 之间的折扣 %")
    await bot.send(wang, "15")
    summary = wang.last()
    assert summary.text == (
        f"🧾 报价单 · 20台数控车床 · {HONGDA}\n"
        "1. 数控车床 100 × 10 台 @ ¥850.00 (−15%) = ¥8,500.00\n"
        "小计 ¥8,500.00\n合计 ¥8,500.00\n需要销售经理审批。"
    )
    assert summary.button_texts() == ["➕ 添加产品", "% 整单折扣", "🗑 删除最后一行", "📤 提交"]
    await bot.press(wang, "📤 提交")
    assert wang.last().text == "📨 已提交审批（¥8,500.00，最大折扣 15%）。有结果我会告诉你。"
    request = manager.last()
    assert request.text == (
        f"🧾 王伟 请你审批一份给 {HONGDA} 的报价单（20台数控车床）：\n"
        "• 数控车床 100 × 10 @ ¥850.00（标准价 ¥1,000.00，−15%）\n"
        "合计 ¥8,500.00 · 最大折扣 15%"
    )
    assert request.button_texts() == ["✅ 批准", "❌ 驳回"]
    await bot.press(manager, "❌ 驳回")
    assert manager.last().text == "为什么驳回？给销售写几句说明。"
    await bot.send(manager, "首单折扣太深")
    assert manager.last().text == "❌ 你已驳回：首单折扣太深。"
    assert wang.last().text == f"❌ 你给 {HONGDA} 的报价单被 林梅 驳回：“首单折扣太深”。"

    # Beyond the manager's limit: she approves, a director decides too, the PDF comes.
    summary = await quote_lathes(bot, wang, deal, "25")
    assert summary.text.endswith("合计 ¥7,500.00\n需要销售经理和销售总监审批。")
    await bot.press(wang, "📤 提交")
    await bot.press(manager, "✅ 批准")
    assert manager.last().text.endswith("✅ 你已批准；折扣超出销售经理的权限，将转交销售总监审批。")
    assert wang.last().text == f"你给 {HONGDA} 的报价单已由 林梅 批准，现转交销售总监审批。"
    assert director.last().text.endswith("林梅 已批准；折扣超出销售经理的权限，还需要你审批。")
    await bot.settle(await manager.press_data(f"qa:yes:{the_quote(db).id}"))
    assert manager.last().text == "这份报价单已由 林梅 审批过了。"
    await bot.press(director, "✅ 批准")
    quote = the_quote(db)
    assert quote.number == "Q-2026-00002" and quote.status == "issued"
    assert director.last().text.endswith(
        f"✅ 你已批准：报价单 Q-2026-00002，客户 {HONGDA}，¥7,500.00。"
    )
    assert wang.messages[-2].text == (
        f"✅ 你给 {HONGDA} 的报价单已由 周大卫 批准：Q-2026-00002，¥7,500.00，"
        "有效期至 2026年12月25日。"
    )
    pdf = wang.last()
    assert pdf.kind == "document" and pdf.filename == "Q-2026-00002.pdf"
    assert pdf.text == (
        f"🧾 报价单 Q-2026-00002，客户 {HONGDA}：¥7,500.00，有效期至 2026年12月25日。"
    )
    assert pdf.button_texts() == ["📤 发送给 李娜", "📜 修改记录"]
    printed = PdfReader(io.BytesIO(pdf.document or b"")).pages[0].extract_text()
    assert "报价单 Q-2026-00002" in printed and "合计：¥7,500.00" in printed
    assert "Quotation" not in printed

    # Sent to the contact, who accepts: the deal moves to contract review at the quote's value.
    await bot.press(wang, "📤 发送给 李娜", pdf)
    assert wang.last().text == "📤 报价单 Q-2026-00002 已发给 李娜。对方回复后我会告诉你。"
    offer = li.last()
    assert offer.kind == "document" and offer.text == (
        f"🧾 王伟 为 {HONGDA} 出具的报价单 Q-2026-00002：¥7,500.00，有效期至 2026年12月25日。"
        "您看是否合适？"
    )
    assert offer.button_texts() == ["✅ 接受", "✖ 拒绝"]
    await bot.press(li, "✅ 接受")
    assert li.last().text == "谢谢您！王伟会准备合同，并尽快与您联系。"
    told = wang.last()
    assert told.text == (
        f"✅ 李娜（{HONGDA}）接受了报价单 Q-2026-00002。商机已进入「合同审核」阶段。\n"
        "商机金额已更新为 ¥7,500.00（原为 ¥12,000.00）。"
    )
    assert told.button_texts() == ["💼 打开商机"]
    await bot.settle(await li.press_data(f"ct:qa:{quote.id}:no"))
    assert li.last().text == "这份报价单已经有答复了。"

    # Another quote with an overall discount: a second price for the same product is warned
    # about; sent anyway, the contact declines it.
    await quote_lathes(bot, wang, deal, "5")
    await bot.press(wang, "% 整单折扣")
    assert wang.last().text == "整张报价单的整单折扣是多少 %？输入 0 到 100 的数字。"
    assert texts(await bot.send(wang, "很多")).startswith("请发送 0 到 100 之间的折扣 %")
    summary = (await bot.send(wang, "2"))[-1]
    assert "小计 ¥9,500.00 · 整单折扣 −2%\n合计 ¥9,310.00\n在你的权限范围内：提交后直接出具。" in (
        summary.text
    )
    await bot.press(wang, "📤 提交")
    warning = wang.last()
    assert warning.text == (
        "⚠️ 同一个产品报两个价，客户最反感。这个客户手上已有一份仍在有效期内、价格不同的报价单：\n"
        "• 数控车床 100（CNC-100）：报价单 Q-2026-00002 中为 ¥750.00（有效期至 2026年12月25日），"
        "这次为 ¥931.00\n\n仍要提交吗？"
    )
    assert warning.button_texts() == ["📤 仍然提交", "◀ 返回报价单"]
    await bot.press(wang, "◀ 返回报价单")
    assert "合计 ¥9,310.00" in wang.last().text
    await bot.press(wang, "📤 提交")
    await bot.press(wang, "📤 仍然提交")
    assert wang.last().text.startswith("🧾 报价单 Q-2026-00003，客户")
    await bot.press(wang, "📤 发送给 李娜")
    await bot.press(li, "✖ 拒绝")
    assert li.last().text == "感谢您的告知，王伟会与您联系。"
    assert wang.last().text == (
        f"✖ 李娜（{HONGDA}）拒绝了报价单 Q-2026-00003。"
        "下一步怎么做？打开商机调整阶段，或记录一次电话跟进。"
    )

    # Won → 📦 the order, split into instalments.
    await bot.press(wang, "💼 打开商机")
    assert "阶段：合同审核" in wang.last().text
    await bot.press(wang, "→ 赢单")
    assert wang.last().button_texts()[0] == "📦 创建订单"
    await bot.press(wang, "📦 创建订单")
    asked = wang.last().text
    assert asked.startswith(
        "“20台数控车床”的订单：按报价单 Q-2026-00002 计价（客户已接受），金额 ¥7,500.00。"
    ), asked
    assert texts(await bot.send(wang, "尽快吧")).startswith("没能把“尽快吧”识别成日期。")
    assert texts(await bot.send(wang, "12月15日")) == "由谁负责交付？"
    assert wang.last().button_texts() == ["王伟", "Tom", "林梅"]  # the rep first, then the team
    await bot.press(wang, "王伟")
    assert wang.last().text == "回款由谁负责？"
    await bot.press(wang, "王伟")
    assert wang.last().text.startswith("¥7,500.00（报价单 Q-2026-00002）怎么付款？")
    assert wang.last().button_texts() == ["✅ 一次付清：¥7,500.00，2027年1月14日 到期", "分期付款"]
    await bot.press(wang, "分期付款")
    assert wang.last().text.startswith("第 1 期：请输入金额和到期日")
    assert wang.last().text.endswith("还需安排：¥7,500.00。")
    assert texts(await bot.send(wang, "一些钱")).startswith("没看懂。请发送金额（最多 ¥7,500.00）")
    planned = texts(await bot.send(wang, "50% 12月31日"))
    assert planned.startswith("已安排：\n1. ¥3,750.00，2026年12月31日 到期\n\n第 2 期：")
    card = (await bot.send(wang, "3750 2027年1月31日"))[-1]
    assert card.text.startswith(
        f"📦 订单 O-2026-00001 · {HONGDA}\n20台数控车床\n🧾 按报价单 Q-2026-00002 计价：\n"
        "1. 数控车床 100 × 10 台 @ ¥750.00 (−25%) = ¥7,500.00\n"
        "合计 ¥7,500.00 · 已回款 ¥0.00 · 待回款 ¥7,500.00\n"
        "交付日期：2026年12月15日 周二，尚未交付"
    ), card.text
    assert "交付负责人：王伟 · 回款负责人：王伟" in card.text
    assert (
        "回款计划\n• ¥3,750.00，2026年12月31日 到期\n• ¥3,750.00，2027年1月31日 到期" in card.text
    )
    assert "💰 登记回款" in card.button_texts() and "🚚 标记已交付" in card.button_texts()

    # /pay: nonsense and another currency are re-asked; more than is due is refused.
    await bot.send(wang, "/pay")
    assert wang.last().text == "哪个订单回款了？"
    await bot.press(wang, f"O-2026-00001 · {HONGDA} · ¥7,500.00")
    assert wang.last().text == f"订单 O-2026-00001（{HONGDA}）：待回款 ¥7,500.00。这次收到多少？"
    assert texts(await bot.send(wang, "很多")).startswith("没能把“很多”识别成金额。")
    assert texts(await bot.send(wang, "$100")) == "这个订单的币种是 CNY，请按 CNY 发送金额。"
    when = (await bot.send(wang, "3750"))[0]
    assert when.text.startswith("哪天收到的？点「今天」") and when.button_texts() == ["今天"]
    assert texts(await bot.send(wang, "明天")).startswith("请发送今天或之前的日期")
    await bot.press(wang, "今天")
    paid = when.text
    assert "合计 ¥7,500.00 · 已回款 ¥3,750.00 · 待回款 ¥3,750.00" in paid
    assert "✅ ¥3,750.00，2026年12月31日 到期" in paid and paid.endswith(
        "💰 已登记回款 ¥3,750.00。"
    )
    await bot.press(wang, "💰 登记回款")
    await bot.send(wang, "5000")
    refused = await bot.press(wang, "今天")
    assert texts(refused) == "超过了待回款金额 ¥3,750.00，最多只能登记这么多。"
    assert texts(await bot.send(wang, "/cancel")) == "已取消，内容没有保存。"
    # 🚚 Delivered.
    card = next(m for m in reversed(wang.messages) if "🚚 标记已交付" in m.button_texts())
    await bot.press(wang, "🚚 标记已交付", card)
    assert "交付日期：2026年12月15日 周二，已于 2026年11月25日 交付" in card.text
    assert "🚚 标记已交付" not in card.button_texts()

    # The contact's own view of her orders.
    mine = texts(await bot.send(li, "/myorders"))
    assert mine == (
        f"{HONGDA}的订单\n\n📦 O-2026-00001 · 20台数控车床 · 报价单 Q-2026-00002\n"
        "交货日期 2026年12月15日（已交付）\n"
        "合计 ¥7,500.00 · 已付 ¥3,750.00 · 待付 ¥3,750.00\n"
        "• ¥3,750.00，2027年1月31日 到期"
    ), mine
    # A won deal without a quote: its value is confirmed first, or no order is made.
    await new_deal(bot, wang, HONGDA, "备件", "¥3000")
    await bot.press(wang, "→ 赢单")
    await bot.press(wang, "📦 创建订单")
    confirm = wang.last()
    assert confirm.text.startswith(
        "📦 “备件”的订单。这个商机没有出过报价单，所以订单按商机金额计价：¥3,000.00。"
    )
    assert confirm.button_texts() == ["✅ 按 ¥3,000.00 下单", "✖ 取消，不下单"]
    assert texts(await bot.send(wang, "好的")) == "请点上方的按钮选择，或发送 /cancel。"
    await bot.press(wang, "✖ 取消，不下单", confirm)
    assert confirm.text.startswith("订单未创建。商机仍是赢单状态")

    # The timeline tells it, with who did each step.
    await bot.send(manager, "宏达")
    await bot.press(manager, HONGDA)
    await bot.press(manager, "🕘 动态")
    story = manager.last().text
    while "更早 ▶" in manager.last().button_texts():
        await bot.press(manager, "更早 ▶")
        story += "\n" + manager.last().text
    assert "· 王伟\n💰 订单 O-2026-00001 回款 ¥3,750.00" in story
    assert "· 王伟\n📦 订单 O-2026-00001：¥7,500.00" in story
    assert (
        "· 李娜（客户）\n💼 “20台数控车床”：金额 ¥12,000.00 → ¥7,500.00"
        "（报价单 Q-2026-00002 已被接受）" in story
    )
    assert "· 周大卫\n🧾 报价单 ¥7,500.00 已批准：Q-2026-00002" in story
    assert "· 林梅\n🧾 报价单 ¥7,500.00 已获销售经理批准，转交销售总监审批" in story
    guard.check()


def the_quote(db: Database) -> Quote:
    with db.session() as session:
        found = session.exec(select(Quote).order_by(Quote.id.desc())).first()  # type: ignore[union-attr]
        assert found is not None
        return found


# -- service requests, the contact's own side, and customer care ---------------------------------


def set_tier(db: Database, customer: int, tier: str) -> None:
    with db.session() as session:
        found = session.get(Customer, customer)
        assert found is not None
        found.tier = tier


async def test_service_requests_the_contacts_side_and_care_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, guard: LanguageGuard
) -> None:
    team = await chinese_company(bot, emulator, guard)
    wang, tom, admin = team.wang, team.tom, team.admin
    set_tier(db, add_customer(db, wang, HONGDA, contact="李娜"), "A")
    add_customer(db, tom, "Acme Machinery", contact="Li Na")
    guard.allow(HONGDA, "李娜", "Acme Machinery", "Li Na")
    li = emulator.user(7101, "娜", last_name="李", language_code="zh-hans")
    await link_chinese_contact(bot, guard, wang, HONGDA, "李娜", li)
    # Tom reads English; his contact Li Na's Telegram is in Chinese.
    na = emulator.user(7102, "Na", last_name="Li", language_code="zh-hans")
    await bot.send(tom, "acme")
    await bot.press(tom, "Acme Machinery")
    await bot.press(tom, "🔗 Link a contact")
    await bot.press(tom, "Li Na")
    assert tom.last().text.startswith("Link for Li Na:")
    code = tom.last().text.split("?start=")[1].split()[0]
    guard.reads("zh", na)
    assert texts(await bot.send(na, f"/start {code}")).startswith(
        "Li Na，您好！您已代表Acme Machinery"
    )
    await bot.press(na, "✅ 好的，可以给我发消息")
    with db.session() as session:
        assert {c.name: c.language for c in session.exec(select(Contact))} == {
            "李娜": "zh",
            "Li Na": "zh",
        }
    stranger = emulator.user(7199, "明", last_name="赵", language_code="zh-hans")
    guard.reads("zh", stranger)
    assert texts(await bot.send(stranger, f"/start {code}")) == (
        "此链接已被使用过，请向您的对接人索取新链接。"
    )

    # /care: a segment (each with how many it reaches), the text, when, the preview; nonsense
    # re-asked at each step; cancelled once, then sent now.
    asked = (await bot.send(admin, "/care"))[0]
    assert asked.text.startswith("💌 关怀消息：发给谁？")
    assert asked.button_texts() == [
        "👥 所有已绑定联系人 (2)",
        "A类客户 (1)",
        "B类客户 (0)",
        "C类客户 (0)",
    ]
    assert texts(await bot.send(admin, "A类")) == "请点上方的按钮选择，或发送 /cancel。"
    await bot.press(admin, "A类客户 (1)", asked)
    assert admin.message(asked.message_id).text == (
        "发给A类客户的已绑定联系人（1 人）。现在请输入消息内容，纯文本，最多 1000 个字符："
    )
    too_long = texts(await bot.send(admin, "好" * 1001))
    assert too_long.startswith("这条消息有 1001 个字符，关怀消息最多 1000 个字符。")
    greeting = "元旦（1月1日）我们放假一天，祝您新年快乐！"
    assert texts(await bot.send(admin, greeting)).startswith("什么时候发送？输入 现在")
    assert texts(await bot.send(admin, "随时")).startswith("无法把“随时”识别为时间。")
    assert texts(await bot.send(admin, "昨天下午3点")).startswith("“昨天下午3点”已经过去了。")
    assert texts(await bot.send(admin, "周五")).startswith("请同时写上几点，例如 周五 上午10点")
    preview = (await bot.send(admin, "明天上午10点"))[0]
    assert preview.text.startswith(
        "💌 关怀消息预览\n发给A类客户的已绑定联系人：共 1 位联系人，"
        "将于你的时间 2026年11月26日 周四 10:00 发出；"
    )
    as_read = f"{greeting}\n\n直接回复本消息即可联系我们；如不希望再收到消息，请发送 /stop。"
    assert f"对方看到的内容：\n———\n{as_read}\n———" in preview.text
    assert preview.button_texts() == ["✅ 发送", "✖ 取消"]
    await bot.press(admin, "✖ 取消", preview)
    assert admin.message(preview.message_id).text == "已取消，内容没有保存。"
    await bot.send(admin, "/care")
    await bot.press(admin, "A类客户 (1)")
    await bot.send(admin, greeting)
    preview = (await bot.send(admin, "现在"))[0]
    assert "共 1 位联系人，点“✅ 发送”后立即发出" in preview.text
    await bot.press(admin, "✅ 发送", preview)
    assert admin.message(preview.message_id).text.startswith(
        "✅ 关怀消息已安排：1 位联系人将立即收到。发送 /outbox 查看哪些已发出、哪些没有发出。"
    )
    await bot.tick()
    assert li.last().text == as_read
    assert [m.text for m in na.messages if greeting in m.text] == []  # not tier A

    # /ticket by the rep, /tickets, moved on and resolved; the contact rates it.
    await bot.send(wang, "/ticket")
    await bot.press(wang, HONGDA)
    kind = wang.last()
    assert kind.text == f"{HONGDA}：是哪类问题？"
    assert kind.button_texts() == ["😠 投诉", "🔧 维修", "❓ 咨询"]
    assert texts(await bot.send(wang, "维修！")) == "请点上方的按钮选择，或发送 /cancel。"
    await bot.press(wang, "🔧 维修", kind)
    assert kind.text == "请简单描述一下（什么问题、哪个产品、有多紧急）。"
    card = (await bot.send(wang, "3号车床主轴异响"))[0]
    # A repair is due in 72 hours: Sat 28 Nov, 17:00 in Shanghai.
    assert card.text == (
        f"🛠 维修 #1 · {HONGDA}\n3号车床主轴异响\n\n状态：待处理\n"
        "截止时间：2026年11月28日 周六 17:00\n负责人：王伟"
    ), card.text
    assert card.button_texts() == ["▶ 处理中", "✅ 已解决", "打开客户"]
    listing = (await bot.send(wang, "/tickets"))[0]
    assert listing.text == (
        "待处理的服务请求（1 项），按紧急程度排序：\n"
        f"• #1 {HONGDA}：3号车床主轴异响 · 截止 11月28日 17:00"
    )
    assert listing.button_texts() == [f"#1 {HONGDA}"]
    assert texts(await bot.send(tom, "/tickets")) == "No open service requests."
    await bot.press(wang, f"#1 {HONGDA}")
    await bot.press(wang, "▶ 处理中")
    assert "状态：处理中" in wang.last().text
    await bot.press(wang, "✅ 已解决")
    assert "状态：已解决（11月25日 17:00）" in wang.last().text
    await bot.settle(await wang.press_data("tk:mv:1:in_progress"))
    assert wang.last().text == "该工单的状态已被更新过了。"
    rate = li.last()
    assert rate.text == (
        "您的维修请求“3号车床主轴异响”已处理完毕。您对我们的服务满意吗？"
        "请点击 1（很差）到 5（非常满意）打分。"
    )
    assert rate.button_texts() == ["1★", "2★", "3★", "4★", "5★"]
    await bot.press(li, "5★")
    assert li.last().text == "感谢您的评分（5/5）。"
    await bot.settle(await li.press_data("ct:rate:1:1"))
    assert li.last().text == "这个请求已经评过分了，谢谢您。"

    # The contact's own /ticket: nonsense is re-asked; the rep is told at once.
    asked = (await bot.send(li, "/ticket"))[0]
    assert asked.text == "请问是哪类问题？"
    assert asked.button_texts() == ["😠 投诉", "🔧 维修", "❓ 咨询"]
    assert texts(await bot.send(li, "坏了")) == "请点击下方按钮选择，或发送 /cancel。"
    await bot.press(li, "😠 投诉", asked)
    assert li.message(asked.message_id).text.startswith("请简单描述一下情况")
    opened = await bot.send(li, "第二批货外壳有凹痕")
    assert texts(opened) == "✅ 您的服务请求 #2 已提交。王伟会负责处理，并在 24 小时内回复您。"
    told = wang.last()
    assert told.text == f"🛠 李娜（{HONGDA}）提交了服务请求 #2（投诉）：\n第二批货外壳有凹痕"
    assert told.button_texts() == ["🛠 打开工单"]
    await bot.press(wang, "🛠 打开工单")
    assert wang.last().text.startswith(f"🛠 投诉 #2 · {HONGDA}\n第二批货外壳有凹痕")

    # /birthday: nonsense re-asked, then saved; it lands on the timeline as the customer's.
    assert texts(await bot.send(li, "/birthday")).startswith("请问您的生日是哪天？")
    assert texts(await bot.send(li, "保密")).startswith("抱歉，没能识别这个生日。")
    assert texts(await bot.send(li, "5月12日")) == "🎂 谢谢您，李娜！您的生日已记录为 5月12日。"
    assert texts(await bot.send(li, "/birthday 1990-06-03")) == (
        "🎂 谢谢您，李娜！您的生日已记录为 1990年6月3日。"
    )

    # A question to the rep, answered through the bot; staff commands are not for contacts.
    assert texts(await bot.send(li, "下周二能送货吗？")) == "已发送给王伟，回复会发到这里。"
    question = wang.last()
    assert question.text == f"💬 李娜（{HONGDA}）提问：\n下周二能送货吗？"
    assert question.button_texts() == ["↩️ 回复"]
    await bot.press(wang, "↩️ 回复")
    assert wang.last().text == f"请输入给李娜（{HONGDA}）的回复："
    assert texts(await bot.send(wang, "可以，上午送到。")) == "已发送给李娜。"
    assert li.last().text == "💬 王伟：可以，上午送到。"
    for attempt in ("/deals", "/visit 宏达：你好"):
        assert texts(await bot.send(li, attempt)).startswith("在这里，您可以直接给王伟留言提问"), (
            attempt
        )
    # An English rep and a Chinese contact: each reads their own language.
    guard.allow("Yes, Tuesday morning.", "周二能送货吗？")
    await bot.send(na, "周二能送货吗？")
    assert tom.last().text == "💬 Li Na (Acme Machinery) asks:\n周二能送货吗？"
    await bot.press(tom, "↩️ Answer")
    assert texts(await bot.send(tom, "Yes, Tuesday morning.")) == "Sent to Li Na."
    assert na.last().text == "💬 Tom：Yes, Tuesday morning."

    # /stop, at once.
    assert texts(await bot.send(li, "/stop")) == (
        "好的，我们不会再给您发送消息。您有问题仍可以在这里留言，王伟会收到。"
    )
    with db.session() as session:
        assert not session.exec(select(Contact).where(Contact.name == "李娜")).one().opted_in

    # The timeline has it all, with the customer's own entries marked.
    await bot.send(wang, "宏达")
    await bot.press(wang, HONGDA)
    await bot.press(wang, "🕘 动态")
    story = wang.last().text
    assert "· 李娜（客户）\n✏️ 李娜 · 生日：5月12日 → 1990年6月3日" in story
    assert "· 李娜（客户）\n🛠 投诉已提交：第二批货外壳有凹痕" in story
    assert "· 王伟\n🛠 维修请求已提交：3号车床主轴异响\n\n" in story
    assert "\n🛠 维修请求已解决：3号车床主轴异响 · 客户评分 5/5\n\n" in story
    with db.session() as session:
        assert [t.rating for t in session.exec(select(Ticket).order_by(Ticket.id))] == [5, None]  # type: ignore[arg-type]
    guard.check()


# -- what the bot sends by itself ---------------------------------------------------------------


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def tick_at(bot: LocalBot, clock: FakeClock, instant: datetime) -> None:
    clock.current = instant
    await bot.tick()


def starting(person: SimUser, start: str) -> list[BotMessage]:
    return [message for message in person.messages if message.text.startswith(start)]


async def test_reminders_briefs_payments_alerts_digest_and_the_outbox_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, guard: LanguageGuard
) -> None:
    team = await chinese_company(bot, emulator, guard)
    wang, tom, manager, admin = team.wang, team.tom, team.manager, team.admin
    hongda = add_customer(db, wang, HONGDA, contact="李娜", birthday=(11, 26))
    add_customer(db, wang, TONGYONG, phone="+86 21 5555 0102", contact="陈杰", birthday=(11, 26))
    add_customer(db, wang, JINGGONG)
    add_customer(db, tom, "Acme Machinery")
    add_products(db)
    guard.allow(HONGDA, TONGYONG, JINGGONG, "李娜", "陈杰", "Acme Machinery", "call back")
    li = emulator.user(7101, "娜", last_name="李", language_code="zh-hans")
    await link_chinese_contact(bot, guard, wang, HONGDA, "李娜", li)

    # Wed 25 Nov, 17:00 in Shanghai: a follow-up for tomorrow 15:00, a deal that will go quiet,
    # an order paid in two instalments (delivered today), a quote sent to the contact and not
    # answered, and a complaint due in 24 hours. Tom follows up tomorrow at 10:00.
    await bot.send(wang, "/visit 宏达：演示很顺利，下一步：明天下午3点发报价")
    await bot.press(wang, "✅ 保存")
    await new_deal(bot, wang, JINGGONG, "备件", "¥3000")
    order, _ = make_order(
        db,
        wang,
        wang,
        hongda,
        "20台数控车床",
        [("5000", date(2026, 11, 29)), ("7000", date(2026, 12, 31))],
    )
    await bot.settle(await wang.press_data(f"ord:open:{order}"))
    await bot.press(wang, "🚚 标记已交付")
    await new_deal(bot, wang, HONGDA, "刀具", "¥2000")
    await quote_lathes(bot, wang, f"刀具 · {HONGDA}", "5")
    await bot.press(wang, "📤 提交")
    await bot.press(wang, "📤 发送给 李娜")
    await bot.send(wang, "/ticket")
    await bot.press(wang, TONGYONG)
    await bot.press(wang, "😠 投诉")
    await bot.send(wang, "交货晚了三天")
    await bot.send(tom, "/visit Acme Machinery: price talk; next: call back tomorrow 10am")
    await bot.press(tom, "✅ Save")

    # Thu 26 Nov 08:30: the morning briefs, a payment due in 3 days, a birthday nudge.
    await tick_at(bot, clock, utc(11, 26, 0, 30))
    [brief] = starting(wang, "☀️")
    assert brief.text.startswith("☀️ 早上好，王伟——11月26日 周四\n\n今日跟进（1）\n")
    assert f"• {HONGDA}：发报价 · 15:00" in brief.text
    assert f"今日生日\n🎂 李娜（{HONGDA}）\n🎂 陈杰（{TONGYONG}） · +86 21 5555 0102" in brief.text
    [tom_brief] = starting(tom, "☀️")
    assert tom_brief.text.startswith("☀️ Good morning, Tom")
    assert "Acme Machinery: call back · 10:00" in tom_brief.text
    [payment] = starting(wang, "💰")
    assert payment.text == (
        f"💰 回款 3 天后到期\n{HONGDA} · 订单 O-2026-00001 第 1 期\n"
        "待收 ¥5,000.00，2026年11月29日 周日 到期"
    )
    assert payment.button_texts() == ["💰 登记回款", "📦 打开订单"]
    [nudge] = starting(wang, "🎂")
    assert nudge.text == (
        f"🎂 今天是 陈杰（{TONGYONG}）的生日——要不要打个电话 +86 21 5555 0102 祝福一下？\n\n"
        "我不会替你发生日祝福：对方还没有绑定 Telegram。"
    )
    assert nudge.button_texts() == ["打开客户"]
    # 09:00: the contact's birthday greeting, in her language, signed by her rep.
    await tick_at(bot, clock, utc(11, 26, 1))
    assert starting(li, "🎂")[0].text.startswith("🎂 李娜，祝您生日快乐！")
    assert starting(li, "🎂")[0].text.endswith("王伟 敬上")
    # 10:00: Tom's follow-up, in English.
    await tick_at(bot, clock, utc(11, 26, 2))
    assert tom.last().text.startswith("🔔 Follow up: Acme Machinery\ncall back")

    # At noon 王伟 logs a visit and moves two deals (for the evening's digest).
    clock.current = utc(11, 26, 4)
    await bot.send(wang, "/visit 通用：谈了配件")
    await bot.press(wang, "✅ 保存")
    await bot.send(wang, "/deals")
    await bot.press(wang, f"刀具 · {HONGDA}")
    await bot.press(wang, "→ 谈判中")
    await new_deal(bot, wang, TONGYONG, "旧设备", "8000")
    await bot.press(wang, "→ 输单")
    await bot.press(wang, "价格")

    # 15:00: the follow-up reminder, with its snooze buttons.
    await tick_at(bot, clock, utc(11, 26, 7))
    reminder = wang.last()
    assert reminder.text == (
        f"🔔 跟进：{HONGDA}\n发报价\n跟进时间：2026年11月26日 周四 15:00\n\n上次沟通：演示很顺利"
    )
    assert reminder.button_texts() == ["✅ 已完成", "⏰ 1小时后", "明天", "📅 选日期", "打开客户"]
    await bot.press(wang, "⏰ 1小时后", reminder)
    assert reminder.text == (
        f"⏰ 已改期：{HONGDA}——发报价，2026年11月26日 周四 16:00。到时我会提醒你。"
    )
    await tick_at(bot, clock, utc(11, 26, 8))
    again = wang.last()
    assert "跟进时间：2026年11月26日 周四 16:00" in again.text
    await bot.press(wang, "明天", again)
    assert again.text == f"⏰ 已改期：{HONGDA}——发报价，2026年11月27日 周五 16:00。到时我会提醒你。"
    # 17:00: the complaint is overdue: the rep and the manager are told.
    await tick_at(bot, clock, utc(11, 26, 9))
    for person in (wang, manager):
        [overdue] = starting(person, "⏰ 已逾期")
        assert overdue.text.startswith(f"⏰ 已逾期：投诉 #1 · {TONGYONG}\n交货晚了三天\n")
        assert "原定 2026年11月26日 周四 17:00 前处理 · 待处理" in overdue.text
        assert overdue.button_texts() == ["🛠 打开工单"]
    assert starting(manager, "⏰ 已逾期")[0].text.endswith(" · 由王伟负责")

    # 18:00: the digest for the manager and the director, with the funnel chart.
    await tick_at(bot, clock, utc(11, 26, 10))
    for person in (manager, team.director):
        [digest] = starting(person, "📊")
        assert digest.kind == "photo", digest.text
        title = "日报 · 华东区" if person is manager else "日报 · 所有团队"
        assert digest.text.startswith(f"📊 {title}——2026年11月26日 周四"), digest.text
        team_of = "" if person is manager else "（华东区）"  # a director's covers every team
        assert (
            f"\n\n跟进记录：1\n• 王伟{team_of}：1次拜访\n无跟进记录：Tom{team_of}\n" in digest.text
        )
        assert f"阶段变更：1\n• 刀具 · {HONGDA}：已报价 → 谈判中（王伟）\n" in digest.text
        assert f"输单：1\n✖ 旧设备 · {TONGYONG}：¥8,000.00（王伟）——价格" in digest.text
        assert f"逾期\n• Tom{team_of}：⚠️ 1个跟进（Acme Machinery）" in digest.text
        assert digest.text.endswith("进行中的商机：2个 · ¥5,000.00")
    on_demand = await bot.send(manager, "/digest")
    assert on_demand[-1].text.startswith("📊 日报 · 华东区——2026年11月26日 周四")
    assert texts(await bot.send(wang, "/digest")) == "你的角色无权进行此操作。"

    # Fri 27 Nov: the bot was down all morning: that brief is too late; the snoozed
    # reminder comes at 16:00; "📅 Pick a date" takes a Chinese date, nonsense is re-asked.
    await tick_at(bot, clock, utc(11, 27, 8))
    assert len(starting(wang, "☀️")) == 1
    reminder = wang.last()
    assert reminder.text.startswith(f"🔔 跟进：{HONGDA}")
    await bot.press(wang, "📅 选日期", reminder)
    assert wang.last().text.startswith(f"什么时候再提醒你跟进 {HONGDA}？")
    assert texts(await bot.send(wang, "猴年马月")).startswith(
        "无法把“猴年马月”识别为一个将来的时间。"
    )
    moved = await bot.send(wang, "下周一上午10点")
    assert moved[0].text == (
        f"⏰ 已改期：{HONGDA}——发报价，2026年11月30日 周一 10:00。到时我会提醒你。"
    )

    # Sun 29 Nov: the instalment is due: the rep at 08:30 (also in his brief), the contact a
    # polite note at 10:00 her time.
    await tick_at(bot, clock, utc(11, 29, 0, 30))
    assert starting(wang, "💰 回款今天到期")
    assert (
        f"待回款\n💰 {HONGDA} · O-2026-00001 · ¥5,000.00，11月29日 到期" in wang.messages[-2].text
    )
    await tick_at(bot, clock, utc(11, 29, 2))
    [note] = [m for m in li.messages if "温馨提醒" in m.text]
    assert note.text.startswith(
        "李娜，您好！温馨提醒：订单 O-2026-00001 的款项 ¥5,000.00 "
        "将于今天（2026年11月29日 周日）到期。"
    )

    # Mon 30 Nov 10:00: the reminder again (late for the brief and the overdue payment, which
    # go out with a line saying so); ✅ Done logs what happened.
    await tick_at(bot, clock, utc(11, 30, 2))
    late = [m.text for m in starting(wang, "⏰ 延迟发送：原定于 11月30日 周一 08:30。\n")]
    assert [text.split("\n")[1] for text in late] == [
        "☀️ 早上好，王伟——11月30日 周一",
        "⚠️ 回款已逾期 1 天",
    ]
    reminder = starting(wang, f"🔔 跟进：{HONGDA}")[-1]
    await bot.press(wang, "✅ 已完成", reminder)
    assert wang.last().text == f"{HONGDA}：这次是哪种跟进方式？"
    await bot.press(wang, "📞 电话")
    await bot.send(wang, "客户说下周付款")
    await bot.send(wang, "跳过")
    await bot.press(wang, "跳过")
    await bot.press(wang, "不跟进")
    await bot.press(wang, "✅ 保存")
    assert wang.last().text.startswith(f"✅ 已保存：电话 · {HONGDA}\n客户说下周付款")

    # Wed 9 Dec: the post-purchase check-in; she has blocked the bot, so the rep is told.
    li.block()
    await tick_at(bot, clock, utc(12, 9, 2))
    assert wang.last().text == (f"📵 李娜（{HONGDA}）已屏蔽机器人，我们的消息无法再送达。")
    emulator.rejections.clear()  # the 403, on purpose
    # Thu 10 Dec: the quiet deal.
    await tick_at(bot, clock, utc(12, 10, 0, 30))
    [stale] = starting(wang, "🕸")
    assert stale.text == (
        f"🕸 商机停滞：备件\n{JINGGONG} · 线索 · ¥3,000.00\n"
        "自 2026年11月25日 周三 起已超过 14 天没有任何跟进。"
        "打个电话或上门拜访一下，让商机继续往前推进。"
    )
    assert stale.button_texts() == ["💼 打开商机", "📝 记拜访"]
    # Sun 13 Dec: 14 days overdue: the rep, and his manager.
    await tick_at(bot, clock, utc(12, 13, 0, 30))
    assert starting(wang, "⚠️ 回款已逾期 14 天")
    [escalation] = starting(manager, "🚨")
    assert escalation.text == (
        f"🚨 回款已逾期 14 天：{HONGDA}\n"
        "订单 O-2026-00001 第 1 期：¥5,000.00，应于 2026年11月29日 周日 到账。\n催收负责人：王伟。"
    )
    # Tue 22 Dec: the quote sent to the contact expires in 3 days.
    await tick_at(bot, clock, utc(12, 22, 0, 30))
    [expiry] = starting(wang, "⏳")
    assert expiry.text.startswith(
        f"⏳ 报价单 Q-2026-00001 还有 3 天到期\n"
        f"{HONGDA} · ¥9,500.00，有效期至 2026年12月25日 周五\n"
    )
    assert "已于 11月25日 周三 发给李娜，对方还没有回复。" in expiry.text

    # /outbox: counts, and the last messages not sent with why, in Chinese.
    shown = texts(await bot.send(admin, "/outbox"))
    assert (
        shown
        == (
            "📮 发件箱\n待发 0 · 发送中 0 · 已发 41 · 已跳过 4 · 失败 0\n\n最近未发出的消息\n"
            "⏭ 12月9日 10:00 · 交付后回访 · 无法送达：对方已屏蔽机器人\n"
            + "⏭ 11月27日 16:00 · 晨报 · 太晚了：已过了当天还能发送的时间\n"
            * 3
        ).strip()
    )
    assert texts(await bot.send(wang, "/outbox")) == "你的角色无权进行此操作。"
    # What the outbox holds for a Chinese reader is in Chinese, sent or not (the check-in she
    # never got too).
    with db.session() as session:
        rows = list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))  # type: ignore[arg-type]
        chinese = {
            ("user", user.id) for user in session.exec(select(User)) if user.language == "zh"
        } | {("contact", c.id) for c in session.exec(select(Contact)) if c.language == "zh"}
    readers = [
        row
        for row in rows
        if ("user", row.user_id) in chinese or ("contact", row.contact_id) in chinese
    ]
    assert {row.kind for row in readers} >= {
        "brief",
        "followup",
        "payment_due",
        "payment_escalation",
        "payment_note",
        "birthday",
        "birthday_nudge",
        "checkin",
        "ticket_overdue",
        "digest",
        "stale_deal",
        "quote_expiry",
        "contact_unreachable",
    }
    for row in readers:
        assert CJK.search(row.text) and guard.english_in(row.text) == [], (row.kind, row.text)
    [checkin] = [row for row in readers if row.kind == "checkin"]
    assert checkin.text.startswith(
        "李娜，您好！订单 O-2026-00001（20台数控车床）交付已有一段时间了，不知道目前使用情况如何？"
    )
    guard.check()
