"""Money amounts as reps type them ("12k", "1.200,50", "¥3000", "2万5") turned into `Money`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from bot.parsing.numerals import small_number, unit_tail

__all__ = ["Money", "parse_amount"]


@dataclass(frozen=True)
class Money:
    """A positive amount with at most two decimals; `currency` is an ISO code or None."""

    amount: Decimal
    currency: str | None


MAX_AMOUNT = Decimal("999999999999.99")
_CENT = Decimal("0.01")

# Longest first, so "us$" wins over "$" and "美元" over "元".
_PREFIXES = {
    "人民币": "CNY",
    "hk$": "HKD",
    "us$": "USD",
    "rmb": "CNY",
    "cny": "CNY",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "hkd": "HKD",
    "jpy": "JPY",
    "¥": "CNY",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
}
_SUFFIXES = {
    "人民币": "CNY",
    "块钱": "CNY",
    "美元": "USD",
    "美金": "USD",
    "欧元": "EUR",
    "英镑": "GBP",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
    "rmb": "CNY",
    "cny": "CNY",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "hkd": "HKD",
    "jpy": "JPY",
    "元": "CNY",
    "块": "CNY",
    "¥": "CNY",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
}
_LATIN_MULTIPLIERS = {"k": Decimal(1000), "m": Decimal(1000000), "mm": Decimal(1000000)}
_LATIN_MULTIPLIERS["bn"] = Decimal(1000000000)

_CN_BIG = (("亿", Decimal(100000000)), ("万", Decimal(10000)))


def _strip_currency(text: str) -> tuple[str, set[str]]:
    """The number part of `text` and the currencies named around it."""
    found: set[str] = set()
    changed = True
    while changed and text:
        changed = False
        for table, at_start in ((_PREFIXES, True), (_SUFFIXES, False)):
            for sign in sorted(table, key=len, reverse=True):
                if at_start and text.startswith(sign):
                    text = text[len(sign) :].strip()
                elif not at_start and text.endswith(sign):
                    text = text[: -len(sign)].strip()
                else:
                    continue
                found.add(table[sign])
                changed = True
                break
    return text, found


def _grouped(text: str, sep: str) -> bool:
    """Whether `text` is digits grouped in threes by `sep` ("1,200,000")."""
    return re.fullmatch(rf"[1-9]\d{{0,2}}(?:{re.escape(sep)}\d{{3}})+", text) is not None


def _western(text: str, scaled: bool) -> Decimal | None:
    """A number with thousands separators and a decimal mark in any of the usual styles."""
    if re.fullmatch(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?", text):
        text = text.replace(" ", "")
    if not re.fullmatch(r"[\d.,]+", text) or not text[0].isdigit() or not text[-1].isdigit():
        return None
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        mark = "." if text.rfind(".") > text.rfind(",") else ","
        other = "," if mark == "." else "."
        whole, _, fraction = text.rpartition(mark)
        if not _grouped(whole, other):
            return None
        text = whole.replace(other, "") + "." + fraction
    elif dots or commas:
        sep = "." if dots else ","
        whole, _, fraction = text.partition(sep)
        thousands = len(fraction) == 3 and not whole.startswith("0")
        if sep == "." and scaled:
            thousands = False  # "1.005k" is 1005, not 1,005,000
        if dots + commas > 1:
            if not _grouped(text, sep):
                return None
            text = text.replace(sep, "")
        elif thousands:
            text = whole + fraction
        else:
            text = whole + "." + fraction
    return Decimal(text)


def _cn_large(text: str, below: Decimal | None = None) -> Decimal | None:
    """A number with Chinese units: "1.5亿", "十二万", "2万5千", "5千"."""
    for unit, value in _CN_BIG:
        if (below is not None and value >= below) or unit not in text:
            continue
        head, _, tail = text.partition(unit)
        multiplier = _cn_large(head, below=value)
        if multiplier is None or multiplier <= 0:
            return None
        rest = unit_tail(tail, value, partial(_cn_large, below=value))
        return None if rest is None else multiplier * value + rest
    return small_number(text)


def _number(text: str) -> Decimal | None:
    if not text:
        return None
    m = re.fullmatch(r"(.*?\d) ?(k|m|mm|bn)", text)
    if m is not None:
        base = _western(m[1], scaled=True)
        return None if base is None else base * _LATIN_MULTIPLIERS[m[2]]
    if re.search(r"[零〇一二两三四五六七八九十百千万亿]", text):
        return _cn_large(text)
    return _western(text, scaled=False)


def parse_amount(text: str) -> Money | None:
    """The positive amount (and currency, if named) in `text`; None if it is not one."""
    flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()
    number_text, currencies = _strip_currency(flat)
    if len(currencies) > 1:
        return None
    try:
        value = _number(number_text)
    except (InvalidOperation, ValueError):
        return None
    if value is None or value <= 0 or value > MAX_AMOUNT:
        return None
    cents = value.quantize(_CENT)
    if cents != value:
        return None
    return Money(cents, currencies.pop() if currencies else None)
