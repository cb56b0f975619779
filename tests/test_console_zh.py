"""``python main.py --console`` in Chinese: ``--lang zh`` seeds a Chinese demo company and prints
the console's own lines in Chinese; in the English demo 王伟 (``rep3``) uses Telegram in Chinese,
so the bot answers him in Chinese and the console follows his language."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.console import demo_settings
from bot.db import Database
from bot.demo import DEMO_EN, DEMO_ZH
from bot.settings import load_settings
from models import Contact, Product, Team, User
from tests.test_process import ROOT, bot_env

WEEKDAYS = "一二三四五六日"
CHINESE_DAY = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日 周([一二三四五六日])")


def run_console(tmp_path: Path, script: str, *args: str, **env: str) -> str:
    """Run ``main.py --console`` with ``args`` on a new demo database, ``script`` as its input."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--console", "--demo-db", "demo.db", *args],
        cwd=tmp_path,
        env=bot_env(tmp_path, **{"SCHEDULER_TICK_SECONDS": "3600", **env}),
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def chinese_day(text: str) -> date:
    """The day of ``2026年12月4日 周五``, checking that the weekday is that day's."""
    match = CHINESE_DAY.search(text)
    assert match is not None, text
    year, month, day, weekday = match.groups()
    found = date(int(year), int(month), int(day))
    assert WEEKDAYS[found.weekday()] == weekday, text
    return found


def line_with(out: str, start: str) -> str:
    [line] = [line for line in out.splitlines() if line.startswith(start)][:1]
    return line


ZH_SCRIPT = """\
4
:who
/help
/customers
/visit 宏达：演示很顺利，下一步：明天下午三点发报价
1
:now
/deal
1
20台数控车床
1.2万
1
1
1
99
:as nobody
:file nope.csv
:time +1 08:00
:later 7h
:help
:quit
"""


def test_lang_zh_seeds_a_chinese_company_and_speaks_chinese(tmp_path: Path) -> None:
    out = run_console(tmp_path, ZH_SCRIPT, "--lang", "zh")
    # The console's own lines, in Chinese from the start.
    assert out.startswith(
        "salesbot 控制台：演示数据库 demo.db（新建的演示公司），机器人 @salesbot_demo_bot。"
        "输入 :help 查看控制台命令。\n"
    )
    assert (
        "你是谁？请输入编号：1. 张丽（管理员），2. 周大卫（销售总监），3. 林梅（销售经理），"
        "4. 陈涛（销售代表），5. 吴莎（销售代表），6. 李娜（客户联系人），7. 王伟（销售代表），"
        "8. 黄芳（财务）\n"
        "编号> 4\n"
    ) in out
    assert "-- 你现在是陈涛（销售代表） --" in out
    assert "  rep1      陈涛（销售代表）\n" in out and "  contact   李娜（客户联系人）\n" in out
    assert "  manager   林梅（销售经理）\n" in out
    # The bot answers 陈涛 in Chinese: his help, his customers with Chinese names.
    assert "（身份：销售代表）" in out and "/visit — " in out
    assert "bot> 客户（6）：\n     • 上海宏达机电有限公司 [A]" in out
    assert "顶峰机械制造有限公司" in out and "Acme Machinery" not in out
    # Quick capture in Chinese, the follow-up tomorrow at 15:00 in Shanghai, written in Chinese.
    assert "bot> 拜访 · 上海宏达机电有限公司\n     演示很顺利\n     下一步：发报价\n" in out
    assert "bot（已编辑）> ✅ 已保存：拜访 · 上海宏达机电有限公司" in out
    follow_up = line_with(out.split("✅ 已保存：")[1], "     跟进：")
    assert follow_up.endswith(" 15:00")
    now = line_with(out, "-- 20")  # :now
    assert now.endswith(" CST --")
    today = chinese_day(now)
    assert chinese_day(follow_up) == today + timedelta(days=1)
    # Money in the company's currency, written as a Chinese reader does.
    assert "金额：¥12,000.00 · 赢率 10% → ¥1,200.00" in out
    assert "CNY 12,000.00" not in out
    # The console's errors, clock and help.
    assert "-- 没有第 99 个按钮 --" in out
    assert "-- 没有这个演示人物；输入 :who 查看名单 --" in out
    assert "-- 找不到文件：nope.csv --" in out
    morning, afternoon = out.split("-- 现在是 ")[1:3]
    assert morning.split(" --")[0].endswith(" 08:00 CST")
    assert chinese_day(morning) == today + timedelta(days=1)
    assert afternoon.split(" --")[0].endswith(" 15:00 CST")
    assert "bot> 🔔 跟进：上海宏达机电有限公司\n     发报价" in afternoon
    assert "控制台命令：\n" in out and "上海宏达机电有限公司的\n                  李娜" in out
    assert out.rstrip().endswith("-- 再见 --")
    for english in ("you are now", "Who are you", "the clock says", "no such", "-- bye --"):
        assert english not in out

    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        with db.session() as session:
            users = {user.full_name: user for user in session.exec(select(User)).all()}
            assert set(users) == {"张丽", "周大卫", "林梅", "陈涛", "吴莎", "王伟", "黄芳"}
            assert {user.language for user in users.values()} == {"zh"}
            assert {user.timezone for user in users.values()} == {"Asia/Shanghai"}
            [team] = session.exec(select(Team)).all()
            assert team.name == "华东区" and users["陈涛"].team_id == team.id
            products = session.exec(select(Product)).all()
            assert {product.currency for product in products} == {"CNY"}
            assert "数控车床 100型" in {product.name for product in products}
            [linked] = session.exec(select(Contact).where(Contact.opted_in)).all()
            assert (linked.name, linked.language, linked.telegram_chat_id) == ("李娜", "zh", 700101)
    finally:
        db.dispose()


