"""Dates and times as reps type them ("fri 3pm", "in 2 weeks", "下周五上午10点") turned into
`When` values; `find_when_at_edges` finds such a phrase at the start or end of a sentence.

Everything is resolved against an explicit `now` and IANA zone; nothing reads the clock."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.parsing.numerals import CN_DIGITS, whole_number

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
_CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "7": 6}
_CN_WEEKDAYS.update({str(i): i - 1 for i in range(1, 7)})

_WD = _alternation(_WEEKDAYS)
_MON = _alternation(_MONTHS)
_NUM = rf"\d{{1,4}}|{_alternation(_NUMBER_WORDS)}"
_CN_NUM = r"\d{1,4}|[零〇一二两三四五六七八九十]{1,4}"
_ORD = r"(?:st|nd|rd|th)?"
_TOMORROW = r"tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|tmrow|tmw"
_IN_SUFFIX = r"(?: from now| later| time)?"

_EN_PERIODS = {"morning": ("am", 9), "afternoon": ("pm", 14), "evening": ("pm", 18)}
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


def _add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


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


def _weekday(which: str | None, weekday: int, ctx: _Ctx) -> _Day:
    if which == "this":
        return _Day(ctx.monday + timedelta(days=weekday))
    if which == "next":
        return _Day(ctx.monday + timedelta(days=7 + weekday))
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


@_day_rule(rf"(?:(?P<which>this|next|coming) )?(?P<wd>{_WD})")
def _weekday_en(m: re.Match[str], ctx: _Ctx) -> _Day:
    which = m["which"] if m["which"] != "coming" else None
    return _weekday(which, _WEEKDAYS[m["wd"]], ctx)


@_day_rule(
    r"(?P<which>这个|这|本|下个|下一个|下一|下)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
)
def _weekday_cn(m: re.Match[str], ctx: _Ctx) -> _Day:
    which = None
    if m["which"]:
        which = "next" if m["which"].startswith("下") else "this"
    return _weekday(which, _CN_WEEKDAYS[m["wd"]], ctx)


@_day_rule(r"next week|nxt week|下个?(?:周|星期|礼拜)|下一个?(?:周|星期|礼拜)")
def _next_week(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(ctx.monday + timedelta(days=7))


@_day_rule(r"next month|下个?月|下一个?月")
def _next_month(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(_add_months(ctx.today, 1))


@_day_rule(r"(?:the )?end of (?:the |this )?month|eom|month end|(?:本|这个|这)?月[底末]")
def _end_of_month(m: re.Match[str], ctx: _Ctx) -> _Day:
    return _Day(_month_end(ctx.today))


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
    rf"(?P<mon>{_MON})\.? (?P<d>\d{{1,2}}){_ORD}(?:,? (?P<y>\d{{4}}))?"
    rf"|(?:the )?(?P<d2>\d{{1,2}}){_ORD} (?:of )?(?P<mon2>{_MON})\.?(?:,? (?P<y2>\d{{4}}))?"
)
def _month_name(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    month = _MONTHS[m["mon"] or m["mon2"]]
    day = int(m["d"] or m["d2"])
    year = m["y"] or m["y2"]
    return _ymd(int(year) if year else None, month, day, ctx)


@_day_rule(
    rf"(?:(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})年)?(?P<m>{_CN_NUM})月(?P<d>{_CN_NUM})[日号號]"
)
def _month_day_cn(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    month, day = _cn_int(m["m"]), _cn_int(m["d"])
    year = _cn_year(m["y"]) if m["y"] else None
    if month is None or day is None or (m["y"] and year is None):
        return None
    return _ymd(year, month, day, ctx)


@_day_rule(rf"(?P<d>{_CN_NUM})[号號日]")
def _day_of_month_cn(m: re.Match[str], ctx: _Ctx) -> _Day | None:
    """ "25号": the 25th of this month, or of the next month that has one if already past."""
    day = _cn_int(m["d"])
    if day is None or not 1 <= day <= 31:
        return None
    for months in range(3):
        first = _add_months(ctx.today.replace(day=1), months)
        if day <= calendar.monthrange(first.year, first.month)[1]:
            candidate = first.replace(day=day)
            if candidate >= ctx.today:
                return _Day(candidate)
    return None  # pragma: no cover - some month within three has the day


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


@_clock_rule(rf"{_AT}(?P<h>\d{{1,2}})(?:[:.](?P<mi>\d{{2}}))? ?(?P<mer>a\.?m\.?|p\.?m\.?)")
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


@_clock_rule(rf"{_AT}(?P<w>{_alternation(_FIXED_TIMES)})")
def _fixed_time(m: re.Match[str]) -> _Clock:
    return _Clock(None, default=time(_FIXED_TIMES[m["w"]]))


@_clock_rule(r"(?:in the )?(?P<p>morning|afternoon|evening)")
def _period_en(m: re.Match[str]) -> _Clock:
    period, hour = _EN_PERIODS[m["p"]]
    return _Clock(None, period=period, default=time(hour))


@_clock_rule(r"(?P<p>morning|afternoon|evening) (?:at |@ ?)?(?P<h>\d{1,2})(?:[:.](?P<mi>\d{2}))?")
def _period_clock_en(m: re.Match[str]) -> _Clock:
    minute = int(m["mi"]) if m["mi"] else 0
    return _Clock(int(m["h"]), minute, period=_EN_PERIODS[m["p"]][0])


@_clock_rule(
    rf"(?P<p>{_CN_PERIOD})? ?(?P<h>{_CN_NUM})[点點时時][钟鐘]?"
    rf"(?:(?P<half>半)|(?P<q>[一三]刻)|(?P<mi>{_CN_NUM})分?)?"
)
def _clock_cn(m: re.Match[str]) -> _Clock | None:
    hour, literal = _hour(m["h"])
    if m["half"]:
        minute: int | None = 30
    elif m["q"]:
        minute = 15 if m["q"] == "一刻" else 45
    else:
        minute = _cn_int(m["mi"]) if m["mi"] else 0
    if hour is None or minute is None:
        return None
    period = _CN_PERIODS[m["p"]][0] if m["p"] else None
    return _Clock(hour, minute, period=period, literal=literal)


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
            if hour == 12 and period == "night":
                return None
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


def _match_clock(text: str) -> _Clock | None:
    for pattern, fn in _CLOCK_RULES:
        m = pattern.fullmatch(text)
        if m is not None:
            found = fn(m)
            if found is not None:
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
            right_clock = _match_clock(right)
            if right_clock is not None:
                return _combine(left_day, right_clock)
        left_clock = _match_clock(left)
        if left_clock is not None:
            right_day = _match_day(_DAY_CONNECTOR.sub("", right).strip(), ctx)
            if right_day is not None:
                return _combine(right_day, left_clock)
    return None


_EDGE_CHARS = " \t\r\n.,!;:，。！；：?？、"
_LEADING = re.compile(r"^(?:(?:on|at|by|before|until|till) |[在于])")
_DOTTED_DATE = re.compile(r"(.*\d\.\d{1,2}\.)[\s.,!;:，。！；：?？、]*")


def _candidates(text: str) -> list[str]:
    flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()
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

_MAX_RUN_TOKENS = 10
_MAX_RUN_CHARS = 40
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\s\u3400-\u9fff\uf900-\ufaff]+")
_DANGLING = re.compile(r"(?:\s+|^)(?:by|on|at|before|until|till)$|[在于]$", re.IGNORECASE)


def find_when_at_edges(text: str, *, now: datetime, zone: str) -> tuple[str, When] | None:
    """The longest leading or trailing run of words (Chinese: characters) of `text` that is a
    date, as (the rest of the text, the date); on a tie the trailing run wins."""
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    n = len(spans)
    for k in range(min(n, _MAX_RUN_TOKENS), 0, -1):
        tail_start = spans[n - k][0]
        tail = text[tail_start:]
        if len(tail.strip()) <= _MAX_RUN_CHARS:
            when = parse_when(tail, now=now, zone=zone)
            if when is not None:
                rest = text[:tail_start].rstrip(_EDGE_CHARS + "-—")
                rest = _DANGLING.sub("", rest).rstrip(_EDGE_CHARS + "-—")
                return rest.strip(), when
        head_end = spans[k - 1][1]
        head = text[:head_end]
        if len(head.strip()) <= _MAX_RUN_CHARS:
            when = parse_when(head, now=now, zone=zone)
            if when is not None:
                return text[head_end:].lstrip(_EDGE_CHARS + "-—").strip(), when
    return None
