"""A birthday as people type it: ``12 May``, ``May 12``, ``5月12日``, ``1985-05-12``,
``12.05.1985``, ``1985年5月12日``; the year is optional. Day-first for numeric dates with dots
or slashes (``12/05``), as written where the customers are (China writes year first)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

__all__ = ["Birthday", "parse_birthday"]

OLDEST_YEAR = 1900

_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        calendar.month_name[number].lower(),
        calendar.month_abbr[number].lower(),
    )
}
_MONTHS["sept"] = 9
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_PATTERNS = [
    # 1985-05-12, 1985/5/12, 1985.5.12
    re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"),
    # 1985年5月12日, 5月12日, 5月12号
    re.compile(r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]?"),
    # 12 May, 12 May 1985, 12th of May, 12-may-1985
    re.compile(
        rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?[-/.\s]?\s*(?P<mname>{_MONTH})\.?"
        r"(?:[-/.,\s]+(?P<year>\d{4}))?"
    ),
    # May 12, May 12 1985, May 12th, 1985
    re.compile(
        rf"(?P<mname>{_MONTH})\.?[-/.\s]*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
        r"(?:[-/.,\s]+(?P<year>\d{4}))?"
    ),
    # 12.05.1985, 12/05/1985, 12.05, 12/5
    re.compile(r"(?P<day>\d{1,2})[/.](?P<month>\d{1,2})(?:[/.](?P<year>\d{4}))?"),
]


@dataclass(frozen=True)
class Birthday:
    month: int
    day: int
    year: int | None = None


def parse_birthday(text: str, *, this_year: int) -> Birthday | None:
    """The birthday in ``text``, or None when it is not one (a day that does not exist, a year
    in the future or before 1900, or anything else)."""
    flat = " ".join(text.strip().lower().split())
    for pattern in _PATTERNS:
        found = pattern.fullmatch(flat)
        if found is None:
            continue
        parts = found.groupdict()
        month = _MONTHS[parts["mname"]] if parts.get("mname") else int(parts["month"])
        day = int(parts["day"])
        year = int(parts["year"]) if parts.get("year") else None
        if _exists(month, day, year) and (year is None or OLDEST_YEAR <= year <= this_year):
            return Birthday(month=month, day=day, year=year)
        return None
    return None


def _exists(month: int, day: int, year: int | None) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    # Without a year 29 February is a real birthday; with one it must be a leap year.
    days = calendar.monthrange(year if year is not None else 2000, month)[1]
    return day <= days