REP3_SCRIPT = """\
rep1
:as rep3
:who
/help
/customers
/visit 通用：谈了新车型的配件，下一步：周五发报价
1
99
:now
:as rep1
:now
:as nobody
:quit
"""


def test_the_english_demo_has_wang_wei_who_uses_chinese(tmp_path: Path) -> None:
    out = run_console(tmp_path, REP3_SCRIPT)
    english, _, tom = out.split("-- you are now Tom Chen (rep) --")
    wang = out.split("-- 你现在是王伟（销售代表） --")[1].split("-- you are now Tom Chen")[0]
    # The English company as before, 王伟 and then Fay of finance listed last.
    assert "demo database demo.db (new demo company)" in english
    listed = "6. Na Li (customer contact), 7. 王伟 (rep), 8. Fay Huang (finance)\nnumber> rep1\n"
    assert listed in english
    # As 王伟 the console's lines are Chinese, and the bot answers him in Chinese.
    assert "  rep1      Tom Chen（销售代表）\n" in wang and "  rep3      王伟（销售代表）\n" in wang
    assert "（身份：销售代表）" in wang and "What you can do" not in wang
    assert (
        "bot> 客户（3）：\n     • 上海通用汽车 [A] · +86 21 5555 0301\n"
        "     • 杭州绿源食品 [C] · +86 571 5555 0303\n"
        "     • 重庆长安汽车配件有限公司 [B] · +86 23 5555 0302\n"
    ) in wang
    assert (
        "bot（已编辑）> ✅ 已保存：拜访 · 上海通用汽车\n     谈了新车型的配件\n     下一步：发报价"
        in wang
    )
    assert chinese_day(line_with(wang, "     跟进：")).weekday() == 4  # 周五
    assert "-- 没有第 99 个按钮 --" in wang
    assert re.search(r"\n-- \d{4}年\d{1,2}月\d{1,2}日 周[一二三四五六日] \d\d:\d\d UTC --\n", wang)
    # Back as Tom Chen: the console is English again.
    assert "-- no such demo person; :who lists them --" in tom
    assert re.search(r"\n-- (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d \w{3} \d{4} \d\d:\d\d UTC --\n", tom)
    assert out.rstrip().endswith("-- bye --")

    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        with db.session() as session:
            wang_wei = session.exec(select(User).where(User.telegram_id == 700006)).one()
            tom_chen = session.exec(select(User).where(User.full_name == "Tom Chen")).one()
            assert (wang_wei.full_name, wang_wei.language) == ("王伟", "zh")
            assert wang_wei.team_id == tom_chen.team_id and tom_chen.language == "en"
    finally:
        db.dispose()


def test_lang_en_keeps_the_console_english_for_wang_wei(tmp_path: Path) -> None:
    out = run_console(tmp_path, "rep3\n/customers\n:quit\n", "--lang", "en")
    assert "demo database demo.db (new demo company)" in out
    assert "-- you are now 王伟 (rep) --" in out
    assert "bot> 客户（3）：" in out  # the bot still answers him in his language
    assert out.rstrip().endswith("-- bye --")


@pytest.mark.parametrize(
    ("environment", "zone", "currency"),
    [({}, "Asia/Shanghai", "CNY"), ({"DEFAULT_CURRENCY": "USD"}, "Asia/Shanghai", "USD")],
)
def test_a_chinese_demo_is_in_shanghai_and_bills_cny_unless_the_environment_says(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    zone: str,
    currency: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("DEFAULT_TIMEZONE", "DEFAULT_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    chinese = demo_settings(settings, DEMO_ZH)
    assert (chinese.default_timezone, chinese.default_currency) == (zone, currency)
    assert DEMO_ZH.admin.telegram_id in chinese.admin_telegram_ids
    english = demo_settings(settings, DEMO_EN)
    assert (english.default_timezone, english.default_currency) == (
        settings.default_timezone,
        settings.default_currency,
    )
