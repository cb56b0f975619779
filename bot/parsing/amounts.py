"""Money amounts as reps type them turned into `Money`.

The families, each read by a rule rather than a list of examples:

- digits in any grouping style: "12000", "1,200.50", "1.200,50", "1 200";
- a Latin scale suffix on digits: k (thousand), m / mm / mn (million), bn (billion),
  w (万, ten thousand): "12k", "1.5mn", "12.5w". w is a plain spelling of 万, so "1w5" is
  15000 exactly like "1万5";
- Chinese numerals, everyday or formal (banker's, simplified or traditional): "十二万",
  "2万5千", "1.5亿", "伍万", "壹拾贰万", "貳仟伍佰圓". A lone digit after a unit is a tenth of
  it ("2万5" = 25000, "12万5千" = "12万5" = 125000); after 零 it is itself ("2万零5" = 20005);
- spoken Chinese decimals with 点: "十二点五万" = 125000, "三点五千" = 3500, "十二点五" = 12.5;
- yuan, jiao and fen (元/圆/块, 角/毛, 分): "壹拾贰元伍角" = 12.50, "叁佰元零伍分" = 300.05,
  "12块5" = 12.50, "2毛5" = 0.25, optionally closed by 整 or 正 ("壹佰万元整");
- English number words, with digits or "point" for decimals: "two hundred thousand",
  "1.5 million", "twelve thousand five hundred", "a million", "one point five million",
  "3 grand" (grand is a thousand);
- a currency sign, code or word before or after any of these: "¥", "$", "CNY", "rmb", "元",
  "美元", "dollars", "euros".

Anything that needs a guess is refused (None), never rounded: more than two decimals, more
than the 12 integer digits the database column holds, a decimal followed by more parts
("1.2万5千", "1.5 million 200 thousand"), ranges and approximations ("1-2万", "十几万", "5k+",
"a few thousand"), two different currencies, and words that mean different amounts to different
people ("5 mil": a million in English, a thousand in Spanish; "bucks": dollars or 块).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, DecimalException, Inexact, localcontext
from functools import partial

from bot.parsing.numerals import (
    CN_DIGITS,
    EN_UNITS_WORDS,
    plain_numerals,
    small_number,
    unit_tail,
)

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
    "us dollars": "USD",
    "us dollar": "USD",
    "hong kong dollars": "HKD",
    "hong kong dollar": "HKD",
    "hk dollars": "HKD",
    "hk dollar": "HKD",
    "dollars": "USD",
    "dollar": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "pound": "GBP",
    "renminbi": "CNY",
    "yuan": "CNY",
    "yen": "JPY",
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
_LATIN_MULTIPLIERS = {
    "k": Decimal(1000),
    "m": Decimal(1000000),
    "mm": Decimal(1000000),
    "mn": Decimal(1000000),
    "bn": Decimal(1000000000),
}
_LATIN_SCALED = re.compile(r"(.*?\d) ?(k|mm|mn|m|bn)")
# "12.5w", "3.5 w", "十二点五w": w stands for 万.
_W = re.compile(r"(?<=[\d零〇一二两三四五六七八九十百千]) ?w(?![a-z])")
_MAX_LENGTH = 100
# Characters that name the yuan and its parts, in any script: 圆 and 圓 are the formal 元.
_YUAN_CHARS = str.maketrans({"圆": "元", "圓": "元", "塊": "块"})
_CN_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
_CN_UNIT = "十百千万亿"

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


def _cn_number(text: str) -> Decimal | None:
    """Chinese numerals, perhaps with digits ("十二万", "1.5亿", "2万5千", "1.5千万"), refusing a
    decimal with more parts around it: "1.2万5千" and "2万3.5" have no one reading."""
    if re.search(rf"[{_CN_UNIT}].*\.", text) or re.search(
        rf"\.\d+[{_CN_UNIT}]+[^{_CN_UNIT}]", text
    ):
        return None
    return _cn_large(text)


_SPOKEN_DECIMAL = re.compile(
    rf"(?P<whole>[{_CN_NUMERAL}\d]+)点(?P<fraction>[零〇一二三四五六七八九]+|\d+)"
    rf"(?P<unit>[{_CN_UNIT}]*)"
)
_SPOKEN_DIGITS = str.maketrans("零〇一二三四五六七八九", "00123456789")


def _spoken_decimal(match: re.Match[str]) -> str:
    """The digits for a Chinese decimal: 十二点五万 → 12.5万, 一万二千点五 → 12000.5. Left as it is
    (and so refused) when the whole part is abbreviated (两万三点五: is 三 3000 or 3?) or is
    ten thousand or more before a unit (一万点五万)."""
    whole_text, unit = match["whole"], match["unit"]
    if re.search(r"[百千万亿][一二两三四五六七八九]$", whole_text):
        return match[0]
    whole = _cn_large(whole_text)
    if whole is None or whole != whole.to_integral_value() or (unit and whole >= 10000):
        return match[0]
    return f"{int(whole)}.{match['fraction'].translate(_SPOKEN_DIGITS)}{unit}"


# -- yuan, jiao and fen ------------------------------------------------------------------------

_TENTH_DIGIT = "[1-9一二两三四五六七八九]"
_YUAN_PARTS = re.compile(
    rf"(?:(?P<jiao>{_TENTH_DIGIT})[角毛])?"
    rf"(?:(?P<zero>零)?(?P<fen>{_TENTH_DIGIT})分|(?P<lone>{_TENTH_DIGIT}))?"
)


def _digit(text: str) -> Decimal:
    return Decimal(CN_DIGITS[text]) if text in CN_DIGITS else Decimal(text)


def _yuan_jiao_fen(text: str) -> Decimal | None:
    """Yuan (元 or 块), then jiao (角 or 毛), then fen (分), each part optional but in that order:
    壹拾贰元伍角 = 12.50, 叁佰元零伍分 = 300.05, 伍角 = 0.50. A lone digit after a part is a
    tenth of it, as after 万: 12块5 = 12.50, 2毛5 = 0.25; "12元50" and "12元零5" are refused."""
    head = re.fullmatch(r"(.*?)[元块](零?)(.*)", text)
    if head is None:
        yuan, zero, rest = Decimal(0), "", text
    else:
        number = _number(head[1])
        if number is None:
            return None
        yuan, zero, rest = number, head[2], head[3]
    parts = _YUAN_PARTS.fullmatch(rest)
    if parts is None or not rest or yuan != yuan.to_integral_value():
        return None
    jiao, fen, lone = parts["jiao"], parts["fen"], parts["lone"]
    if (zero or head is None) and ((lone and not jiao) or parts["zero"]):
        return None  # "12元零5", "元零零5分", "零5分" alone
    if jiao and parts["zero"]:
        return None  # "5角零5分": nothing was skipped
    if lone and jiao:
        fen = lone
    elif lone:
        jiao = lone
    tenths = _digit(jiao) if jiao else Decimal(0)
    hundredths = _digit(fen) if fen else Decimal(0)
    return yuan + tenths / 10 + hundredths / 100


def _strip_whole_sum(text: str) -> str:
    """`text` without a closing 整 or 正 ("壹佰万元整": exactly that, nothing smaller follows;
    it adds nothing to the value) or the 钱 of "五毛钱"."""
    text = re.sub(r"(?<=[块毛角分])钱$", "", text)
    return text[:-1].rstrip() if text.endswith(("整", "正")) else text


# -- English number words ----------------------------------------------------------------------

_EN_ONES = {word: value for value, word in enumerate(EN_UNITS_WORDS) if value}
_EN_TENS = {
    word: 10 * value
    for value, word in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=2
    )
}
_EN_DIGITS = {"zero": 0, "oh": 0} | {word: value for word, value in _EN_ONES.items() if value < 10}
# "grand" is slang for a thousand ("3 grand"); a trillion is read only to be refused as too big.
_EN_SCALES = {
    "thousand": Decimal(10) ** 3,
    "grand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}


def _en_tokens(text: str) -> list[str]:
    """Words and digit groups: "twenty-five thousand, 500" → twenty five thousand 500."""
    text = re.sub(r"(?<=[a-z]),|,(?=\s)", " ", text)
    return re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text).split()


def _en_below_hundred(tokens: list[str], at: int) -> tuple[int, int] | None:
    """1 to 99 in words at `tokens[at]` ("seven", "twelve", "forty", "forty five") and where
    the words end."""
    word = tokens[at] if at < len(tokens) else ""
    if word in _EN_ONES:
        return _EN_ONES[word], at + 1
    if word not in _EN_TENS:
        return None
    after = tokens[at + 1] if at + 1 < len(tokens) else ""
    if _EN_ONES.get(after, 10) < 10:
        return _EN_TENS[word] + _EN_ONES[after], at + 2
    return _EN_TENS[word], at + 1


def _en_count(tokens: list[str], at: int) -> tuple[Decimal, int] | None:
    """The count before a scale word, or a last group: "a", "1.5", "two hundred and five",
    "twelve hundred", "5 hundred", "one point two five"."""
    word = tokens[at] if at < len(tokens) else ""
    after = tokens[at + 1] if at + 1 < len(tokens) else ""
    if word in ("a", "an"):
        if after in _EN_SCALES:
            return Decimal(1), at + 1
        if after != "hundred":
            return None
        value, at = Decimal(1), at + 1
    elif word[:1].isdigit():
        number = _western(word, scaled=after in _EN_SCALES)
        if number is None:
            return None
        if after != "hundred":
            return number, at + 1
        if "." in word or "," in word or not 1 <= number < 100:
            return None
        value, at = number, at + 1
    else:
        small = _en_below_hundred(tokens, at)
        if small is None:
            return None
        value, at = Decimal(small[0]), small[1]
    if at < len(tokens) and tokens[at] == "hundred":
        value, at = value * 100, at + 1
        joined = at < len(tokens) and tokens[at] == "and"
        rest = _en_below_hundred(tokens, at + joined)
        if rest is not None:
            value, at = value + rest[0], rest[1]
        elif joined:
            return None
    if at < len(tokens) and tokens[at] == "point":
        digits = ""
        at += 1
        while at < len(tokens) and tokens[at] in _EN_DIGITS:
            digits, at = digits + str(_EN_DIGITS[tokens[at]]), at + 1
        if not digits:
            return None
        value += Decimal("0." + digits)
    return value, at


def _english(text: str) -> Decimal | None:
    """English number words, alone or with digits: groups of a count and a scale word, each
    smaller than the one before ("one million two hundred fifty thousand", "12 thousand 500",
    "a thousand and five"). Only a lone group may have decimals ("1.5 million")."""
    tokens = _en_tokens(text)
    total, at = Decimal(0), 0
    previous: Decimal | None = None
    whole = True
    while at < len(tokens):
        joined = previous is not None and tokens[at] == "and"
        read = _en_count(tokens, at + joined)
        if read is None:
            return None
        count, at = read
        scale = _EN_SCALES.get(tokens[at]) if at < len(tokens) else None
        if scale is None:
            scale = Decimal(1)
        else:
            at += 1
        fractional = count != count.to_integral_value()
        if count <= 0 or (joined and (scale != 1 or count >= 100)):
            return None
        if previous is not None and (not whole or fractional or count * scale >= previous):
            return None
        total += count * scale
        previous, whole = scale, not fractional
    return total if previous is not None else None


def _number(text: str) -> Decimal | None:
    """A number in any family but yuan-jiao-fen, with no currency around it."""
    text = _SPOKEN_DECIMAL.sub(_spoken_decimal, _W.sub("万", text))
    if not text:
        return None
    scaled = _LATIN_SCALED.fullmatch(text)
    if scaled is not None:
        base = _western(scaled[1], scaled=True)
        return None if base is None else base * _LATIN_MULTIPLIERS[scaled[2]]
    if re.search("[a-z]", text):
        return _english(text)
    if re.search(f"[{_CN_NUMERAL}]", text):
        return _cn_number(text)
    return _western(text, scaled=False)


def parse_amount(text: str) -> Money | None:
    """The positive amount (and currency, if named) in `text`; None if it is not one."""
    flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()
    if len(flat) > _MAX_LENGTH:
        return None
    flat = _strip_whole_sum(plain_numerals(flat).translate(_YUAN_CHARS))
    number_text, currencies = _strip_currency(flat)
    try:
        with localcontext() as context:
            context.prec = 60
            context.traps[Inexact] = True  # never round: a number this long is refused
            if re.search("[元块角毛分]", number_text):
                currencies.add("CNY")
                value = _yuan_jiao_fen(number_text)
            else:
                value = _number(number_text)
    except (DecimalException, ValueError):
        return None
    if len(currencies) > 1 or value is None or value <= 0 or value > MAX_AMOUNT:
        return None
    cents = value.quantize(_CENT)
    if cents != value:
        return None
    return Money(cents, currencies.pop() if currencies else None)
