"""Dates as reps write them (issue 12), family by family: clock words, an hour with a part of
the day, weekdays relative to a week, ordinals and days without a month, the Nth weekday of a
month, a weekday with a date, a day of this or next month, a time on a date, and in Chinese
Traditional characters and 下个月N号. Each family is tried with varied numbers, weekdays,
months and spellings, plus phrases that must not parse and dates inside sentences, which are
taken whole or not at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.parsing import When, find_when_at_edges, parse_when

# Wednesday 2026-11-25, 09:00 in Shanghai. This week runs Mon 23 – Sun 29 November.
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
# Saturday 2026-11-28, 10:00 and 17:00 in Shanghai; Sunday 2026-11-29, 10:00.
SATURDAY = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SATURDAY_EVENING = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def t(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


Case = tuple[str, date, time | None]

CLOCK_WORDS: list[Case] = [
    ("a quarter past 4pm", d(11, 25), t(16, 15)),
    ("quarter past four pm", d(11, 25), t(16, 15)),
    ("ten after 9", d(11, 25), t(9, 10)),
    ("twenty after eleven", d(11, 25), t(11, 20)),
    ("half past 2 pm", d(11, 25), t(14, 30)),
    ("half-past two in the afternoon", d(11, 25), t(14, 30)),
    ("twenty-five past 3", d(11, 25), t(15, 25)),
    ("5 minutes past 10am", d(11, 25), t(10, 5)),
    ("a quarter to 6", d(11, 25), t(17, 45)),
    ("twenty to five", d(11, 25), t(16, 40)),
    # The hour named decides: 7 is morning, so 06:50 has passed and it is tomorrow's.
    ("ten to seven", d(11, 26), t(6, 50)),
    ("10 minutes to 5pm on friday", d(11, 27), t(16, 50)),
    ("5 mins before noon", d(11, 25), t(11, 55)),
    ("a quarter past noon", d(11, 25), t(12, 15)),
    ("quarter to midnight", d(11, 25), t(23, 45)),
    ("eleven fifteen am", d(11, 25), t(11, 15)),
    ("nine forty-five pm", d(11, 25), t(21, 45)),
    ("seven thirty", d(11, 26), t(7, 30)),
    ("ten oh five", d(11, 25), t(10, 5)),
    ("at five", d(11, 25), t(17)),
    ("six pm", d(11, 25), t(18)),
    ("twelve noon", d(11, 25), t(12)),
    ("tomorrow at half past 3", d(11, 26), t(15, 30)),
    ("friday at ten to 4", d(11, 27), t(15, 50)),
]

HOUR_WITH_PART_OF_DAY: list[Case] = [
    ("4 o'clock in the afternoon", d(11, 25), t(16)),
    ("4 o’clock in the afternoon", d(11, 25), t(16)),
    ("9 tonight", d(11, 25), t(21)),
    ("seven tonight", d(11, 25), t(19)),
    ("at 7 in the evening", d(11, 25), t(19)),
    ("eight in the morning", d(11, 26), t(8)),
    ("11 at night", d(11, 25), t(23)),
    ("6 this evening", d(11, 25), t(18)),
    ("10 tomorrow morning", d(11, 26), t(10)),
    ("8 tomorrow night", d(11, 26), t(20)),
    ("3 friday afternoon", d(11, 27), t(15)),
    ("monday at 9 in the morning", d(11, 30), t(9)),
    ("friday night", d(11, 27), t(20)),
    ("tonight at a quarter to 9", d(11, 25), t(20, 45)),
]

WEEKDAYS_OF_A_WEEK: list[Case] = [
    ("thursday of next week", d(12, 3), None),
    ("monday next week", d(11, 30), None),
    ("sunday of next week", d(12, 6), None),
    ("next week friday", d(12, 4), None),
    ("next week on tuesday", d(12, 1), None),
    ("tuesday after next", d(12, 8), None),
    ("the friday after next", d(12, 11), None),
    ("thursday of the week after next", d(12, 10), None),
    ("wednesday of this week", d(11, 25), None),
    ("monday of this week", d(11, 23), None),
    ("wed in two weeks", d(12, 9), None),
    ("this thursday", d(11, 26), None),
    ("this wednesday", d(11, 25), None),
    ("last friday", d(11, 20), None),
    ("this weekend", d(11, 28), None),
    ("next weekend", d(12, 5), None),
    ("the week after next", d(12, 7), None),
]

ORDINALS_AND_DAYS: list[Case] = [
    ("april second", d(4, 2, 2027), None),
    ("the fifth of june", d(6, 5, 2027), None),
    ("march the 3rd", d(3, 3, 2027), None),
    ("the twenty-first of december", d(12, 21), None),
    ("second of january", d(1, 2, 2027), None),
    ("july thirty-first", d(7, 31, 2027), None),
    ("on the 21st", d(12, 21), None),
    ("the 28th", d(11, 28), None),
    ("the thirtieth", d(11, 30), None),
    ("the 1st", d(12, 1), None),
    ("the 25th", d(11, 25), None),
    ("22nd", d(12, 22), None),
]

NTH_WEEKDAY: list[Case] = [
    ("second monday of may", d(5, 10, 2027), None),
    ("last thursday of november", d(11, 26), None),
    ("the first friday of next month", d(12, 4), None),
    ("the 3rd tuesday in january", d(1, 19, 2027), None),
    ("fourth wednesday of december", d(12, 23), None),
    ("last friday of the month", d(11, 27), None),
    ("the last day of february", d(2, 28, 2027), None),
    ("first monday of june 2027", d(6, 7, 2027), None),
]

WEEKDAY_WITH_DATE: list[Case] = [
    ("Tue, Dec 1", d(12, 1), None),
    ("Friday the 22nd", d(1, 22, 2027), None),
    ("Monday, December 7th", d(12, 7), None),
    ("Sat the 28th", d(11, 28), None),
    ("Fri (Dec 4)", d(12, 4), None),
    ("Dec 4, Friday", d(12, 4), None),
    ("Friday, January 1, 2027", d(1, 1, 2027), None),
]

DAY_OF_THIS_OR_NEXT_MONTH: list[Case] = [
    ("the 10th of next month", d(12, 10), None),
    ("15 of this month", d(11, 15), None),
    ("next month on the 3rd", d(12, 3), None),
    ("the 31st of next month", d(12, 31), None),
    ("the fifth of the month", d(12, 5), None),
    ("end of next month", d(12, 31), None),
]

TIME_ON_A_DATE: list[Case] = [
    ("at 4:15 PM on Wed, Dec 9", d(12, 9), t(16, 15)),
    ("the 10th of next month at 3pm", d(12, 10), t(15)),
    ("thursday next week at 2pm", d(12, 3), t(14)),
    ("10am on the fifth of june", d(6, 5, 2027), t(10)),
    ("Friday the 22nd at noon", d(1, 22, 2027), t(12)),
    ("a quarter past 4 tomorrow", d(11, 26), t(16, 15)),
    ("second monday of may at 9:30", d(5, 10, 2027), t(9, 30)),
]

ENGLISH: list[Case] = (
    CLOCK_WORDS
    + HOUR_WITH_PART_OF_DAY
    + WEEKDAYS_OF_A_WEEK
    + ORDINALS_AND_DAYS
    + NTH_WEEKDAY
    + WEEKDAY_WITH_DATE
    + DAY_OF_THIS_OR_NEXT_MONTH
    + TIME_ON_A_DATE
)

TRADITIONAL: list[Case] = [
    ("下週四", d(12, 3), None),
    ("這週五", d(11, 27), None),
    ("大後天", d(11, 28), None),
    ("後天", d(11, 27), None),
    ("下個月十五號", d(12, 15), None),
    ("下個月一號", d(12, 1), None),
    ("週日", d(11, 29), None),
    ("禮拜三", d(12, 2), None),
    ("下個禮拜一", d(11, 30), None),
    ("這個禮拜天", d(11, 29), None),
    ("星期五晚上八點", d(11, 27), t(20)),
    ("明天下午三點鐘", d(11, 26), t(15)),
    ("後天上午十點半", d(11, 27), t(10, 30)),
    ("下午兩點", d(11, 25), t(14)),
    ("淩晨兩點", d(11, 26), t(2)),
    ("兩週後", d(12, 9), None),
    ("三個月後", d(2, 25, 2027), None),
    ("一個星期後", d(12, 2), None),
    ("兩個小時後", d(11, 25), t(11)),
    ("十五分鐘後", d(11, 25), t(9, 15)),
    ("半小時後", d(11, 25), t(9, 30)),
    ("12月25號", d(12, 25), None),
    ("十二月三十一號晚上", d(12, 31), t(20)),
    ("這個月底", d(11, 30), None),
    ("下個月底", d(12, 31), None),
    ("本月二十八號", d(11, 28), None),
    ("下下週二", d(12, 8), None),
    ("上週五", d(11, 20), None),
    ("下週末", d(12, 5), None),
    ("下週三上午10點", d(12, 2), t(10)),
    ("今晚八點半", d(11, 25), t(20, 30)),
    ("2027年1月5號", d(1, 5, 2027), None),
    ("明年3月1號", d(3, 1, 2027), None),
    ("十點一刻", d(11, 25), t(10, 15)),
    ("三點差五分", d(11, 25), t(14, 55)),
    ("下個月十五號下午三點", d(12, 15), t(15)),
]

SIMPLIFIED: list[Case] = [
    ("下个月十五号", d(12, 15), None),
    ("下个月15号", d(12, 15), None),
    ("下月5号", d(12, 5), None),
    ("下月十号", d(12, 10), None),
    ("下一个月二十号", d(12, 20), None),
    ("下个月的3日", d(12, 3), None),
    ("下个月三十一号", d(12, 31), None),
    ("这个月30号", d(11, 30), None),
    ("这个月二十号", d(11, 20), None),
    ("本月28号", d(11, 28), None),
    ("本月三十日", d(11, 30), None),
    ("下个月十五号下午三点", d(12, 15), t(15)),
    ("本月28号上午10点", d(11, 28), t(10)),
    ("下个月一号上午九点", d(12, 1), t(9)),
    ("下月底", d(12, 31), None),
    ("下下周三", d(12, 9), None),
    ("上周一", d(11, 16), None),
    ("周末", d(11, 28), None),
    ("下周末", d(12, 5), None),
    ("五月的第二个星期一", d(5, 10, 2027), None),
    ("下个月第一个周五", d(12, 4), None),
    ("11月最后一个星期四", d(11, 26), None),
    ("12月4日(周五)", d(12, 4), None),
    ("三点整", d(11, 25), t(15)),
    ("下午两点过十分", d(11, 25), t(14, 10)),
    ("差一刻十点", d(11, 25), t(9, 45)),
    ("三点左右", d(11, 25), t(15)),
    ("下周五前", d(12, 4), None),
    ("12月5日之前", d(12, 5), None),
    ("今年12月31号", d(12, 31), None),
    ("明天晚上七点半", d(11, 26), t(19, 30)),
]

CHINESE: list[Case] = TRADITIONAL + SIMPLIFIED


def test_there_are_enough_new_phrases() -> None:
    assert len(ENGLISH) >= 60
    assert len(CHINESE) >= 60
    assert len({text for text, _, _ in ENGLISH + CHINESE}) == len(ENGLISH + CHINESE)


@pytest.mark.parametrize(("text", "day", "at"), ENGLISH)
def test_english(text: str, day: date, at: time | None) -> None:
    assert parse_when(text, now=NOW, zone=ZONE) == When(day, at)


@pytest.mark.parametrize(("text", "day", "at"), CHINESE)
def test_chinese(text: str, day: date, at: time | None) -> None:
    assert parse_when(text, now=NOW, zone=ZONE) == When(day, at)


@pytest.mark.parametrize(
    ("now", "text", "day", "at"),
    [
        # Saturday: this week's Thursday and Monday have passed, so "this" is the coming one;
        # "of this week" and 这周 stay in this week.
        (SATURDAY, "this thursday", d(12, 3), None),
        (SATURDAY, "this monday", d(11, 30), None),
        (SATURDAY, "this saturday", d(11, 28), None),
        (SATURDAY, "this sunday", d(11, 29), None),
        (SATURDAY, "this fri 3pm", d(12, 4), t(15)),
        (SATURDAY, "thursday of this week", d(11, 26), None),
        (SATURDAY, "这周四", d(11, 26), None),
        (SATURDAY, "下週四", d(12, 3), None),
        (SATURDAY, "thursday", d(12, 3), None),
        (SATURDAY, "this weekend", d(11, 28), None),
        (SUNDAY, "this weekend", d(11, 29), None),
        (SUNDAY, "this saturday", d(12, 5), None),
        (SUNDAY, "next week monday", d(11, 30), None),
        # A time already past today with no day is tomorrow's; with a part of the day it
        # stays on that day.
        (SATURDAY_EVENING, "a quarter past 4pm", d(11, 29), t(16, 15)),
        (SATURDAY_EVENING, "ten to 6", d(11, 28), t(17, 50)),
        (SATURDAY_EVENING, "9 tonight", d(11, 28), t(21)),
        (SATURDAY_EVENING, "三点差五分", d(11, 29), t(14, 55)),
        # The last Thursday of November has passed: next year's.
        (SATURDAY, "last thursday of november", d(11, 25, 2027), None),
    ],
)
def test_at_another_now(now: datetime, text: str, day: date, at: time | None) -> None:
    assert parse_when(text, now=now, zone=ZONE) == When(day, at)


REFUSED = [
    "fri 10",  # the 10th, or 10 o'clock?
    "4 tomorrow",
    "5 to 6",  # a range
    "ten",
    "quarter past",
    "a quarter to",
    "half",
    "3 tonight",
    "twenty-first",
    "the 32nd",
    "the 31st of february",
    "fifth friday of december",  # December 2026 has four
    "Thursday, Mar 7",  # 7 March 2027 is a Sunday
    "friday the 31st",  # no Friday the 31st within a year
    "quarter past 13pm",
    "thirteen o'clock",
    "every monday",
    "after friday",
    "下个月32号",
    "本月0号",
    "下下周",
    "晚上2点",
    "三点差六十分",
    "下个月第六个周五",
    "周五(12月5日)",  # 5 December is a Saturday
    "十三月五号",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused(text: str) -> None:
    assert parse_when(text, now=NOW, zone=ZONE) is None


EDGES: list[tuple[str, str, date, time | None]] = [
    ("call back a quarter past 4pm", "call back", d(11, 25), t(16, 15)),
    ("call back quarter-past 4pm", "call back", d(11, 25), t(16, 15)),
    ("send quote the 10th of next month", "send quote", d(12, 10), None),
    ("review contract thursday of next week", "review contract", d(12, 3), None),
    ("send deck to Li 10 tomorrow morning", "send deck to Li", d(11, 26), t(10)),
    ("demo on second monday of may", "demo", d(5, 10, 2027), None),
    ("call at 4:15 PM on Wed, Dec 9", "call", d(12, 9), t(16, 15)),
    ("send 5 samples friday the 4th", "send 5 samples", d(12, 4), None),
    ("meet the new one on Dec 3", "meet the new one", d(12, 3), None),
    ("a quarter to 6: call Li", "call Li", d(11, 25), t(17, 45)),
    ("thursday of next week - site visit", "site visit", d(12, 3), None),
    ("下个月十五号发报价", "发报价", d(12, 15), None),
    ("下週四下午兩點半給王總打電話", "給王總打電話", d(12, 3), t(14, 30)),
    ("打电话给王总下個月十五號", "打电话给王总", d(12, 15), None),
    ("周五前发报价", "发报价", d(11, 27), None),
    ("明天上门拜访", "上门拜访", d(11, 26), None),
    ("跟进一下 明天", "跟进一下", d(11, 26), None),
    ("发报价 下个月 十五号", "发报价", d(12, 15), None),
]


@pytest.mark.parametrize(("text", "rest", "day", "at"), EDGES)
def test_whole_phrase_taken_off_an_edge(text: str, rest: str, day: date, at: time | None) -> None:
    assert find_when_at_edges(text, now=NOW, zone=ZONE) == (rest, When(day, at))


@pytest.mark.parametrize(
    "text",
    [
        "call 5 to 6pm",  # "6pm" is the end of a range
        "meet between 3 and 5pm",
        "follow up every monday",
        "call tomorrow or friday",
        "send 4 tomorrow",  # 4pm, or four of them?
        "call after friday",
        "send the invoice end of next week",
        "friday the 31st call",
        "例会改到每周五",
        "周一到周五",
        "下个月 三十二号",
    ],
)
def test_nothing_partial_is_taken(text: str) -> None:
    assert find_when_at_edges(text, now=NOW, zone=ZONE) is None
