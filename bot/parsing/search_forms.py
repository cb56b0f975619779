"""A customer's name in the forms people type when looking for it on a phone, and a typed query
in the same forms, so the two can be compared as plain strings.

- ``key``: the name in lower case and Simplified characters (a Hong Kong or Taiwan colleague's
  ``上海通用汽車`` is ``上海通用汽车``), without company suffixes and punctuation;
- ``pinyin``: the full pinyin without tones or spaces, polyphonic characters read by context
  (``重庆长安汽车`` is ``chongqingchanganqiche``), Latin letters and digits kept as they are;
- ``initials``: the first letter of each Chinese syllable (``cqcaqc``), other runs kept whole.

A name's forms are stored beside it (``Customer.search_key``, ``name_pinyin``,
``name_initials``); the search itself lives in ``bot.services.customers``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rapidfuzz import utils

if TYPE_CHECKING:
    from opencc import OpenCC

__all__ = [
    "KEY_LENGTH",
    "NameForms",
    "QueryForms",
    "name_forms",
    "normalized_name",
    "query_forms",
    "search_key",
    "simplified",
]

KEY_LENGTH = 200
PINYIN_LENGTH = 1200
INITIALS_LENGTH = 200
COMPANY_SUFFIXES = re.compile(
    r"(有限责任公司|股份有限公司|有限公司|集团|公司|厂|\b(co\.?|company|ltd\.?|limited|inc\.?|"
    r"llc|gmbh|corp\.?|corporation|group|plc)\b)",
    re.IGNORECASE,
)
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = re.compile("[a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class NameForms:
    key: str
    pinyin: str
    initials: str


@dataclass(frozen=True)
class QueryForms:
    """What was typed, in the forms of ``NameForms``; ``han``/``latin``: whether it has Chinese
    characters / Latin letters (both: mixed input such as ``上海ty``)."""

    key: str
    pinyin: str
    initials: str
    han: bool
    latin: bool


@cache
def _to_simplified() -> OpenCC:
    # Imported on first use (as pypinyin in ``name_forms``): the bot starts without them.
    from opencc import OpenCC

    return OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` in Simplified characters, full-width letters and digits made plain."""
    return str(_to_simplified().convert(unicodedata.normalize("NFKC", text)))


def normalized_name(name: str) -> str:
    """A name without company suffixes and punctuation, in lower case, for comparing."""
    return str(utils.default_process(COMPANY_SUFFIXES.sub(" ", name))).strip()


def _key(plain: str) -> str:
    return (normalized_name(plain) or " ".join(plain.lower().split()))[:KEY_LENGTH]


def _compact(parts: list[str]) -> str:
    return "".join(ch for ch in "".join(parts).lower() if ch.isalnum())


def search_key(name: str) -> str:
    """The name's ``key`` form alone (see the module's docstring)."""
    return _key(simplified(name))


def name_forms(name: str) -> NameForms:
    """The forms of a customer's name to store beside it."""
    from pypinyin import Style, lazy_pinyin  # ~0.3 s to import: not at the bot's start

    plain = simplified(name)
    return NameForms(
        key=_key(plain),
        pinyin=_compact(lazy_pinyin(plain))[:PINYIN_LENGTH],
        initials=_compact(lazy_pinyin(plain, style=Style.FIRST_LETTER))[:INITIALS_LENGTH],
    )


def query_forms(query: str) -> QueryForms:
    """What a person typed to find a customer, in the same forms as the stored names."""
    plain = simplified(query.strip())
    forms = name_forms(plain)
    key = normalized_name(plain) or str(utils.default_process(plain))
    return QueryForms(
        key=key,
        pinyin=forms.pinyin,
        initials=forms.initials,
        han=bool(_HAN.search(plain)),
        latin=bool(_LATIN.search(plain)),
    )
