"""Dates and times as reps type them ("fri 3pm", "a quarter past 4pm", "thursday of next week",
"下周五上午10点", "下個月十五號") turned into `When` values; `find_when_at_edges` finds such a
phrase at the start or end of a sentence.

Everything is resolved against an explicit `now` and IANA zone; nothing reads the clock. Text is
read in lower case after NFKC, with the Traditional characters of date phrases read as
Simplified (週→周, 這→这, 後→后, 個→个, 號→号, 點→点, 鐘→钟, 兩→两, 禮→礼 …).

How ambiguous phrases are resolved, relative to `now` in the person's zone:

- A time with no day ("3pm", "a quarter to 6", "下午三点") is today if still ahead, else
  tomorrow. A time with a part of the day ("tonight", "this evening") stays on that day.
- An hour without am/pm or a part of the day: 1–6 is afternoon ("at 3" is 15:00), 7–12 as
  written; a hour written with a leading zero ("09:00") or above 12 is 24-hour. For "ten to 7"
  the hour named (7) decides, so it is 06:50; "a quarter to 6" is 17:45.
- A bare number is an hour only next to a part of the day: "9 tonight", "10 tomorrow morning",
  "7 in the evening"; "fri 10" and "4 tomorrow" are not understood.
- A weekday alone ("fri", "周五") is the next such day after today (a week ahead on that day).
  "this fri" is this week's Friday, or the coming one once this week's has passed; "next fri"
  and "下周五" are next week's (weeks run Monday to Sunday); "fri of this week", "本周五" and
  "这周五" are this week's even if already past; "tuesday after next", "下下周二" the week
  after next; "last fri" the most recent one before today.
- A date without a year ("Dec 25", "12月25日") is the next one (today counts); a day without a
  month ("the 21st", "25号") is this month's, or the next month's that has it once past.
  A date in a month named relative to now ("the 10th of next month", "本月3号") or with a year
  is taken as written, even if already past.
- A weekday with a date ("Thursday, Mar 7", "Friday the 22nd") must agree with it: the first
  such date within a year from today, else not understood.
- "the second monday of may": this year's if not past, else next year's.

`find_when_at_edges` takes a whole date phrase off either end or nothing: when the words next
to the phrase could belong to it ("… of next month", "5 to 6pm", "every monday", "tonight at
5", "十五号…", "明天3 …", "明天到周五") it takes nothing rather than part of a phrase."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.parsing.numerals import CN_DIGITS, EN_UNITS_WORDS, whole_number

__all__ = ["When", "find_when_at_edges", "parse_when"]


@dataclass(frozen=True)
class When:
    """A day, and the time of day when one was given (local to the person's zone)."""

    day: date
    time: dt.time | None

    def instant(self, zone: str) -> datetime:
        """The aware UTC instant: `day` at `time` (or midnight) local in `zone`."""
        local = datetime.combine(self.day, self.time or time(0), tzinfo=ZoneInfo(zone))
        return local.astimezone(UTC)


# -- building blocks ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    now: datetime  # aware, in the person's zone
    weekday: int | None = None  # a weekday the date must fall on ("Friday the 22nd")

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def monday(self) -> date:
        return self.today - timedelta(days=self.today.weekday())


@dataclass(frozen=True)
class _Day:
    day: date
    default: time | None = None  # "tonight" → 20:00
    period: str | None = None  # "tonight" makes "at 8" mean 20:00


@dataclass(frozen=True)
class _Clock:
    hour: int | None  # None: a word standing for a fixed time ("noon", "下午")
    minute: int = 0
    meridiem: str | None = None  # "am" / "pm" written after the number
    period: str | None = None  # "am", "pm", "night", "noon", "early"
    literal: bool = False  # hour written with a leading zero ("09:00"): take it as 24-hour
    default: time | None = None
    offset: int = 0  # minutes added once the hour is known: "ten to 6" is 6:00 - 10
    bare: bool = False  # a lone number ("9"): an hour only next to a part of the day


_DayFn = Callable[[re.Match[str], _Ctx], _Day | None]
_ClockFn = Callable[[re.Match[str]], _Clock | None]
_ExactFn = Callable[[re.Match[str], _Ctx], When | None]

_DAY_RULES: list[tuple[re.Pattern[str], _DayFn]] = []
_CLOCK_RULES: list[tuple[re.Pattern[str], _ClockFn]] = []
_EXACT_RULES: list[tuple[re.Pattern[str], _ExactFn]] = []


def _day_rule(pattern: str) -> Callable[[_DayFn], _DayFn]:
    def register(fn: _DayFn) -> _DayFn:
        _DAY_RULES.append((re.compile(pattern), fn))
        return fn

    return register


def _clock_rule(pattern: str) -> Callable[[_ClockFn], _ClockFn]:
    def register(fn: _ClockFn) -> _ClockFn:
        _CLOCK_RULES.append((re.compile(pattern), fn))
        return fn

    return register


def _exact_rule(pattern: str) -> Callable[[_ExactFn], _ExactFn]:
    def register(fn: _ExactFn) -> _ExactFn:
        _EXACT_RULES.append((re.compile(pattern), fn))
        return fn

    return register


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "wednesday": 2,
    "weds": 2,
    "wed": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
}

# English numbers in words: cardinals 1–59 (minutes), ordinals 1–31 (days of the month).
_EN_UNITS_WORDS = list(EN_UNITS_WORDS)
_EN_TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50}
_EN_ORDINAL_UNITS = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
]
_EN_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}


def _compounds(tens: dict[str, int], units: list[str], limit: int) -> dict[str, int]:
    """'twenty-one', 'twenty one', 'twentyone' … for every tens word and unit up to `limit`."""
    words: dict[str, int] = {}
    for tens_word, value in tens.items():
        for unit in range(1, 10):
            if value + unit <= limit:
                for separator in ("-", " ", ""):
                    words[f"{tens_word}{separator}{units[unit]}"] = value + unit
    return words


_EN_CARDINALS = {w: i for i, w in enumerate(_EN_UNITS_WORDS) if i}
_EN_CARDINALS.update(_EN_TENS_WORDS)
_EN_CARDINALS.update(_compounds(_EN_TENS_WORDS, _EN_UNITS_WORDS, 59))
_EN_ORDINALS = {w: i for i, w in enumerate(_EN_ORDINAL_UNITS) if i}
_EN_ORDINALS.update(_EN_ORDINAL_TENS)
_EN_ORDINALS.update(_compounds({"twenty": 20, "thirty": 30}, _EN_ORDINAL_UNITS, 31))
_EN_HOUR_WORDS = {w: i for w, i in _EN_CARDINALS.items() if i <= 12}
_EN_MINUTE_WORDS = {w: i for w, i in _EN_CARDINALS.items() if i >= 10}  # "eleven fifteen"

_CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "7": 6}
_CN_WEEKDAYS.update({str(i): i - 1 for i in range(1, 7)})

