"""Table-driven tests for bot.parsing: dates, amounts and one-message visit captures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from bot.parsing import (
    Capture,
    Money,
    When,
    find_when_at_edges,
    parse_amount,
    parse_capture,
    parse_when,
)

# Wednesday 2026-11-25, 09:00 in Shanghai. This week runs Mon 23 – Sun 29 November.
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def t(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


# -- dates ----------------------------------------------------------------------------------

ENGLISH_DATES: list[tuple[str, date, time | None]] = [
    ("today", d(11, 25), None),
    ("tonight", d(11, 25), t(20)),
    ("tomorrow", d(11, 26), None),
    ("tmr", d(11, 26), None),
    ("Tmrw!", d(11, 26), None),
    ("tomorow", d(11, 26), None),
    ("day after tomorrow", d(11, 27), None),
    ("yesterday", d(11, 24), None),
    ("fri", d(11, 27), None),
    ("Wednesday", d(12, 2), None),
    ("on Mon", d(11, 30), None),
    ("tues", d(12, 1), None),
    ("thurs", d(11, 26), None),
    ("this fri", d(11, 27), None),
    ("this monday", d(11, 30), None),
    ("next fri", d(12, 4), None),
    ("next week", d(11, 30), None),
    ("next month", d(12, 25), None),
    ("end of month", d(11, 30), None),
    ("EOM", d(11, 30), None),
    ("eow", d(11, 27), None),
    ("end of week", d(11, 27), None),
    ("in 2 hours", d(11, 25), t(11)),
    ("in 45 minutes", d(11, 25), t(9, 45)),
    ("in an hour", d(11, 25), t(10)),
    ("in 16 hours", d(11, 26), t(1)),
    ("in 3 days", d(11, 28), None),
    ("in a week", d(12, 2), None),
    ("in two weeks", d(12, 9), None),
    ("2 weeks", d(12, 9), None),
    ("in 3 months", d(2, 25, 2027), None),
    ("2026-12-25", d(12, 25), None),
    ("2026/12/25", d(12, 25), None),
    ("25/12", d(12, 25), None),
    ("25/12/2026", d(12, 25), None),
    ("25.12.", d(12, 25), None),
    ("Dec 25", d(12, 25), None),
    ("25 Dec", d(12, 25), None),
    ("December 25th", d(12, 25), None),
    ("25th of December", d(12, 25), None),
    ("dec 25 2026", d(12, 25), None),
    ("3pm", d(11, 25), t(15)),
    ("3:30 pm", d(11, 25), t(15, 30)),
    ("15:00", d(11, 25), t(15)),
    ("15.30", d(11, 25), t(15, 30)),
    ("9am", d(11, 26), t(9)),
    ("noon", d(11, 25), t(12)),
    ("midnight", d(11, 26), t(0)),
    ("eod", d(11, 25), t(17)),
    ("by end of day", d(11, 25), t(17)),
    ("at 3", d(11, 25), t(15)),
    ("at 10", d(11, 25), t(10)),
    ("tomorrow 3pm", d(11, 26), t(15)),
    ("tomorrow at 3", d(11, 26), t(15)),
    ("next friday at 10am", d(12, 4), t(10)),
    ("fri 14:30", d(11, 27), t(14, 30)),
    ("3pm tomorrow", d(11, 26), t(15)),
    ("Dec 5 10am", d(12, 5), t(10)),
    ("in 2 days at 9", d(11, 27), t(9)),
    ("monday morning", d(11, 30), t(9)),
    ("tomorrow afternoon", d(11, 26), t(14)),
    ("Thursday evening", d(11, 26), t(18)),
    ("tonight at 8", d(11, 25), t(20)),
    ("before Friday.", d(11, 27), None),
]

CHINESE_DATES: list[tuple[str, date, time | None]] = [
    ("今天", d(11, 25), None),
    ("今晚", d(11, 25), t(20)),
    ("明天", d(11, 26), None),
    ("明早", d(11, 26), t(9)),
    ("明天早上", d(11, 26), t(9)),
    ("后天", d(11, 27), None),
    ("大后天", d(11, 28), None),
    ("昨天", d(11, 24), None),
    ("周五", d(11, 27), None),
    ("星期五", d(11, 27), None),
    ("礼拜五", d(11, 27), None),
    ("周日", d(11, 29), None),
    ("星期天", d(11, 29), None),
    ("礼拜天", d(11, 29), None),
    ("周三", d(12, 2), None),
    ("这周五", d(11, 27), None),
    ("本周一", d(11, 23), None),
    ("这个星期五", d(11, 27), None),
    ("下周五", d(12, 4), None),
    ("下星期五", d(12, 4), None),
    ("下礼拜五", d(12, 4), None),
    ("下个星期五", d(12, 4), None),
    ("下周", d(11, 30), None),
    ("下个月", d(12, 25), None),
    ("下月", d(12, 25), None),
    ("月底", d(11, 30), None),
    ("3天后", d(11, 28), None),
    ("三天以后", d(11, 28), None),
    ("两周后", d(12, 9), None),
    ("2个星期后", d(12, 9), None),
    ("十天后", d(12, 5), None),
    ("3个月后", d(2, 25, 2027), None),
    ("2小时后", d(11, 25), t(11)),
    ("30分钟后", d(11, 25), t(9, 30)),
    ("半小时后", d(11, 25), t(9, 30)),
    ("二十五天后", d(12, 20), None),
    ("12月25日", d(12, 25), None),
    ("12月25号", d(12, 25), None),
    ("2026年12月25日", d(12, 25), None),
    ("十二月二十五日", d(12, 25), None),
    ("十二月三十一号", d(12, 31), None),
    ("三点", d(11, 25), t(15)),
    ("3点", d(11, 25), t(15)),
    ("15点", d(11, 25), t(15)),
    ("三点半", d(11, 25), t(15, 30)),
    ("3点30", d(11, 25), t(15, 30)),
    ("3点30分", d(11, 25), t(15, 30)),
    ("下午三点", d(11, 25), t(15)),
    ("下午3点", d(11, 25), t(15)),
    ("上午10点", d(11, 25), t(10)),
    ("早上9点", d(11, 26), t(9)),
    ("晚上8点", d(11, 25), t(20)),
    ("中午", d(11, 25), t(12)),
    ("中午12点", d(11, 25), t(12)),
    ("凌晨2点", d(11, 26), t(2)),
    ("明天下午三点", d(11, 26), t(15)),
    ("下周五上午10点", d(12, 4), t(10)),
    ("后天3点", d(11, 27), t(15)),
    ("12月5日下午2点", d(12, 5), t(14)),
    ("周三晚上", d(12, 2), t(20)),
    ("今晚8点", d(11, 25), t(20)),
    ("在明天", d(11, 26), None),
    ("于下周五。", d(12, 4), None),
]


@pytest.mark.parametrize(("text", "day", "at"), ENGLISH_DATES + CHINESE_DATES)
def test_parse_when(text: str, day: date, at: time | None) -> None:
    assert parse_when(text, now=NOW, zone=ZONE) == When(day, at)


REFUSED_DATES = [
    "",
    "   ",
    "soon",
    "asdf",
    "next blursday",
    "13/13",
    "32 Dec",
    "25:00",
    "3",
    "sometime next week",
    "tomorrow or friday",
    "tomorrow 3pm please",
    "明年某天",
    "下下周",
    "周八",
    "下午25点",
    "三月",
    "in 9999 months",
]


@pytest.mark.parametrize("text", REFUSED_DATES)
def test_parse_when_refuses(text: str) -> None:
    assert parse_when(text, now=NOW, zone=ZONE) is None


def test_time_already_past_means_tomorrow() -> None:
    four_pm = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    assert parse_when("3pm", now=four_pm, zone=ZONE) == When(d(11, 26), t(15))
    assert parse_when("5pm", now=four_pm, zone=ZONE) == When(d(11, 25), t(17))
    assert parse_when("下午三点", now=four_pm, zone=ZONE) == When(d(11, 26), t(15))


def test_year_less_date_already_past_rolls_to_next_year() -> None:
    assert parse_when("Nov 20", now=NOW, zone=ZONE) == When(d(11, 20, 2027), None)
    assert parse_when("20/11", now=NOW, zone=ZONE) == When(d(11, 20, 2027), None)
    assert parse_when("1月5日", now=NOW, zone=ZONE) == When(d(1, 5, 2027), None)
    assert parse_when("Nov 25", now=NOW, zone=ZONE) == When(d(11, 25), None)
    # An explicit year is taken as written, even in the past.
    assert parse_when("2026-11-20", now=NOW, zone=ZONE) == When(d(11, 20), None)


def test_relative_phrases_use_the_local_date() -> None:
    # 23:30 UTC on the 24th is already 07:30 on the 25th in Shanghai.
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert parse_when("tomorrow", now=late, zone=ZONE) == When(d(11, 26), None)
    assert parse_when("tomorrow", now=late, zone="Europe/London") == When(d(11, 25), None)


def test_instant_in_shanghai() -> None:
    when = parse_when("tomorrow 3pm", now=NOW, zone=ZONE)
    assert when is not None
    assert when.instant(ZONE) == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert When(d(11, 26), None).instant(ZONE) == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


NEW_YORK = "America/New_York"


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # Saturday 2026-03-07 12:00 EST; DST starts on Sunday the 8th (EDT, UTC-4).
        (datetime(2026, 3, 7, 17, 0, tzinfo=UTC), "tomorrow 3pm", datetime(2026, 3, 8, 19, 0)),
        (datetime(2026, 3, 7, 17, 0, tzinfo=UTC), "today 3pm", datetime(2026, 3, 7, 20, 0)),
        (datetime(2026, 3, 7, 17, 0, tzinfo=UTC), "tomorrow", datetime(2026, 3, 8, 5, 0)),
        (datetime(2026, 3, 7, 17, 0, tzinfo=UTC), "mon 9am", datetime(2026, 3, 9, 13, 0)),
        # 00:30 EST on the 8th: three hours later is 04:30 EDT, still exactly three hours.
        (datetime(2026, 3, 8, 5, 30, tzinfo=UTC), "in 3 hours", datetime(2026, 3, 8, 8, 30)),
        # Saturday 2026-10-31 12:00 EDT; DST ends on Sunday 1 November (EST, UTC-5).
        (datetime(2026, 10, 31, 16, 0, tzinfo=UTC), "tomorrow 9am", datetime(2026, 11, 1, 14, 0)),
    ],
)
def test_instant_is_dst_correct(now: datetime, text: str, expected: datetime) -> None:
    when = parse_when(text, now=now, zone=NEW_YORK)
    assert when is not None
    assert when.instant(NEW_YORK) == expected.replace(tzinfo=UTC)


def test_in_hours_keeps_the_local_time_across_dst() -> None:
    when = parse_when("in 3 hours", now=datetime(2026, 3, 8, 5, 30, tzinfo=UTC), zone=NEW_YORK)
    assert when == When(d(3, 8), t(4, 30))


def test_bad_zone_is_refused() -> None:
    assert parse_when("tomorrow", now=NOW, zone="Mars/Olympus") is None


EDGES: list[tuple[str, str, date, time | None]] = [
    ("send quote fri", "send quote", d(11, 27), None),
    ("send quote by next friday 3pm", "send quote", d(12, 4), t(15)),
    ("call back in 2 weeks", "call back", d(12, 9), None),
    ("tomorrow: call Li", "call Li", d(11, 26), None),
    ("meet the buyer at 3", "meet the buyer", d(11, 25), t(15)),
    ("send samples, Dec 5 10am", "send samples", d(12, 5), t(10)),
    ("fri", "", d(11, 27), None),
    ("下周五发报价", "发报价", d(12, 4), None),
    ("发报价 明天下午三点", "发报价", d(11, 26), t(15)),
    ("明天下午三点给李总打电话", "给李总打电话", d(11, 26), t(15)),
    ("寄样品，后天", "寄样品", d(11, 27), None),
]


@pytest.mark.parametrize(("text", "rest", "day", "at"), EDGES)
def test_find_when_at_edges(text: str, rest: str, day: date, at: time | None) -> None:
    assert find_when_at_edges(text, now=NOW, zone=ZONE) == (rest, When(day, at))


@pytest.mark.parametrize("text", ["send quote", "发报价", "", "call the 3 guys"])
def test_find_when_at_edges_without_a_date(text: str) -> None:
    assert find_when_at_edges(text, now=NOW, zone=ZONE) is None


# -- amounts --------------------------------------------------------------------------------

AMOUNTS: list[tuple[str, str, str | None]] = [
    ("12000", "12000", None),
    ("12k", "12000", None),
    ("12K", "12000", None),
    ("12.5k", "12500", None),
    ("1.2m", "1200000", None),
    ("1,200.50", "1200.50", None),
    ("1 200", "1200", None),
    ("1.200,50", "1200.50", None),
    ("12.345", "12345", None),
    ("1.005", "1005", None),
    ("99.90", "99.90", None),
    ("¥3000", "3000", "CNY"),
    ("￥3,000", "3000", "CNY"),
    ("3000元", "3000", "CNY"),
    ("3000 RMB", "3000", "CNY"),
    ("RMB3000", "3000", "CNY"),
    ("CNY 3000", "3000", "CNY"),
    ("人民币5000", "5000", "CNY"),
    ("$5,000", "5000", "USD"),
    ("US$5000", "5000", "USD"),
    ("5000 usd", "5000", "USD"),
    ("300美元", "300", "USD"),
    ("€2.5k", "2500", "EUR"),
    ("2500 EUR", "2500", "EUR"),
    ("£300", "300", "GBP"),
    ("HK$800", "800", "HKD"),
    ("800港币", "800", "HKD"),
    ("10000日元", "10000", "JPY"),
    ("1.2万", "12000", None),
    ("3万", "30000", None),
    ("3万元", "30000", "CNY"),
    ("1.5亿", "150000000", None),
    ("5千", "5000", None),
    ("三万", "30000", None),
    ("十二万", "120000", None),
    ("2万5", "25000", None),
    ("2万5千", "25000", None),
    ("三千五百元", "3500", "CNY"),
    ("1200万", "12000000", None),
    ("999999999999.99", "999999999999.99", None),
]


@pytest.mark.parametrize(("text", "amount", "currency"), AMOUNTS)
def test_parse_amount(text: str, amount: str, currency: str | None) -> None:
    assert parse_amount(text) == Money(Decimal(amount), currency)


REFUSED_AMOUNTS = [
    "",
    "0",
    "0.00",
    "-500",
    "12.345.6",
    "1.0055",
    "0.001",
    "lots",
    "12abc",
    "k",
    "$3000元",
    "usd 3000 eur",
    "1000000000000",
    "1,2,3",
    "万",
]


@pytest.mark.parametrize("text", REFUSED_AMOUNTS)
def test_parse_amount_refuses(text: str) -> None:
    assert parse_amount(text) is None


def test_amount_has_two_decimal_places() -> None:
    money = parse_amount("12k")
    assert money is not None
    assert str(money.amount) == "12000.00"


# -- quick capture ----------------------------------------------------------------------------

CAPTURES: list[tuple[str, Capture]] = [
    (
        "Acme: demo went well, they want 20 units; next: send quote fri",
        Capture("Acme", "demo went well, they want 20 units", "send quote", When(d(11, 27), None)),
    ),
    (
        "Acme Machinery: called Li, budget approved",
        Capture("Acme Machinery", "called Li, budget approved", None, None),
    ),
    (
        "宏达：演示很顺利，他们要20台；下一步：下周五发报价",
        Capture("宏达", "演示很顺利，他们要20台", "发报价", When(d(12, 4), None)),
    ),
    (
        "Brightway: price too high; next: call back; follow up: tomorrow 3pm",
        Capture("Brightway", "price too high", "call back", When(d(11, 26), t(15))),
    ),
    (
        "acme - met the buyer; next step: send samples in 2 weeks",
        Capture("acme", "met the buyer", "send samples", When(d(12, 9), None)),
    ),
    (
        "Northwind: met CFO; wants discount; Next Step: revise offer by next friday 3pm",
        Capture("Northwind", "met CFO; wants discount", "revise offer", When(d(12, 4), t(15))),
    ),
    (
        "华联：价格太高；跟进：明天下午三点",
        Capture("华联", "价格太高", None, When(d(11, 26), t(15))),
    ),
    (
        "金源: 老板不在\n下步：后天再去",
        Capture("金源", "老板不在", "再去", When(d(11, 27), None)),
    ),
    (
        "Delta Corp: trial started; then: check results; fu: asap",
        Capture("Delta Corp", "trial started", "check results; asap", None),
    ),
    (
        "Acme: next: call Li tomorrow at 10",
        Capture("Acme", "", "call Li", When(d(11, 26), t(10))),
    ),
    (
        "Zenith: good meeting; next: demo for the team",
        Capture("Zenith", "good meeting", "demo for the team", None),
    ),
    (
        "远大：签了合同；回访：12月5日下午2点",
        Capture("远大", "签了合同", None, When(d(12, 5), t(14))),
    ),
    (
        "Acme: when: fri",
        Capture("Acme", "", None, When(d(11, 27), None)),
    ),
    (
        "Golden Harvest: sampled new flavours; next: send price list mon",
        Capture("Golden Harvest", "sampled new flavours", "send price list", When(d(11, 30), None)),
    ),
    (
        "Pacific Steel: plant tour ok; next: quote 500t in 3 days",
        Capture("Pacific Steel", "plant tour ok", "quote 500t", When(d(11, 28), None)),
    ),
    (
        "Lotus Textiles: no answer; next: call again tomorrow morning",
        Capture("Lotus Textiles", "no answer", "call again", When(d(11, 26), t(9))),
    ),
    (
        "Sunrise Solar - CEO liked the proposal; next: contract draft by Dec 10",
        Capture("Sunrise Solar", "CEO liked the proposal", "contract draft", When(d(12, 10), None)),
    ),
    (
        "Riverside: site visit, measured the hall; next: drawings next week",
        Capture("Riverside", "site visit, measured the hall", "drawings", When(d(11, 30), None)),
    ),
    (
        "杭州绿源：见了刘总，样品已送到；下一步：三天后电话确认",
        Capture("杭州绿源", "见了刘总，样品已送到", "电话确认", When(d(11, 28), None)),
    ),
    (
        "北京华信：技术交流；下一步：下周一上午10点演示",
        Capture("北京华信", "技术交流", "演示", When(d(11, 30), t(10))),
    ),
    (
        "广州明珠：客户不在；跟进：后天",
        Capture("广州明珠", "客户不在", None, When(d(11, 27), None)),
    ),
    (
        "Evergreen Hospitals: 3 vendors shortlisted; next: send references; follow up: in 1 week",
        Capture(
            "Evergreen Hospitals",
            "3 vendors shortlisted",
            "send references",
            When(d(12, 2), None),
        ),
    ),
    (
        "Acme Tools: reorder of 50 spindles; next: confirm stock today 5pm",
        Capture("Acme Tools", "reorder of 50 spindles", "confirm stock", When(d(11, 25), t(17))),
    ),
    (
        "Brightway Logistics: complaint about late delivery",
        Capture("Brightway Logistics", "complaint about late delivery", None, None),
    ),
    (
        "Northstar Retail: store manager changed; next: meet the new one on Dec 3",
        Capture(
            "Northstar Retail", "store manager changed", "meet the new one", When(d(12, 3), None)
        ),
    ),
    (
        "Acme: demo; next: send quote 15/12",
        Capture("Acme", "demo", "send quote", When(d(12, 15), None)),
    ),
    (
        "Acme: meeting went long\nnext: follow up friday 2pm",
        Capture("Acme", "meeting went long", "follow up", When(d(11, 27), t(14))),
    ),
    (
        "宏达：报价已发；下一步：明天上午跟进",
        Capture("宏达", "报价已发", "跟进", When(d(11, 26), t(9))),
    ),
    (
        "Acme: call; next: 下周五",
        Capture("Acme", "call", "", When(d(12, 4), None)),
    ),
    (
        "Acme Machinery: visited with engineer; next: install plan in two weeks",
        Capture("Acme Machinery", "visited with engineer", "install plan", When(d(12, 9), None)),
    ),
    (
        "Acme: lunch with Li; next: invite to factory tour next month",
        Capture("Acme", "lunch with Li", "invite to factory tour", When(d(12, 25), None)),
    ),
    (
        "Acme: budget frozen; next: check back end of month",
        Capture("Acme", "budget frozen", "check back", When(d(11, 30), None)),
    ),
    (
        "Acme: sent catalogue; then: call tmr 11am",
        Capture("Acme", "sent catalogue", "call", When(d(11, 26), t(11))),
    ),
    (
        "绿源科技 - 技术对接完成；下一步：12月8日交付样机",
        Capture("绿源科技", "技术对接完成", "交付样机", When(d(12, 8), None)),
    ),
    (
        "Acme: 演示很好；next: 报价 明天下午三点",
        Capture("Acme", "演示很好", "报价", When(d(11, 26), t(15))),
    ),
    (
        "Acme: visit; next: send deck sat",
        Capture("Acme", "visit", "send deck", When(d(11, 28), None)),
    ),
    (
        "Acme: quick check-in call, all fine",
        Capture("Acme", "quick check-in call, all fine", None, None),
    ),
    (
        "Pacific Steel Works: 客户要样品；下一步：next tuesday 9am send samples",
        Capture("Pacific Steel Works", "客户要样品", "send samples", When(d(12, 1), t(9))),
    ),
    (
        "上海宏达机电有限公司：王经理出差；跟进：12月1日",
        Capture("上海宏达机电有限公司", "王经理出差", None, When(d(12, 1), None)),
    ),
    (
        "Acme: price accepted; next: draft contract; when: 2026-12-02 10:00",
        Capture("Acme", "price accepted", "draft contract", When(d(12, 2), t(10))),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CAPTURES)
def test_parse_capture(text: str, expected: Capture) -> None:
    assert parse_capture(text, now=NOW, zone=ZONE) == expected


@pytest.mark.parametrize(
    "text",
    ["", "demo went well", ": demo went well", "  - met the buyer", "next: send quote fri"],
)
def test_parse_capture_without_customer(text: str) -> None:
    assert parse_capture(text, now=NOW, zone=ZONE) is None


# -- labels where phone keyboards put them (after a comma, a full stop or a space) ---------------

AS_TYPED: list[tuple[str, Capture]] = [
    (
        "宏达：演示很顺利，下一步：下周五发报价",
        Capture("宏达", "演示很顺利", "发报价", When(d(12, 4), None)),
    ),
    (
        "Acme: demo went well, next: send quote fri",
        Capture("Acme", "demo went well", "send quote", When(d(11, 27), None)),
    ),
    (
        "宏达：演示很顺利，下一步下周五发报价",
        Capture("宏达", "演示很顺利", "发报价", When(d(12, 4), None)),
    ),
    (
        "宏达：样品已送到。下一步明天下午三点电话确认",
        Capture("宏达", "样品已送到", "电话确认", When(d(11, 26), t(15))),
    ),
    (
        "Acme: demo. Next: call tomorrow 10am",
        Capture("Acme", "demo", "call", When(d(11, 26), t(10))),
    ),
    (
        "Acme: demo went well next: send quote fri",
        Capture("Acme", "demo went well", "send quote", When(d(11, 27), None)),
    ),
    (
        "Acme: demo went well, Next Step：send quote fri",
        Capture("Acme", "demo went well", "send quote", When(d(11, 27), None)),
    ),
    (
        "Acme: demo, follow up: fri",
        Capture("Acme", "demo", None, When(d(11, 27), None)),
    ),
    (
        "华联：价格太高，跟进：明天下午三点",
        Capture("华联", "价格太高", None, When(d(11, 26), t(15))),
    ),
    (
        "宏达：演示很顺利。下一步：发报价，回访：下周五",
        Capture("宏达", "演示很顺利", "发报价", When(d(12, 4), None)),
    ),
    # Not labels: "next" in words or without a colon, 下一步 inside a sentence or before 的.
    (
        "Acme: we meet next week, all good",
        Capture("Acme", "we meet next week, all good", None, None),
    ),
    (
        "Acme: nextgen: line is ready, next steps unclear",
        Capture("Acme", "nextgen: line is ready, next steps unclear", None, None),
    ),
    (
        "Acme: context: they restock, annex: signed",
        Capture("Acme", "context: they restock, annex: signed", None, None),
    ),
    (
        "宏达：讨论了下一步计划",
        Capture("宏达", "讨论了下一步计划", None, None),
    ),
    (
        "宏达：演示很顺利，下一步的计划还没定",
        Capture("宏达", "演示很顺利，下一步的计划还没定", None, None),
    ),
]


@pytest.mark.parametrize(("text", "expected"), AS_TYPED)
def test_parse_capture_as_typed(text: str, expected: Capture) -> None:
    assert parse_capture(text, now=NOW, zone=ZONE) == expected
