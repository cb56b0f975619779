"""Dates, times, numbers and money as a reader of each language writes them (Babel's locale data):
``Fri 4 Dec 2026, 15:00`` and ``CNY 12,000.00`` in English, ``2026年12月4日 周五 15:00`` and
``¥12,000.00`` in Chinese. Templates name a style (``weekday_datetime``…), never a pattern, so a
language decides its own order of day, month and weekday."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal

LOCALES = {"en": Locale.parse("en_GB"), "zh": Locale.parse("zh_Hans_CN")}

# A style per language: a CLDR pattern (https://unicode.org/reports/tr35/tr35-dates.html).
STYLES: dict[str, dict[str, str]] = {
    "en": {
        "time": "HH:mm",
        "day": "d MMM",
        "day_time": "d MMM HH:mm",
        "weekday_day": "EEE d MMM",
        "weekday_day_time": "EEE d MMM HH:mm",
        "date": "d MMM y",
        "datetime": "d MMM y HH:mm",
        "weekday_date": "EEE d MMM y",
        "weekday_datetime": "EEE d MMM y, HH:mm",
        "iso": "y-MM-dd HH:mm",
    },
    "zh": {
        "time": "HH:mm",
        "day": "M月d日",
        "day_time": "M月d日 HH:mm",
        "weekday_day": "M月d日 EEE",
        "weekday_day_time": "M月d日 EEE HH:mm",
        "date": "y年M月d日",
        "datetime": "y年M月d日 HH:mm",
        "weekday_date": "y年M月d日 EEE",
        "weekday_datetime": "y年M月d日 EEE HH:mm",
        "iso": "y-MM-dd HH:mm",
    },
}
# The money format: English names the currency by its code, Chinese by its sign.
MONEY_PATTERNS = {"en": "¤¤ #,##0.00", "zh": "¤#,##0.00"}


def _language(language: str) -> str:
    return language if language in LOCALES else "en"


def format_day(day: date | datetime, style: str, language: str) -> str:
    """A calendar day (or a wall-clock time already in the reader's zone) in ``style``."""
    language = _language(language)
    moment = day if isinstance(day, datetime) else datetime(day.year, day.month, day.day)
    return format_datetime(moment, STYLES[language][style], locale=LOCALES[language])


def format_instant(instant: datetime, zone: str, style: str, language: str) -> str:
    """An instant as the reader sees it on their clock in ``zone``."""
    return format_day(instant.astimezone(ZoneInfo(zone)), style, language)


def format_money(amount: Decimal | int | float, currency: str, language: str) -> str:
    language = _language(language)
    return format_currency(
        Decimal(amount),
        currency,
        format=MONEY_PATTERNS[language],
        locale=LOCALES[language],
        currency_digits=False,
    )


def format_number(value: Decimal | int | float, language: str, *, places: int = 2) -> str:
    """A number with grouping, exactly ``places`` decimals (``12,000.00``)."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(Decimal(value), format=pattern, locale=LOCALES[_language(language)])


def plain_number(value: Decimal | int | float) -> str:
    """A quantity or percentage without trailing zeros, never in exponent form: 10, 7.5."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