_WD = _alternation(_WEEKDAYS)
_MON = _alternation(_MONTHS)
_NUM = rf"\d{{1,4}}|{_alternation(_NUMBER_WORDS)}"
_CN_NUM = r"\d{1,4}|[零〇一二两三四五六七八九十]{1,4}"
_CN_WD = r"(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
_ORDW = _alternation(_EN_ORDINALS)
_DAYNUM = rf"\d{{1,2}}(?:st|nd|rd|th)|{_ORDW}"  # "21st", "twenty-first": a day by itself
_DAYANY = rf"\d{{1,2}}(?:st|nd|rd|th)?|{_ORDW}"  # also "21" when a month is named
_HW = _alternation(_EN_HOUR_WORDS)
_MINW = _alternation(_EN_CARDINALS)
_MER = r"a\.?m\.?|p\.?m\.?"
_TOMORROW = r"tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|tmrow|tmw"
_IN_SUFFIX = r"(?: from now| later| time)?"

_EN_PERIODS = {
    "morning": ("am", 9),
    "afternoon": ("pm", 14),
    "evening": ("pm", 18),
    "night": ("night", 20),
}
_CN_PERIODS: dict[str, tuple[str, int | None]] = {
    "早上": ("am", 9),
    "早晨": ("am", 9),
    "上午": ("am", 9),
    "早": ("am", None),
    "中午": ("noon", 12),
    "下午": ("pm", 14),
    "傍晚": ("pm", 18),
    "晚上": ("night", 20),
    "晚": ("night", None),
    "夜里": ("night", None),
    "凌晨": ("early", None),
}
_FIXED_TIMES = {
    "noon": 12,
    "midday": 12,
    "midnight": 0,
    "eod": 17,
    "end of day": 17,
    "end of the day": 17,
    "cob": 17,
    "close of business": 17,
}
_CN_PERIOD = _alternation(_CN_PERIODS)
_AT = r"(?:at |@ ?)?"

# Which week a weekday is in, as English and Chinese write it.
_EN_WEEK_REF = {
    "this": "this_week",
    "next": "next_week",
    "the next": "next_week",
    "following": "next_week",
    "the following": "next_week",
    "coming": "next_week",
    "the coming": "next_week",
}
_EN_MONTH_REF = {
    "this": 0,
    "the": 0,
    "next": 1,
    "the next": 1,
    "following": 1,
    "the following": 1,
    "coming": 1,
    "the coming": 1,
}
_WEEK_REF = _alternation(_EN_WEEK_REF)
_MONTH_REF = _alternation(_EN_MONTH_REF)
_CN_MONTH_REF = r"下一个月|下个月|下一月|下月|这个月|这月|本月|当月"


def _cn_int(text: str) -> int | None:
    """An integer written in ASCII digits or small Chinese numerals (二十五, 两, 十一)."""
    if text.isascii() and text.isdigit():
        return int(text)
    return whole_number(text)


def _cn_year(text: str) -> int | None:
    if text.isascii() and text.isdigit():
        return int(text)
    if all(c in CN_DIGITS for c in text):
        return int("".join(str(CN_DIGITS[c]) for c in text))
    return None


def _count(text: str) -> int | None:
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    return _cn_int(text)


def _en_day_number(text: str) -> int | None:
    """A day of the month written "21", "21st" or "twenty-first"."""
    if text in _EN_ORDINALS:
        return _EN_ORDINALS[text]
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", text)
    return int(digits[1]) if digits else None


def _add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _in_month(first: date, day: int) -> _Day | None:
    """Day `day` of the month starting `first`, if it has one."""
    if not 1 <= day <= calendar.monthrange(first.year, first.month)[1]:
        return None
    return _Day(first.replace(day=day))


def _ymd(year: int | None, month: int, day: int, ctx: _Ctx) -> _Day | None:
    """A calendar date; without a year, this year's unless already past (then next year's)."""
    try:
        if year is not None:
            if year < 100:
                year += 2000
            return _Day(date(year, month, day)) if 2000 <= year <= 2100 else None
        candidate = date(ctx.today.year, month, day)
    except ValueError:
        return None
    if candidate < ctx.today:
        try:
            candidate = date(ctx.today.year + 1, month, day)
        except ValueError:
            return None
    return _Day(candidate)


def _day_of_month(day: int, ctx: _Ctx) -> _Day | None:
    """The `day`th of this month, or of the next month that has one once past; with a weekday
    to fall on ("Friday the 22nd"), the first such date within a year."""
    if not 1 <= day <= 31:
        return None
    first = ctx.today.replace(day=1)
    for months in range(13):
        found = _in_month(_add_months(first, months), day)
        if found is None or found.day < ctx.today:
            continue
        if ctx.weekday is None or found.day.weekday() == ctx.weekday:
            return found
        if found.day > ctx.today + timedelta(days=366):
            break
    return None


def _nth_weekday(first: date, n: int, weekday: int) -> date | None:
    """The `n`th (1–5; -1 for the last) `weekday` of the month starting `first`."""
    last = _month_end(first)
    if n < 0:
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    found = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    return found if found <= last else None


def _weekday(which: str | None, weekday: int, ctx: _Ctx) -> _Day:
    """`weekday` in the week `which` names (see the module docstring); None: the next one
    after today."""
    if which == "this_week":
        return _Day(ctx.monday + timedelta(days=weekday))
    if which == "coming":
        this_week = ctx.monday + timedelta(days=weekday)
        return _Day(this_week if this_week >= ctx.today else this_week + timedelta(days=7))
    if which == "next_week":
        return _Day(ctx.monday + timedelta(days=7 + weekday))
    if which == "week_after_next":
        return _Day(ctx.monday + timedelta(days=14 + weekday))
    if which == "last_week":
        return _Day(ctx.monday + timedelta(days=weekday - 7))
    if which == "last":
        back = (ctx.today.weekday() - weekday - 1) % 7 + 1
        return _Day(ctx.today - timedelta(days=back))
    ahead = (weekday - ctx.today.weekday() - 1) % 7 + 1
    return _Day(ctx.today + timedelta(days=ahead))


def _shift(ctx: _Ctx, unit: str, n: int) -> _Day | When:
    if unit == "minute":
        local = (ctx.now.astimezone(UTC) + timedelta(minutes=n)).astimezone(ctx.now.tzinfo)
        return When(local.date(), local.time())
    if unit == "hour":
        local = (ctx.now.astimezone(UTC) + timedelta(hours=n)).astimezone(ctx.now.tzinfo)
        return When(local.date(), local.time())
    if unit == "day":
        return _Day(ctx.today + timedelta(days=n))
    if unit == "week":
        return _Day(ctx.today + timedelta(weeks=n))
    return _Day(_add_months(ctx.today, n))


