"""Numbers as people write them in Chinese or with digits, below ten thousand: 25, 1.2, 两,
十二, 二十五, 三千五百, 5千. Shared by the amount and date parsers."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_SMALL_UNITS = (("千", Decimal(1000)), ("百", Decimal(100)), ("十", Decimal(10)))
ARABIC = re.compile(r"\d+(?:\.\d+)?")


def small_number(text: str) -> Decimal | None:
    """A number below 10,000, in Arabic digits ("1.2", "25") or Chinese (三千五百, 十二, 5千)."""
    if not text:
        return None
    if ARABIC.fullmatch(text):
        return Decimal(text)
    if text in CN_DIGITS:
        return Decimal(CN_DIGITS[text])
    for unit, value in CN_SMALL_UNITS:
        if unit not in text:
            continue
        head, _, tail = text.partition(unit)
        multiplier = small_number(head) if head else (Decimal(1) if unit == "十" else None)
        if multiplier is None or multiplier >= 10:
            return None
        rest = unit_tail(tail, value)
        return None if rest is None else multiplier * value + rest
    return None


def unit_tail(
    text: str, unit: Decimal, read_rest: Callable[[str], Decimal | None] | None = None
) -> Decimal | None:
    """What follows a unit: nothing, a lone digit meaning a tenth of it ("2千5" → 2500, "2万5"
    → 25000), or a smaller number ("一千零五"), read by ``read_rest`` (default: small_number).
    After 零 a lone digit is itself, not a tenth: 一千零五 is 1005 and 2万零5 is 20005."""
    zero = text.startswith("零")
    text = text.removeprefix("零")
    if not text:
        return Decimal(0)
    if not zero and len(text) == 1 and (text.isdigit() or text in CN_DIGITS) and unit > 10:
        digit = CN_DIGITS.get(text)
        return (Decimal(digit) if digit is not None else Decimal(text)) * unit / 10
    rest = (read_rest or small_number)(text)
    return rest if rest is not None and rest < unit else None


def whole_number(text: str) -> int | None:
    """A whole number written in digits or small Chinese numerals (二十五, 两, 十一, 零五)."""
    if len(text) > 1 and text[0] in "零〇":
        text = text[1:]
    value = small_number(text)
    if value is None or value != value.to_integral_value() or "." in text:
        return None
    return int(value)


# Formal ("banker's") numerals, written on cheques and contracts so digits cannot be altered,
# simplified and traditional: 壹拾贰万 is 一十二万, 貳仟伍佰 is 二千五百, 萬 and 億 are 万 and 亿.
FORMAL_NUMERALS = str.maketrans(
    {
        "壹": "一",
        "贰": "二",
        "貳": "二",
        "叁": "三",
        "參": "三",
        "叄": "三",
        "肆": "四",
        "伍": "五",
        "陆": "六",
        "陸": "六",
        "柒": "七",
        "捌": "八",
        "玖": "九",
        "拾": "十",
        "佰": "百",
        "仟": "千",
        "萬": "万",
        "億": "亿",
        "兩": "两",
        "點": "点",
    }
)


def plain_numerals(text: str) -> str:
    """`text` with formal and traditional numerals written as everyday ones (伍万 → 五万)."""
    return text.translate(FORMAL_NUMERALS)


# English numbers in words, 0–19 by position (dates' minutes and days, amounts' words).
EN_UNITS_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
