"""Quick capture of a visit in one message ("Acme: demo went well; next: send quote fri")
split into customer, notes, next step and follow-up date.

Parts are separated by ``;``, ``；`` or a new line, and also by a label standing after a comma,
a full stop or a space, as phone keyboards type it: ``Acme: demo went well, next: send quote
fri`` or ``宏达：演示很顺利，下一步：下周五发报价``. In the middle of a sentence an English label
needs its colon (``next week`` in the notes is not a label); ``下一步`` needs none.

A date in the next step is taken whole or not at all (see `find_when_at_edges`). What was not
taken but looks like a date (``call back at quarter to 5 or so``, ``send 20 fri``, ``明天3
发报价``) is named by `unclear_dates`, so the confirmation can say so instead of dropping it
silently. A part of a sentence *looks like a date* when it has a word that names a day or a
time of day by itself, in the parser's own vocabulary where it has one:

- a weekday or a month (``fri``, ``thursday``, ``dec``); ``may``, ``sun``, ``jan`` and
  ``jun`` are also words and names, so they join a date phrase (``may 5th-ish``) but do not
  make one;
- today, tonight, tomorrow (as misspelt), yesterday, weekend, noon, midnight, morning,
  afternoon, evening, eod, cob, o'clock; this, next or last week, month, year or quarter;
  the end of the week, month…; ``at night``;
- digits with am/pm or a colon (``5pm``, ``4:15``), an ordinal (``10th``), a date with
  slashes or dashes (``12/5``, ``2026-12-05``), ``at 5``, a clock in words (``quarter to 5``,
  ``ten past four``), an amount of time (``2-3 days``, ``a few weeks``, not ``twice a day``);
- in Chinese: 今天, 明天, 后天, 今晚, 明早…, 上午, 下午, 晚上…, 周五, 星期五, 下周, 本周,
  周末, 下个月, 本月, 月底, 上旬, 年底; a number before 月, 号 or 日 (``12月``, ``15号``, not
  ``3号楼``) or before 点 (``3点``, not the ``一点`` of ``快一点``); an amount of time before
  后 or 内 (``三天后``, ``过两天``).

The part named is such a word with its neighbours that belong to a date phrase: numbers,
``at``, ``on``, ``by``, ``after``, ``around``, ``the``, ``next``…, ``of``, ``or``, ``to``,
``and`` in between, hedges at the end (``or so``, ``-ish``, ``at the latest``, ``左右``, ``前``).
It ends at punctuation and at any other word. Text with no such word is never named
(``send quote``, ``发报价``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

# The date parser's own vocabulary, so that what "looks like a date" follows what it reads.
from bot.parsing.dates import (
    _CN_MONTH_REF,
    _CN_PERIODS,
    _EN_CARDINALS,
    _EN_HOUR_WORDS,
    _EN_PERIODS,
    _EN_UNITS,
    _EN_WEEK_REF,
    _FIXED_TIMES,
    _MONTHS,
    _NUMBER_WORDS,
    _SHORT_UNITS,
    _TOMORROW,
    _TRADITIONAL,
    _WEEKDAYS,
    When,
    find_when_at_edges,
    parse_when,
)

__all__ = ["Capture", "parse_capture", "unclear_dates", "unclear_dates_in_step"]


@dataclass(frozen=True)
class Capture:
    """One visit as typed: who, what happened, what was promised, and when to follow up;
    `unclear_dates`: the parts of the next step that look like a date but were not understood
    (only when there is no follow-up date)."""

    customer: str
    notes: str
    next_step: str | None
    when: When | None
    unclear_dates: tuple[str, ...] = ()


_CUSTOMER_SEPARATOR = re.compile(r"[:：]| [-–—] ")
_SEGMENT_SEPARATOR = re.compile(r"[;；\n]")
_NEXT_LABEL = re.compile(
    r"(?:(?:next\s*steps?|next|then|下一步|下步)\s*[:：]|下一步(?!的))\s*", re.IGNORECASE
)
_FOLLOW_UP_LABEL = re.compile(
    r"(?:follow[\s-]?up|fu|when|跟进|回访)\s*[:：]\s*",
    re.IGNORECASE,
)
_ANY_LABEL = re.compile(
    r"\s*(?:next\s*steps?|next|then|下一步|下步|follow[\s-]?up|fu|when|跟进|回访)\s*",
    re.IGNORECASE,
)
_EDGES = " \t\r\n,.;，。；"
# A label inside a part: after its start, a space or punctuation; English ones with a colon.
_INLINE_LABEL = re.compile(
    r"(?:^|(?<=[\s,.!?，。！？、]))"
    r"(?:next\s*steps?\s*[:：]|next\s*[:：]|follow[\s-]?up\s*[:：]|跟进\s*[:：]|回访\s*[:：]"
    r"|下步\s*[:：]|下一步(?!的))",
    re.IGNORECASE,
)


def _parts(text: str) -> list[str]:
    """The parts of what follows the customer: split at separators and at labels."""
    parts: list[str] = []
    for segment in _SEGMENT_SEPARATOR.split(text):
        starts = [0, *(m.start() for m in _INLINE_LABEL.finditer(segment) if m.start() > 0)]
        parts.extend(segment[a:b] for a, b in zip(starts, [*starts[1:], len(segment)], strict=True))
    return parts


def parse_capture(text: str, *, now: datetime, zone: str) -> Capture | None:
    """The visit in `text` (what follows "/visit "), or None when it names no customer."""
    separator = _CUSTOMER_SEPARATOR.search(text)
    if separator is None:
        return None
    customer = text[: separator.start()].strip()
    if not customer or _SEGMENT_SEPARATOR.search(customer) or _ANY_LABEL.fullmatch(customer):
        return None

    notes: list[str] = []
    next_steps: list[str] = []
    unparsed_follow_ups: list[str] = []
    when: When | None = None
    for raw in _parts(text[separator.end() :]):
        segment = raw.strip(_EDGES)
        if not segment:
            continue
        labelled = _NEXT_LABEL.match(segment)
        if labelled is not None:
            step = segment[labelled.end() :].strip(_EDGES)
            next_steps.append(step)
            continue
        labelled = _FOLLOW_UP_LABEL.match(segment)
        if labelled is not None:
            value = segment[labelled.end() :].strip(_EDGES)
            parsed = parse_when(value, now=now, zone=zone) if value else None
            if parsed is not None:
                when = parsed
            elif value:
                unparsed_follow_ups.append(value)
            continue
        notes.append(segment)

    next_step: str | None = None
    if next_steps:
        next_step = "; ".join(step for step in next_steps if step)
        if when is None:
            found = find_when_at_edges(next_step, now=now, zone=zone)
            if found is not None:
                next_step, when = found
    if unparsed_follow_ups:
        next_step = "; ".join([*([next_step] if next_step else []), *unparsed_follow_ups])
    unclear = unclear_dates(next_step) if when is None and next_step else ()
    return Capture(customer, "; ".join(notes), next_step, when, unclear)


def unclear_dates_in_step(step: str, *, now: datetime, zone: str) -> tuple[str, ...]:
    """The parts of a next step typed on its own that look like a date, unless a date is
    understood in it (taken off an edge, as quick capture takes it)."""
    if find_when_at_edges(step, now=now, zone=zone) is not None:
        return ()
    return unclear_dates(step)


# -- what looks like a date -----------------------------------------------------------------


def _words(words: Iterable[str]) -> str:
    """An alternation of `words`, longest first, a space in them matching any spacing."""
    escaped = (re.escape(word).replace(r"\ ", r"\s+") for word in words)
    return "|".join(sorted(escaped, key=len, reverse=True))


# Words that are also ordinary words or names: a date only beside another date word or a number.
_WEAK = {"may", "sun", "jan", "jun"}
_CALENDAR = _words(name for name in (*_WEEKDAYS, *_MONTHS) if name not in _WEAK)
_DAY_WORDS = _words(
    [
        *_TOMORROW.split("|"),
        *_FIXED_TIMES,
        *(period for period in _EN_PERIODS if period != "night"),
        "today",
        "tonight",
        "tonite",
        "yesterday",
        "overmorrow",
        "weekend",
        "eow",
        "eom",
        "eoy",
        "eoq",
    ]
)
_WEEK_REF = _words([*_EN_WEEK_REF, "last", "nxt"])
_SPANS = r"week|month|year|quarter|weekend"
_TIME_UNITS = _words([*(u for u in _EN_UNITS if u not in _SHORT_UNITS), "years", "year", "yrs"])
_HOUR = rf"\d{{1,2}}|{_words(_EN_HOUR_WORDS)}|noon|midnight"
_COUNT_WORDS = _words([*_NUMBER_WORDS, *_EN_CARDINALS, "few", "several", "couple"])
_MERIDIEM = r"a\.?m\.?|p\.?m\.?"
_RANGE = r"\s*(?:-|–|~|to|or)\s*"
_EN_L = r"(?<![a-z0-9'])"  # an English word starts here
_EN_R = r"(?![a-z0-9])"  # … and ends here

_EN_DATE_LIKE = "|".join(
    [
        rf"(?:{_CALENDAR}|{_DAY_WORDS}|o'?clock)\.?",
        rf"(?:{_WEEK_REF})\s+(?:{_SPANS})|(?:{_SPANS})\s+after\s+next",
        rf"end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|{_SPANS})|(?:{_SPANS})[\s-]end",
        r"at\s+night",
        rf"\d{{1,2}}(?:[:.]\d{{2}})?\s?(?:{_MERIDIEM})",
        r"\d{1,2}:\d{2}",
        r"\d{1,2}(?:st|nd|rd|th)",
        r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}",
        r"(?<![\d/])(?:[12]\d|3[01]|0?[1-9])/(?:[12]\d|3[01]|0?[1-9])(?:/\d{2,4})?(?![\d/])",
        rf"(?:a\s+quarter|quarter|half|{_words(_EN_CARDINALS)}|\d{{1,2}}\s+min(?:ute)?s?)"
        rf"(?:\s+min(?:ute)?s?)?[\s-]+(?:past|to|till|til|after|before)\s+(?:{_HOUR})",
        rf"\d{{1,2}}\s+(?:past|after)\s+(?:{_HOUR})",
        rf"(?:at|@)\s?(?:{_HOUR})(?:\s?(?:o'?clock|{_MERIDIEM}))?(?![a-z0-9%/]|[.,:]\d)",
        r"(?<!per\s)(?<!once\s)(?<!twice\s)(?<!times\s)"
        rf"(?:\d+(?:{_RANGE}\d+)?\s*|(?:{_COUNT_WORDS})(?:{_RANGE}(?:{_COUNT_WORDS}))?\s+)"
        rf"(?:more\s+)?(?:{_TIME_UNITS})",
    ]
)

_CN_N = r"\d{1,2}|[零〇一二两三四五六七八九十]{1,3}"
_CN_DATE_LIKE = "|".join(
    [
        r"大后天|今天|今日|明天|明日|明儿|后天|昨天|昨日|前天|今晚|今早|明早|明晨|明晚|今年|明年|去年",
        _words(period for period in _CN_PERIODS if len(period) > 1),
        r"(?:下下|下一?个?|这一?个?|本|上一?个?)(?:周|星期|礼拜)[一二三四五六日天1-7末]?",
        r"(?:周|星期|礼拜)[一二三四五六日天1-7末]|礼拜六日",
        rf"{_CN_MONTH_REF}|上一?个?月",
        r"(?:本|这个?|下一?个?|上一?个?)?月[底末初中]|[上中下]旬|年[底初末中]",
        r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月",
        rf"(?:{_CN_N})[号日](?![楼线院门库机车仓室口])",
        r"(?<![快多少好大小高低慢贵有差早晚])一点(?![儿点])",
        r"(?<!有)(?:\d{1,2}|[零〇二两三四五六七八九十]{1,3})点|\d{1,2}时",
        rf"过?(?:{_CN_N}|几|半|一两)个?(?:天|日|周|星期|礼拜|月|小时|钟头|分钟)"
        r"(?:以后|之后|后|以内|之内|内)",
        rf"过(?:{_CN_N}|几|一两)天|这几天",
    ]
)
_DATE_LIKE = re.compile(rf"{_EN_L}(?:{_EN_DATE_LIKE}){_EN_R}|{_CN_DATE_LIKE}")

# The pieces of a sentence: a Chinese character, an English word (with its inner -, :, /, .),
# or a dash; anything else between them (punctuation) ends a date phrase.
_PIECE = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+(?:['.:/\-–~][a-z0-9]+)*(?:(?<=[ap]\.m)\.)?|[~@\-–—]"
)
_NUMBER = re.compile(r"\d+(?:[-–~/.:]\d+)*|[零〇一二两三四五六七八九十百几半]")
_NUMBER_NAMES = {*_EN_CARDINALS, *_WEAK}
# Words of a date phrase that may open it, and those that may only stand inside it or end it.
_EN_LEADS = {
    *("at", "on", "by", "before", "after", "until", "till", "til", "around", "about"),
    *("approx", "approx.", "approximately", "in", "within", "from", "between", "sometime"),
    *("early", "late", "mid", "end", "the", "this", "next", "last", "coming", "following"),
    *("every", "each", "a", "an", "no", "not", "say", "~", "@"),
}
_EN_INSIDE = {"of", "or", "and", "to", "through", "thru", "than", "maybe", "couple", "few"}
_EN_ENDS = {"ish", "later", "latest", "sharp"}
_EN_ENDS_AFTER = {"so": "or", "now": "from"}  # "fri or so", "two weeks from now"
_CN_JOINS = set("号日月周点时分刻钟底初旬整天到至或者和及前后左右之以每在~～-–—")
_CN_OPENS = set("每在")  # "每周五", "在周五前"
_CN_ENDS = set("号日月周点时分刻钟底初旬整前后右")


class _Piece(NamedTuple):
    start: int
    end: int
    word: str  # as read: lower case, NFKC, Simplified
    dated: bool  # part of something that looks like a date


def _flat(text: str) -> str:
    """`text` in lower case, NFKC and Simplified date characters, one character for one, so
    that a position in it is the same position in `text`."""
    out = []
    for char in text:
        flat = unicodedata.normalize("NFKC", char).lower().translate(_TRADITIONAL)
        out.append(flat if len(flat) == 1 else "\0")
    return "".join(out)


def _joins(piece: str) -> bool:
    """Whether `piece` may be part of a date phrase next to a word that looks like a date."""
    return (
        piece in _EN_LEADS
        or piece in _EN_INSIDE
        or piece in _EN_ENDS
        or piece in _EN_ENDS_AFTER
        or piece in _NUMBER_NAMES
        or piece in _CN_JOINS
        or _NUMBER.fullmatch(piece) is not None
    )


def _may_open(piece: str) -> bool:
    return (
        piece in _EN_LEADS
        or piece in _CN_OPENS
        or piece in _NUMBER_NAMES
        or _NUMBER.fullmatch(piece) is not None
    )


def _may_close(piece: str, before: str) -> bool:
    return (
        piece in _EN_ENDS
        or piece in _NUMBER_NAMES
        or piece in _CN_ENDS
        or _NUMBER.fullmatch(piece) is not None
        or _EN_ENDS_AFTER.get(piece) == before
    )


def unclear_dates(text: str) -> tuple[str, ...]:
    """The parts of `text` that look like a date (see the module docstring), as typed, in
    order. Meant for text in which no date was understood: it does not parse them."""
    flat = _flat(text)
    dated = [False] * len(flat)
    for m in _DATE_LIKE.finditer(flat):
        dated[m.start() : m.end()] = [True] * (m.end() - m.start())
    found: list[str] = []

    def name(run: list[_Piece]) -> None:
        """Name the run of pieces that may form a date phrase if something in it is dated,
        without the words that may not open or end one."""
        if not any(piece.dated for piece in run):
            return
        first, last = 0, len(run) - 1
        while not run[first].dated and not _may_open(run[first].word):
            first += 1
        while not run[last].dated and not _may_close(run[last].word, run[last - 1].word):
            last -= 1
        part = text[run[first].start : run[last].end].strip()
        if part not in found:
            found.append(part)

    run: list[_Piece] = []
    for m in _PIECE.finditer(flat):
        piece = _Piece(m.start(), m.end(), m[0], any(dated[m.start() : m.end()]))
        joins = piece.dated or _joins(piece.word)
        if run and (not joins or flat[run[-1].end : piece.start].strip()):
            name(run)
            run = []
        if joins:
            run.append(piece)
    if run:
        name(run)
    return tuple(found)