_EN_UNITS = {
    "minutes": "minute",
    "minute": "minute",
    "mins": "minute",
    "min": "minute",
    "hours": "hour",
    "hour": "hour",
    "hrs": "hour",
    "hr": "hour",
    "h": "hour",
    "days": "day",
    "day": "day",
    "d": "day",
    "weeks": "week",
    "week": "week",
    "wks": "week",
    "wk": "week",
    "w": "week",
    "months": "month",
    "month": "month",
}
_CN_UNITS = {
    "分钟": "minute",
    "个小时": "hour",
    "小时": "hour",
    "个钟头": "hour",
    "钟头": "hour",
    "天": "day",
    "日": "day",
    "周": "week",
    "个周": "week",
    "星期": "week",
    "个星期": "week",
    "礼拜": "week",
    "个礼拜": "week",
    "个月": "month",
}
_SHORT_UNITS = {"h", "d", "w"}

# -- days -----------------------------------------------------------------------------------


@_day_rule(r"today|今天|今日")
def _today(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today)


@_day_rule(r"tonight|tonite|今晚")
def _tonight(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today, time(20), "night")


@_day_rule(r"this (?P<p>morning|afternoon|evening)")
def _this_period(m: re.Match[str], ctx: _Ctx) -> _Day:
    period, hour = _EN_PERIODS[m["p"]]
    return _Day(ctx.today, time(hour), period)


@_day_rule(r"今早")
def _this_morning_cn(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today, time(9), "am")


@_day_rule(rf"{_TOMORROW}|明天|明日|明儿")
def _tomorrow(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today + timedelta(days=1))


@_day_rule(r"明早|明晨")
def _tomorrow_morning_cn(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today + timedelta(days=1), time(9), "am")


@_day_rule(r"明晚")
def _tomorrow_night_cn(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today + timedelta(days=1), time(20), "night")


@_day_rule(rf"(?:the )?day after (?:{_TOMORROW})|overmorrow|后天")
def _day_after_tomorrow(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today + timedelta(days=2))


@_day_rule(r"大后天")
def _in_three_days_cn(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today + timedelta(days=3))


@_day_rule(r"yesterday|昨天|昨日")
def _yesterday(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today - timedelta(days=1))


@_day_rule(r"前天")
def _day_before_yesterday(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.today - timedelta(days=2))


@_day_rule(rf"(?:(?P<which>this coming|this|next|coming|last) )?(?P<wd>{_WD})")
def _weekday_en(m: re.Match[str], ctx: _Ctx) -> _Day:
    which = {"this": "coming", "next": "next_week", "last": "last"}.get(m["which"] or "")
    return _weekday(which, _WEEKDAYS[m["wd"]], ctx)


@_day_rule(
    rf"(?:the )?(?P<wd>{_WD}),? (?:of |in |on )?(?:the )?(?P<w>{_WEEK_REF}) week"
    rf"|(?P<w2>{_WEEK_REF}) week(?:'s)?,? (?:on )?(?:the )?(?P<wd2>{_WD})"
)
def _weekday_of_week_en(m: re.Match[str], ctx: _Ctx) -> _Day:
    """ "thursday of next week", "monday next week", "next week thursday", "fri this week"."""
    which = _EN_WEEK_REF[m["w"] or m["w2"]]
    return _weekday(which, _WEEKDAYS[m["wd"] or m["wd2"]], ctx)


@_day_rule(
    rf"(?:the )?(?P<wd>{_WD})(?:,? (?:of |in |on )?(?:the )?week)? after next"
    rf"|(?:the )?week after next,? (?:on )?(?:the )?(?P<wd2>{_WD})"
)
def _weekday_after_next_en(m: re.Match[str], ctx: _Ctx) -> _Day:
    """ "tuesday after next", "friday of the week after next": the week after next week."""
    return _weekday("week_after_next", _WEEKDAYS[m["wd"] or m["wd2"]], ctx)


