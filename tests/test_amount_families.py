"""Table tests for amounts as reps write them (issue 12): the w suffix, formal (banker's)
numerals with yuan/jiao/fen, spoken Chinese decimals, mixed digits and Chinese units, English
number words and the k/m/mn/bn suffixes, each with and without a currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.parsing import Money, parse_amount

# (text, exact amount, currency or None when the rep named none)
FAMILIES: list[tuple[str, str, str | None]] = [
    # w = 万 (ten thousand), any case, with or without a space, with a lone digit like 万
    ("12.5w", "125000", None),
    ("2w", "20000", None),
    ("3.5W", "35000", None),
    ("3.5 w", "35000", None),
    ("¥2w", "20000", "CNY"),
    ("2w元", "20000", "CNY"),
    ("1w5", "15000", None),
    ("0.8w rmb", "8000", "CNY"),
    # formal (banker's) numerals, simplified and traditional, 元/圆/圓 and 整/正
    ("伍万", "50000", None),
    ("壹拾贰万", "120000", None),
    ("拾万", "100000", None),
    ("贰仟伍佰元", "2500", "CNY"),
    ("壹佰万元整", "1000000", "CNY"),
    ("貳萬伍仟圓整", "25000", "CNY"),
    ("叁仟圆", "3000", "CNY"),
    ("壹仟零伍拾元", "1050", "CNY"),
    ("壹佰零伍元", "105", "CNY"),
    ("叁万零伍拾元整", "30050", "CNY"),
    ("壹亿贰仟万元", "120000000", "CNY"),
    ("人民币玖拾玖万玖仟元整", "999000", "CNY"),
    ("壹万美元整", "10000", "USD"),
    ("5000元正", "5000", "CNY"),
    # yuan, jiao (角/毛) and fen (分), formal or everyday
    ("壹拾贰元伍角", "12.50", "CNY"),
    ("壹拾贰元伍角整", "12.50", "CNY"),
    ("叁佰元零伍分", "300.05", "CNY"),
    ("人民币壹万贰仟叁佰肆拾伍元陆角柒分", "12345.67", "CNY"),
    ("伍角", "0.50", "CNY"),
    ("捌分", "0.08", "CNY"),
    ("5元5角5分", "5.55", "CNY"),
    ("12块5", "12.50", "CNY"),
    ("一块五", "1.50", "CNY"),
    ("3块5毛", "3.50", "CNY"),
    ("2毛5", "0.25", "CNY"),
    ("五毛钱", "0.50", "CNY"),
    ("两毛", "0.20", "CNY"),
    # spoken Chinese decimals with 点
    ("十二点五万", "125000", None),
    ("三点五千", "3500", None),
    ("十二点五", "12.50", None),
    ("一点二亿", "120000000", None),
    ("零点五万", "5000", None),
    ("两点五万元", "25000", "CNY"),
    ("一百二十点五万", "1205000", None),
    ("一万二千点五", "12000.50", None),
    ("壹拾贰点伍万", "125000", None),
    ("十二点五w", "125000", None),
    # mixed digits and Chinese units; 零 makes a lone digit itself, not a tenth
    ("12万5千", "125000", None),
    ("12万5", "125000", None),
    ("1.5千万", "15000000", None),
    ("2万零5", "20005", None),
    ("一千零五", "1005", None),
    ("9999亿", "999900000000", None),
    # English number words, with digits, "point", "and", hyphens and commas
    ("two hundred thousand", "200000", None),
    ("1.5 million", "1500000", None),
    ("twelve thousand five hundred", "12500", None),
    ("a million", "1000000", None),
    ("Twelve Thousand", "12000", None),
    ("one hundred and twenty thousand", "120000", None),
    ("a hundred and fifty thousand", "150000", None),
    ("one million two hundred fifty thousand", "1250000", None),
    ("twenty-five thousand", "25000", None),
    ("twenty five thousand, three hundred", "25300", None),
    ("ninety-nine thousand nine hundred ninety-nine", "99999", None),
    ("one point five million", "1500000", None),
    ("one point oh five million", "1050000", None),
    ("a thousand and five", "1005", None),
    ("twelve hundred", "1200", None),
    ("12 thousand 500", "12500", None),
    ("1,500 million", "1500000000", None),
    ("0.5 million", "500000", None),
    ("nine hundred ninety-nine billion", "999000000000", None),
    # "grand" is a thousand
    ("3 grand", "3000", None),
    ("a grand", "1000", None),
    ("3.5 grand", "3500", None),
    ("ten grand", "10000", None),
    # k / m / mm / mn / bn suffixes
    ("1.5mn", "1500000", None),
    ("2 mn", "2000000", None),
    ("2bn", "2000000000", None),
    ("3mm", "3000000", None),
    ("$1.5mn", "1500000", "USD"),
    # currency signs, codes and words around the new families
    ("$1.5 million", "1500000", "USD"),
    ("1.5 million dollars", "1500000", "USD"),
    ("USD 2.5 million", "2500000", "USD"),
    ("twenty-five hundred dollars", "2500", "USD"),
    ("two hundred thousand yuan", "200000", "CNY"),
    ("a million rmb", "1000000", "CNY"),
    ("CNY 十二点五万", "125000", "CNY"),
    ("five thousand euros", "5000", "EUR"),
    ("5000 us dollars", "5000", "USD"),
    ("800 hk dollars", "800", "HKD"),
    ("ten thousand yen", "10000", "JPY"),
    ("three hundred pounds", "300", "GBP"),
    ("12.5w美元", "125000", "USD"),
]


@pytest.mark.parametrize(("text", "amount", "currency"), FAMILIES)
def test_amount_families(text: str, amount: str, currency: str | None) -> None:
    money = parse_amount(text)
    assert money == Money(Decimal(amount), currency)
    assert money is not None and money.amount.as_tuple().exponent == -2


REFUSED = [
    # a decimal followed by more parts has no one reading
    "1.2万5千",
    "2万3.5",
    "1.5 million 200 thousand",
    "12.5元5角",
    # an abbreviated whole before 点 (两万三 is 23000, so is 两万三点五 23000.5 or 20003.5?)
    "两万三点五",
    "一万点五万",
    # times of day, not money
    "十二点五分",
    "3点半",
    "三点",
    # yuan with digits that could be jiao or fen, or parts out of order or repeated
    "12元50",
    "12元零5",
    "5分5角",
    "5角5角",
    # two currencies
    "$12元5角",
    # words whose amount depends on who says them
    "5 mil",  # a million in English, a thousand in Spanish and Portuguese
    "500 bucks",  # dollars, or 块 to a rep in China
    # approximations and ranges
    "a few thousand",
    "a couple thousand",
    "half a million",
    "十几万",
    "5万多",
    "约5万",
    "一二万",
    "1-2万",
    "10-15k",
    "5k+",
    "~5k",
    # English that is not one number
    "thousand",
    "one thousand thousand",
    "two two hundred",
    "twenty twelve",
    "nineteen ninety",
    "twelve thousand and five hundred",
    "one hundred and",
    # beyond the column's 12 integer digits, or not positive
    "a trillion",
    "1万亿",
    "1000bn",
    "负五万",
    # formal numerals that are not a number
    "元整",
    "零五分",
]


@pytest.mark.parametrize("text", REFUSED)
def test_amount_families_refuse(text: str) -> None:
    assert parse_amount(text) is None