@_day_rule(rf"(?:the )?(?P<wd>{_WD}) in (?P<n>{_NUM}) weeks?(?: time)?")
def _weekday_in_weeks_en(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "monday in two weeks": that weekday in the week two weeks from today."""
    n = _count(m["n"])
    if n is None:
        return None
    later = ctx.today + timedelta(weeks=n)
    return _Day(later - timedelta(days=later.weekday()) + timedelta(days=_WEEKDAYS[m["wd"]]))


@_day_rule(r"(?:the )?week after next")
def _week_after_next_en(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.monday + timedelta(days=14))


@_day_rule(
    r"(?P<which>this |the |next )?weekend"
    r"|(?P<cn>这个|这|本|下个|下一个|下一|下)?(?:周末|礼拜六日)"
)
def _weekend(m: re.Match[str], ctx: _Ctx) -> _Day:
    """The weekend is its Saturday (Sunday once that has passed); "next weekend" is next
    week's."""
    if m["which"] == "next " or (m["cn"] or "").startswith("下"):
        return _Day(ctx.monday + timedelta(days=12))
    return _Day(max(ctx.monday + timedelta(days=5), ctx.today))


@_day_rule(
    rf"(?P<which>下下个|下下|这个|这|本|下个|下一个|下一|下|上个|上一个|上){_CN_WD}"
    rf"|{_CN_WD.replace('wd', 'wd2')}"
)
def _weekday_cn(m: re.Match[str], ctx: _Ctx) -> _Day:
    which = None
    if m["which"]:
        if m["which"].startswith("下下"):
            which = "week_after_next"
        elif m["which"].startswith("下"):
            which = "next_week"
        elif m["which"].startswith("上"):
            which = "last_week"
        else:
            which = "this_week"
    return _weekday(which, _CN_WEEKDAYS[m["wd"] or m["wd2"]], ctx)


@_day_rule(r"next week|nxt week|下个?(?:周|星期|礼拜)|下一个?(?:周|星期|礼拜)")
def _next_week(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.monday + timedelta(days=7))


@_day_rule(r"next month|下个?月|下一个?月")
def _next_month(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(_add_months(ctx.today, 1))


@_day_rule(r"(?:the )?end of (?:the |this )?month|eom|month end|(?:本|这个|这)?月[底末]")
def _end_of_month(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(_month_end(ctx.today))


@_day_rule(
    r"(?:the )?end of (?:the )?(?:next|following) month|next month end|(?:下一?个?|下)月[底末]"
)
def _end_of_next_month(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(_month_end(_add_months(ctx.today.replace(day=1), 1)))


@_day_rule(r"(?:the )?end of (?:the |this )?week|eow")
def _end_of_week(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.monday + timedelta(days=4))


@_day_rule(
    rf"(?:in )?(?P<n>{_NUM}) ?(?P<u>days|day|weeks|week|wks|wk|months|month|d|w){_IN_SUFFIX}"
)
def _in_days_en(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    n = _count(m["n"])
    if n is None or (m["u"] in _SHORT_UNITS and not m["n"].isdigit()):
        return None
    shifted = _shift(ctx, _EN_UNITS[m["u"]], n)
    return shifted if isinstance(shifted, _Day) else None


@_day_rule(rf"过?(?P<n>{_CN_NUM})(?P<u>天|日|个?周|个?星期|个?礼拜|个月)(?:以后|之后|后)")
def _in_days_cn(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    n = _cn_int(m["n"])
    if n is None:
        return None
    shifted = _shift(ctx, _CN_UNITS[m["u"]], n)
    return shifted if isinstance(shifted, _Day) else None


@_day_rule(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
def _iso(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    return _ymd(int(m["y"]), int(m["m"]), int(m["d"]), ctx)


@_day_rule(
    r"(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?"
    r"|(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>\d{4}|\d{2})?"
    r"|(?P<d3>\d{1,2})-(?P<m3>\d{1,2})-(?P<y3>\d{4})"
)
def _day_month(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    for suffix in ("", "2", "3"):
        if m["d" + suffix]:
            year = m["y" + suffix]
            day, month = int(m["d" + suffix]), int(m["m" + suffix])
            return _ymd(int(year) if year else None, month, day, ctx)
    return None  # pragma: no cover - one alternative always matched


@_day_rule(
    rf"(?P<mon>{_MON})\.? (?:the )?(?P<d>{_DAYANY})(?:,? (?P<y>\d{{4}}))?"
    rf"|(?:the )?(?P<d2>{_DAYANY}) (?:of )?(?P<mon2>{_MON})\.?(?:,? (?P<y2>\d{{4}}))?"
)
def _month_name(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "Dec 25", "april second", "march the 3rd", "the fifth of june", "25 Dec 2026"."""
    month = _MONTHS[m["mon"] or m["mon2"]]
    day = _en_day_number(m["d"] or m["d2"])
    year = m["y"] or m["y2"]
    if day is None:
        return None
    return _ymd(int(year) if year else None, month, day, ctx)


@_day_rule(rf"(?:the )?(?P<d>\d{{1,2}}(?:st|nd|rd|th))|the (?P<d2>{_ORDW})")
def _day_alone_en(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "the 21st", "21st", "the fifth": a day of this month, or of the next once past."""
    day = _en_day_number(m["d"] or m["d2"])
    return None if day is None else _day_of_month(day, ctx)


@_day_rule(
    rf"(?:the )?(?P<d>{_DAYANY})(?: day)? of (?P<rel>{_MONTH_REF}) month"
    rf"|(?P<rel2>{_MONTH_REF}) month(?:'s)?,? (?:on )?(?:the )?(?P<d2>{_DAYANY})"
    rf"|(?:the )?(?P<d3>{_DAYNUM}) (?P<rel3>this|next) month"
)
def _day_of_relative_month_en(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "the 10th of next month", "15 of this month", "next month on the 3rd"."""
    day = _en_day_number(m["d"] or m["d2"] or m["d3"])
    rel = m["rel"] or m["rel2"] or m["rel3"]
    if day is None:
        return None
    if rel == "the":  # "the 5th of the month": the coming one
        return _day_of_month(day, ctx)
    months = _EN_MONTH_REF[rel]
    return _in_month(_add_months(ctx.today.replace(day=1), months), day)


@_day_rule(rf"(?P<rel>{_CN_MONTH_REF})的?(?P<d>{_CN_NUM})[号日]")
def _day_of_relative_month_cn(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "下个月15号", "下月十五日", "这个月20号", "本月3号"."""
    day = _cn_int(m["d"])
    months = 1 if m["rel"].startswith("下") else 0
    if day is None:
        return None
    return _in_month(_add_months(ctx.today.replace(day=1), months), day)


_EN_NTH = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
}


def _nth_in_month(
    n: int,
    weekday: int | None,
    month: int | None,
    year: int | None,
    months: int,
    ctx: _Ctx,
    *,
    roll: bool = False,
) -> _Day | None:
    """The `n`th `weekday` (None: the last day) of a named month (this year's unless past,
    then next year's) or of the month `months` from now; `roll`: of this month unless past,
    then of the next."""

    def pick(first: date) -> date | None:
        if weekday is None:
            return _month_end(first)
        return _nth_weekday(first, n, weekday)

    if month is None:
        first = _add_months(ctx.today.replace(day=1), months)
        found = pick(first)
        if roll and (found is None or found < ctx.today):
            found = pick(_add_months(first, 1))
        return None if found is None else _Day(found)
    if year is not None:
        found = pick(date(year, month, 1)) if 2000 <= year <= 2100 else None
        return None if found is None else _Day(found)
    first = date(ctx.today.year, month, 1)
    found = pick(first)
    if _month_end(first) < ctx.today or (found is not None and found < ctx.today):
        found = pick(date(ctx.today.year + 1, month, 1))
    return None if found is None else _Day(found)


@_day_rule(
    rf"(?:the )?(?P<n>{_alternation(_EN_NTH)})(?: one)? (?:(?P<wd>{_WD})|(?P<day>day)) (?:of|in) "
    rf"(?:(?P<mon>{_MON})\.?(?:,? (?P<y>\d{{4}}))?|(?P<rel>{_MONTH_REF}) month)"
)
def _nth_weekday_en(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "second monday of may", "the last thursday of november", "first friday of next month",
    "the last day of february"."""
    n = _EN_NTH[m["n"]]
    if m["day"] and n != -1:
        return None
    weekday = _WEEKDAYS[m["wd"]] if m["wd"] else None
    month = _MONTHS[m["mon"]] if m["mon"] else None
    months = _EN_MONTH_REF[m["rel"]] if m["rel"] else 0
    year = int(m["y"]) if m["y"] else None
    return _nth_in_month(n, weekday, month, year, months, ctx, roll=m["rel"] == "the")


@_day_rule(
    rf"(?:(?P<mon>{_CN_NUM})月|(?P<rel>{_CN_MONTH_REF}))的?"
    rf"(?:第(?P<n>[一二三四五1-5])个|(?P<last>最后一个))(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
)
def _nth_weekday_cn(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "五月的第二个星期一", "下个月第一个周五", "11月最后一个星期四"."""
    n = -1 if m["last"] else _cn_int(m["n"])
    month = _cn_int(m["mon"]) if m["mon"] else None
    if n is None or (month is not None and not 1 <= month <= 12):
        return None
    months = 1 if (m["rel"] or "").startswith("下") else 0
    return _nth_in_month(n, _CN_WEEKDAYS[m["wd"]], month, None, months, ctx)


@_day_rule(
    rf"(?:(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})年|(?P<rel>今年|明年))?"
    rf"(?P<m>{_CN_NUM})月(?P<d>{_CN_NUM})[日号]"
)
def _month_day_cn(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    month, day = _cn_int(m["m"]), _cn_int(m["d"])
    year = _cn_year(m["y"]) if m["y"] else None
    if m["rel"]:
        year = ctx.today.year + (1 if m["rel"] == "明年" else 0)
    if month is None or day is None or (m["y"] and year is None):
        return None
    return _ymd(year, month, day, ctx)


@_day_rule(rf"(?P<d>{_CN_NUM})[号日]")
def _day_of_month_cn(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "25号": the 25th of this month, or of the next month that has one if already past."""
    day = _cn_int(m["d"])
    return None if day is None else _day_of_month(day, ctx)


# Composite days, read last: their parts are days themselves.


@_day_rule(r"(?P<d>.+) (?P<p>morning|afternoon|evening|night)")
def _day_with_period_en(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "tomorrow morning", "friday night": the day, with its part of the day for an hour."""
    day = _match_day(m["d"], ctx)
    if day is None or day.period is not None:
        return None
    period, hour = _EN_PERIODS[m["p"]]
    return _Day(day.day, time(hour), period)


@_day_rule(
    rf"(?:the )?(?P<wd>{_WD})\.?,? (?:the )?(?P<rest>.+)"
    rf"|(?P<rest2>.+?),? \(?(?P<wd2>{_WD})\.?\)?"
    rf"|(?P<rest3>.+?) ?\(?{_CN_WD.replace('wd', 'wd3')}\)?"
    rf"|{_CN_WD.replace('wd', 'wd4')} ?,? ?(?P<rest4>.+)"
)
def _weekday_and_date(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "Thursday, Mar 7", "Friday the 22nd", "Mar 7 (Thu)", "12月4日(周五)": the date, which
    must fall on the weekday."""
    if m["wd"] or m["wd2"]:
        weekday = _WEEKDAYS[m["wd"] or m["wd2"]]
    else:
        weekday = _CN_WEEKDAYS[m["wd3"] or m["wd4"]]
    rest = (m["rest"] or m["rest2"] or m["rest3"] or m["rest4"]).strip("() ")
    if ctx.weekday is not None:
        return None  # one weekday is enough
    day = _match_day(rest, dataclasses.replace(ctx, weekday=weekday))
    if day is None or day.day.weekday() != weekday:
        return None
    if not ctx.today <= day.day <= ctx.today + timedelta(days=366) and not _has_year(rest):
        return None
    return day


def _has_year(text: str) -> bool:
    return re.search(r"\d{4}|年", text) is not None


# -- exact instants ("in 2 hours") ----------------------------------------------------------


@_exact_rule(
    rf"(?:in )?(?P<n>{_NUM}) ?(?P<u>minutes|minute|mins|min|hours|hour|hrs|hr|h){_IN_SUFFIX}"
)
def _in_minutes_en(m: re.Match[str], ctx: _Ctx) -> When | None:
    n = _count(m["n"])
    if n is None or (m["u"] in _SHORT_UNITS and not m["n"].isdigit()):
        return None
    shifted = _shift(ctx, _EN_UNITS[m["u"]], n)
    return shifted if isinstance(shifted, When) else None


@_exact_rule(rf"(?:in )?half an? hour{_IN_SUFFIX}")
def _in_half_hour_en(m: re.Match[str], ctx: _Ctx) -> When | None:
    shifted = _shift(ctx, "minute", 30)
    return shifted if isinstance(shifted, When) else None


@_exact_rule(rf"过?(?P<n>{_CN_NUM}|半)(?P<u>分钟|个?小时|个?钟头)(?:以后|之后|后)")
def _in_minutes_cn(m: re.Match[str], ctx: _Ctx) -> When | None:
    unit = _CN_UNITS[m["u"]]
    if m["n"] == "半":
        n: int | None = 30 if unit == "hour" else None
        unit = "minute"
    else:
        n = _cn_int(m["n"])
    if n is None:
        return None
    shifted = _shift(ctx, unit, n)
    return shifted if isinstance(shifted, When) else None


# -- times of day -----------------------------------------------------------------------------


def _hour(text: str) -> tuple[int | None, bool]:
    return _cn_int(text), len(text) > 1 and text[0] in "0零〇"


def _meridiem(text: str | None) -> str | None:
    return None if text is None else text[0] + "m"


# An hour in English: "4", "4pm", "four", "four o'clock", "noon", "midnight".
_EN_HOUR = (
    rf"(?:(?P<h>\d{{1,2}}|{_HW})(?: ?o'?clock)?(?: ?(?P<mer>{_MER}))?"
    r"|(?:12 |twelve )?(?P<fixed>noon|midday|midnight))"
)


def _en_hour(m: re.Match[str]) -> tuple[int, str | None, bool] | None:
    """The hour, its am/pm, and whether it was written with a leading zero."""
    if m["fixed"]:
        return 12, "am" if m["fixed"] == "midnight" else "pm", False
    if m["h"] in _EN_HOUR_WORDS:
        return _EN_HOUR_WORDS[m["h"]], _meridiem(m["mer"]), False
    hour, literal = _hour(m["h"])
    return None if hour is None else (hour, _meridiem(m["mer"]), literal)


def _en_minutes(text: str, unit: str | None) -> int | None:
    """Minutes before or after an hour: "10", "ten", "twenty-five", "a quarter", "half"."""
    if text in ("quarter", "a quarter"):
        value = 15
    elif text == "half":
        value = 30
    elif text.isdigit():
        value = int(text)
    else:
        value = _EN_CARDINALS.get(text, 0)
    if unit and text in ("quarter", "a quarter", "half"):
        return None  # "a quarter minutes"
    return value if 1 <= value <= 59 else None


@_clock_rule(
    rf"{_AT}(?P<mi>\d{{1,2}}|{_MINW}|a quarter|quarter|half)(?P<u> minutes?| mins?)? "
    rf"(?:past|after) {_EN_HOUR}"
)
def _past_clock_en(m: re.Match[str]) -> _Clock | None:
    """ "a quarter past 4pm", "ten after 9", "half past two pm", "25 minutes past noon"."""
    minute, hour = _en_minutes(m["mi"], m["u"]), _en_hour(m)
    if minute is None or hour is None:
        return None
    return _Clock(hour[0], minute, meridiem=hour[1], literal=hour[2])


@_clock_rule(
    rf"{_AT}(?P<mi>\d{{1,2}}|{_MINW}|a quarter|quarter)(?P<u> minutes?| mins?)? "
    rf"(?P<rel>to|till|til|before) {_EN_HOUR}"
)
def _to_clock_en(m: re.Match[str]) -> _Clock | None:
    """ "a quarter to 6", "ten to nine", "10 minutes to 5pm": written with a digit it needs
    "minutes" ("5 to 6" is a range), and "before" always does."""
    if (m["mi"].isdigit() or m["rel"] == "before") and not m["u"]:
        return None
    minute, hour = _en_minutes(m["mi"], m["u"]), _en_hour(m)
    if minute is None or hour is None:
        return None
    return _Clock(hour[0], meridiem=hour[1], literal=hour[2], offset=-minute)


@_clock_rule(
    rf"{_AT}(?P<h>{_HW}) (?:(?P<mi>{_alternation(_EN_MINUTE_WORDS)})|(?:oh|o|o') ?(?P<mi2>{_HW}))"
    rf"(?: ?(?P<mer>{_MER}))?"
)
def _word_clock_en(m: re.Match[str]) -> _Clock | None:
    """ "eleven fifteen am", "seven thirty", "nine forty-five pm", "ten oh five"."""
    minute = _EN_MINUTE_WORDS.get(m["mi"] or "") or _EN_HOUR_WORDS.get(m["mi2"] or "", 0)
    if not 1 <= minute <= 59 or (m["mi2"] and minute > 9):
        return None
    return _Clock(_EN_HOUR_WORDS[m["h"]], minute, meridiem=_meridiem(m["mer"]))


@_clock_rule(rf"{_AT}(?P<h>\d{{1,2}})(?:[:.](?P<mi>\d{{2}}))? ?(?P<mer>{_MER})")
def _meridiem_clock(m: re.Match[str]) -> _Clock:
    minute = int(m["mi"]) if m["mi"] else 0
    return _Clock(int(m["h"]), minute, meridiem=m["mer"][0] + "m")


@_clock_rule(rf"{_AT}(?P<h>\d{{1,2}})[:.](?P<mi>\d{{2}})")
def _colon_clock(m: re.Match[str]) -> _Clock:
    hour, literal = _hour(m["h"])
    return _Clock(hour, int(m["mi"]), literal=literal)


@_clock_rule(r"(?:at |@ ?)(?P<h>\d{1,2})(?: ?o'?clock)?|(?P<h2>\d{1,2}) ?o'?clock")
def _bare_hour(m: re.Match[str]) -> _Clock:
    hour, literal = _hour(m["h"] or m["h2"])
    return _Clock(hour, literal=literal)


@_clock_rule(
    rf"(?:at |@ ?)(?P<h>{_HW})(?: ?o'?clock)?(?: ?(?P<mer>{_MER}))?"
    rf"|(?P<h2>{_HW})(?: ?o'?clock(?: ?(?P<mer2>{_MER}))?| ?(?P<mer3>{_MER}))"
)
def _word_hour_en(m: re.Match[str]) -> _Clock:
    """ "at five", "five o'clock", "seven pm"."""
    meridiem = _meridiem(m["mer"] or m["mer2"] or m["mer3"])
    return _Clock(_EN_HOUR_WORDS[m["h"] or m["h2"]], meridiem=meridiem)


@_clock_rule(rf"(?P<h>\d{{1,2}}|{_HW})")
def _lone_hour(m: re.Match[str]) -> _Clock | None:
    """ "9" in "9 tonight": an hour only where a part of the day says so."""
    if m["h"] in _EN_HOUR_WORDS:
        return _Clock(_EN_HOUR_WORDS[m["h"]], bare=True)
    hour, literal = _hour(m["h"])
    return _Clock(hour, literal=literal, bare=True)


@_clock_rule(rf"{_AT}(?:12 |twelve )?(?P<w>{_alternation(_FIXED_TIMES)})")
def _fixed_time(m: re.Match[str]) -> _Clock | None:
    if m.group(0).removeprefix("at ").startswith(("12", "twelve")) and _FIXED_TIMES[m["w"]] % 12:
        return None  # "12 eod"
    return _Clock(None, default=time(_FIXED_TIMES[m["w"]]))


@_clock_rule(r"(?:in the )?(?P<p>morning|afternoon|evening)|at (?P<p2>night)")
def _period_en(m: re.Match[str]) -> _Clock:
    period, hour = _EN_PERIODS[m["p"] or m["p2"]]
    return _Clock(None, period=period, default=time(hour))


@_clock_rule(r"(?P<p>morning|afternoon|evening) (?:at |@ ?)?(?P<h>\d{1,2})(?:[:.](?P<mi>\d{2}))?")
def _period_clock_en(m: re.Match[str]) -> _Clock:
    minute = int(m["mi"]) if m["mi"] else 0
    return _Clock(int(m["h"]), minute, period=_EN_PERIODS[m["p"]][0])


@_clock_rule(r"(?P<c>.+) (?:in the (?P<p>morning|afternoon|evening|night)|at (?P<p2>night))")
def _clock_with_period_en(m: re.Match[str]) -> _Clock | None:
    """ "4 o'clock in the afternoon", "at 7 in the evening", "a quarter to 11 at night"."""
    clock = _match_clock(m["c"], bare=True)
    if clock is None or clock.hour is None or clock.period is not None:
        return None
    period = _EN_PERIODS[m["p"] or m["p2"]][0]
    if clock.meridiem is not None and clock.meridiem != ("am" if period == "am" else "pm"):
        return None  # "9pm in the morning"
    return dataclasses.replace(clock, period=period, bare=False)


@_clock_rule(
    rf"(?P<p>{_CN_PERIOD})? ?(?P<h>{_CN_NUM})[点时]钟?"
    rf"(?:(?P<half>半)|(?P<q>[一三]刻)|整|过?(?P<mi>{_CN_NUM})分?"
    rf"|差(?P<to>{_CN_NUM}分?|一刻))?"
)
def _clock_cn(m: re.Match[str]) -> _Clock | None:
    """ "下午三点", "3点半", "十点一刻", "三点整", "三点过五分", "三点差五分"."""
    hour, literal = _hour(m["h"])
    offset = 0
    if m["half"]:
        minute: int | None = 30
    elif m["q"]:
        minute = 15 if m["q"] == "一刻" else 45
    elif m["to"]:
        before = 15 if m["to"] == "一刻" else _cn_int(m["to"].removesuffix("分"))
        if before is None or not 1 <= before <= 59:
            return None
        minute, offset = 0, -before
    else:
        minute = _cn_int(m["mi"]) if m["mi"] else 0
    if hour is None or minute is None:
        return None
    period = _CN_PERIODS[m["p"]][0] if m["p"] else None
    return _Clock(hour, minute, period=period, literal=literal, offset=offset)


@_clock_rule(rf"(?P<p>{_CN_PERIOD})? ?差(?P<to>{_CN_NUM}分?|一刻)(?P<h>{_CN_NUM})[点时]钟?")
def _to_clock_cn(m: re.Match[str]) -> _Clock | None:
    """ "差五分三点", "差一刻十点": minutes before the hour."""
    hour, literal = _hour(m["h"])
    before = 15 if m["to"] == "一刻" else _cn_int(m["to"].removesuffix("分"))
    if hour is None or before is None or not 1 <= before <= 59:
        return None
    period = _CN_PERIODS[m["p"]][0] if m["p"] else None
    return _Clock(hour, period=period, literal=literal, offset=-before)


@_clock_rule(rf"(?P<p>{_CN_PERIOD}) ?(?P<h>\d{{1,2}})[:：](?P<mi>\d{{2}})")
def _colon_clock_cn(m: re.Match[str]) -> _Clock:
    hour, literal = _hour(m["h"])
    return _Clock(hour, int(m["mi"]), period=_CN_PERIODS[m["p"]][0], literal=literal)


@_clock_rule(rf"(?P<p>{_CN_PERIOD})")
def _period_cn(m: re.Match[str]) -> _Clock | None:
    period, hour = _CN_PERIODS[m["p"]]
    return None if hour is None else _Clock(None, period=period, default=time(hour))


def _resolve(clock: _Clock, day_period: str | None) -> time | None:
    """The time of day a clock reading means, using the day's period ("tonight") if it has
    none of its own."""
    if clock.hour is None:
        return clock.default
    hour, minute = clock.hour, clock.minute
    if clock.meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock.meridiem == "pm" else 0)
    else:
        period = clock.period or day_period
        if period is None:
            if not clock.literal and 1 <= hour <= 6:
                hour += 12
        elif period == "am":
            if hour > 12:
                return None
        elif period in ("pm", "night"):
            if period == "night" and (hour == 12 or 1 <= hour <= 5):
                return None  # "晚上12点", "2 at night": which night is unclear
            if hour < 12:
                hour += 12
        elif period == "noon":
            if hour in (1, 2):
                hour += 12
            elif hour not in (11, 12):
                return None
        elif period == "early":
            if hour == 12:
                hour = 0
            elif hour > 6:
                return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if clock.offset:
        hour, minute = divmod((hour * 60 + minute + clock.offset) % (24 * 60), 60)
    return time(hour, minute)


# -- putting it together ----------------------------------------------------------------------


def _match_day(text: str, ctx: _Ctx) -> _Day | None:
    for pattern, fn in _DAY_RULES:
        m = pattern.fullmatch(text)
        if m is not None:
            found = fn(m, ctx)
            if found is not None:
                return found
    return None


def _match_clock(text: str, *, bare: bool = False) -> _Clock | None:
    """A time of day; a lone number ("9") only when `bare`."""
    for pattern, fn in _CLOCK_RULES:
        m = pattern.fullmatch(text)
        if m is not None:
            found = fn(m)
            if found is not None and (bare or not found.bare):
                return found
    return None


def _match_exact(text: str, ctx: _Ctx) -> When | None:
    for pattern, fn in _EXACT_RULES:
        m = pattern.fullmatch(text)
        if m is not None:
            found = fn(m, ctx)
            if found is not None:
                return found
    return None


def _combine(day: _Day, clock: _Clock) -> When | None:
    if day.period is not None and clock.hour is None:
        return None  # "tonight noon", "明早下午"
    if day.period is not None and clock.period is not None:
        return None
    if clock.bare and day.period is None:
        return None  # "fri 10", "4 tomorrow"
    at = _resolve(clock, day.period)
    return None if at is None else When(day.day, at)


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _split_points(text: str) -> list[int]:
    points = []
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if before in " ," or after in " ," or _is_cjk(before) or _is_cjk(after):
            points.append(i)
    return points


_DAY_CONNECTOR = re.compile(r"^(?:on |,)")
_CLOCK_CONNECTOR = re.compile(r"^,")


def _parse_normalized(text: str, ctx: _Ctx) -> When | None:
    exact = _match_exact(text, ctx)
    if exact is not None:
        return exact
    day = _match_day(text, ctx)
    if day is not None:
        return When(day.day, day.default)
    clock = _match_clock(text)
    if clock is not None:
        at = _resolve(clock, None)
        if at is None:
            return None
        today = ctx.now.replace(tzinfo=None)
        ahead = datetime.combine(today.date(), at) > today
        return When(ctx.today if ahead else ctx.today + timedelta(days=1), at)
    for i in _split_points(text):
        left = text[:i].strip(" ,")
        right = text[i:].strip(" ,")
        if not left or not right:
            continue
        left_day = _match_day(left, ctx)
        if left_day is not None:
            right_clock = _match_clock(right, bare=left_day.period is not None)
            if right_clock is not None:
                return _combine(left_day, right_clock)
        left_clock = _match_clock(left, bare=True)
        if left_clock is not None:
            right_day = _match_day(_DAY_CONNECTOR.sub("", right).strip(), ctx)
            if right_day is not None and (not left_clock.bare or right_day.period is not None):
                return _combine(right_day, left_clock)
    return None


# Traditional characters that occur in date phrases, read as their Simplified forms.
_TRADITIONAL = str.maketrans(
    {
        "週": "周",
        "這": "这",
        "後": "后",
        "個": "个",
        "號": "号",
        "點": "点",
        "鐘": "钟",
        "時": "时",
        "兩": "两",
        "禮": "礼",
        "過": "过",
        "頭": "头",
        "裡": "里",
        "裏": "里",
        "淩": "凌",
        "於": "于",
        "當": "当",
        "‘": "'",
        "’": "'",
        "‐": "-",
        "‑": "-",
    }
)


_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff\d])|(?<=\d) (?=[\u3400-\u9fff])")


def _normalize(text: str) -> str:
    """Lower case, NFKC, Traditional date characters as Simplified, one space between words,
    hyphens between letters as spaces ("quarter-past", "twenty-five")."""
    flat = unicodedata.normalize("NFKC", text).lower().translate(_TRADITIONAL)
    flat = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", flat)
    flat = re.sub(r"\s+", " ", flat).strip()
    return _CJK_SPACE.sub("", flat)  # "下个月 十五号" is "下个月十五号"


_EDGE_CHARS = " \t\r\n.,!;:，。！；：?？、"
_LEADING = re.compile(
    r"^(?:(?:on|at|by|before|until|till|around|approx\.?|approximately|about) |~ ?|[在于])"
)
_TRAILING_CN = re.compile(r"(?<=[\u3400-\u9fff\d])(?:之前|以前|前|左右)$")
_DOTTED_DATE = re.compile(r"(.*\d\.\d{1,2}\.)[\s.,!;:，。！；：?？、]*")


def _candidates(text: str) -> list[str]:
    flat = _normalize(text)
    bases = []
    dotted = _DOTTED_DATE.fullmatch(flat.lstrip(_EDGE_CHARS))
    if dotted is not None:
        bases.append(dotted[1])  # "25.12." keeps its final dot: a date, not 25:12
    bases.append(flat.strip(_EDGE_CHARS))
    result = []
    for base in bases:
        if not base or len(base) > 60:
            continue
        result.append(base)
        stripped = _LEADING.sub("", base).strip(_EDGE_CHARS)
        stripped = _TRAILING_CN.sub("", stripped).strip(_EDGE_CHARS)  # "周五前": by Friday
        if stripped and stripped != base:
            result.append(stripped)
    return result


def _context(now: datetime, zone: str) -> _Ctx | None:
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return _Ctx(now.astimezone(tz))


_EARLIEST = date(2000, 1, 1)
_LATEST = date(2100, 12, 31)


def parse_when(text: str, *, now: datetime, zone: str) -> When | None:
    """The day (and time) `text` names, resolved against `now` in `zone`; None unless the
    whole text is understood. A naive `now` is taken as UTC."""
    ctx = _context(now, zone)
    if ctx is None:
        return None
    try:
        for candidate in _candidates(text):
            found = _parse_normalized(candidate, ctx)
            if found is not None:
                return found if _EARLIEST <= found.day <= _LATEST else None
    except (ValueError, OverflowError):
        return None
    return None


# -- dates inside sentences ---------------------------------------------------------------------

_MAX_RUN_TOKENS = 16
_MAX_RUN_CHARS = 60
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\s\u3400-\u9fff\uf900-\ufaff]+")
_DANGLING = re.compile(r"(?:\s+|^)(?:by|on|at|before|until|till)$|[在于]$", re.IGNORECASE)
_DELIMITERS = ",.;:!?，。；：！？、()（）[]\"'—–"

# Words that, next to a date phrase, may belong to it: a date found beside them is only part
# of a phrase ("the 10th of | next month", "5 to | 6pm", "every | monday").
_DATEISH_WORDS = {
    *_WEEKDAYS,
    *(m for m in _MONTHS if m != "may"),
    *(w for w in _EN_CARDINALS if w != "one"),  # "the new one tomorrow"
    *_EN_ORDINALS,
    *_EN_PERIODS,
    *_EN_UNITS,
    "quarter",
    "half",
    "o'clock",
    "oclock",
    "am",
    "pm",
    "a.m.",
    "p.m.",
    "noon",
    "midnight",
    "today",
    "tonight",
    "tomorrow",
    "weekend",
    "year",
    "years",
}
_DATEISH = re.compile(
    r"\d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:[:.]\d{2})?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}[:.]\d{2}"
)
_GLUE_BEFORE = {
    "of",
    "past",
    "after",
    "the",
    "a",
    "an",
    "every",
    "each",
    "other",
    "following",
    "next",
    "this",
    "last",
    "coming",
    "or",
    "and",
    "from",
    "between",
    "than",
    "since",
}
_GLUE_AFTER = {"of", "past", "the", "or", "and", "through", "thru"}
_RANGE_WORDS = {"to", "till", "til", "until", "before", "by", "at", "on", "through", "thru"}
# A phrase opening with one of these starts there: "meet the new one | on dec 3".
_OPENS_PHRASE = re.compile(r"(?:on|at|by|in|before|until|till|around|about) ")
_CN_NUMERAL = "0123456789零〇一二两三四五六七八九十百"
_CN_GLUE_BEFORE = set(_CN_NUMERAL + "月周号日年第个这本下的点时分半刻每或和及拜期午")
# A word naming a day or a time of day at the end of a text: the phrase after it may go with it.
_DAY_WORD_AT_END = re.compile(
    rf"(?:^|[^a-z0-9'])(?:{_WD}|{_alternation(m for m in _MONTHS if m != 'may')}|{_TOMORROW}"
    r"|today|tonight|tonite|morning|afternoon|evening|night|noon|midnight|weekend)\.?\s*$"
)
_CN_GLUE_AFTER = re.compile(
    rf"[{_CN_NUMERAL}]+ ?[点时号日月周个:.半刻]|[号日月周点时分半刻的之以后整第到至或和及~]"
    r"|[上中下]午|早上|晚上|凌晨|傍晚|夜里"
)


def _dateish(word: str) -> bool:
    return word in _DATEISH_WORDS or _DATEISH.fullmatch(word) is not None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9'.:]+", text)


def _glued_before(rest: str, phrase: str) -> bool:
    """Whether the end of `rest` could belong to the date phrase that follows it."""
    spaced = rest[-1:].isspace()
    rest, phrase = _normalize(rest), _normalize(phrase)
    if not rest or rest[-1] in _DELIMITERS:
        return False
    if _OPENS_PHRASE.match(phrase):  # "call tonight | at 5" is one phrase; "… one | on dec 3" not
        return _DAY_WORD_AT_END.search(rest) is not None
    if spaced and _is_cjk(rest[-1]) and rest[-1] not in _CN_NUMERAL:
        return False  # "跟进一下 明天": a space parts Chinese words
    if _is_cjk(rest[-1]) or rest[-1] in "~～-":
        if rest[-1] in _CN_GLUE_BEFORE or rest.endswith(("或者", "每天")):
            return True
        return rest[-1] in "到至~～-" and len(rest) > 1 and rest[-2] in _CN_GLUE_BEFORE | {"天"}
    words = _words(rest)
    if not words or not rest.endswith(words[-1]):
        return False
    last = words[-1].rstrip(".")
    if last in _GLUE_BEFORE:
        return True
    if last in _RANGE_WORDS:
        return len(words) > 1 and _dateish(words[-2].rstrip("."))
    return _dateish(last)  # "send 4 tomorrow": 4pm tomorrow, or four of them?


def _glued_after(after: str) -> bool:
    """Whether the start of `after` could belong to the date phrase before it."""
    spaced = after[:1].isspace()
    if re.match(r"\s*\d{1,2}(?:\s|$)", after):
        return True  # "明天3 发报价": at 3, or three of something? (spaces vanish below)
    after = _normalize(after)
    if not after or after[0] in _DELIMITERS:
        return False
    if spaced and _is_cjk(after[0]) and after[0] not in _CN_NUMERAL:
        return False
    if _is_cjk(after[0]) or re.match(r"[\d~～-]+[\u3400-\u9fff]", after):
        return _CN_GLUE_AFTER.match(after) is not None
    words = _words(after)
    if not words or not after.startswith(words[0]):
        return False
    first = words[0].rstrip(".")
    if first in _GLUE_AFTER or _dateish(first):
        return True
    if first in _RANGE_WORDS or first == "after":
        return len(words) > 1 and _dateish(words[1].rstrip("."))
    return False


def find_when_at_edges(text: str, *, now: datetime, zone: str) -> tuple[str, When] | None:
    """The longest leading or trailing run of words (Chinese: characters) of `text` that is a
    date, as (the rest of the text, the date); on a tie the trailing run wins. A run whose
    neighbouring word could belong to the date phrase ("the 10th of | next month") is not
    taken: nothing is better than part of a phrase."""
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    n = len(spans)
    tail_open = head_open = True
    for k in range(min(n, _MAX_RUN_TOKENS), 0, -1):
        tail_start = spans[n - k][0]
        tail = text[tail_start:]
        if tail_open and len(tail.strip()) <= _MAX_RUN_CHARS:
            when = parse_when(tail, now=now, zone=zone)
            if when is not None:
                if _glued_before(text[:tail_start], tail):
                    tail_open = False
                else:
                    rest = text[:tail_start].rstrip(_EDGE_CHARS + "-—")
                    rest = _DANGLING.sub("", rest).rstrip(_EDGE_CHARS + "-—")
                    return rest.strip(), when
        head_end = spans[k - 1][1]
        head = text[:head_end]
        if head_open and len(head.strip()) <= _MAX_RUN_CHARS:
            when = parse_when(head, now=now, zone=zone)
            if when is not None:
                if _glued_after(text[head_end:]):
                    head_open = False
                else:
                    return text[head_end:].lstrip(_EDGE_CHARS + "-—").strip(), when
        if not tail_open and not head_open:
            break
    return None
