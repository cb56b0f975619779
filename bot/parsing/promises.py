"""A promise with a date in what a rep wrote to a customer: ``I'll send the quote on Friday``,
``周五发您报价``, ``我明天给您回电``: what was promised and when, or nothing.

The date is found as quick capture finds it in a next step (`find_when_at_edges`: a date at the
start or the end of a sentence, taken whole or not at all), in each sentence of the message on
its own. An English sentence is a promise only with a first-person promise (``I'll``, ``I
will``, ``we'll``, ``let me``, ``I'm going to``…): ``meeting on Friday`` promises nothing. A
Chinese one needs none (``周五发您报价`` is one), and a leading ``我``/``我们`` (with ``会``,
``将``, ``再``) is set aside so that the date after it is at the sentence's start. A date
already past when the message was written is no promise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.parsing.dates import When, find_when_at_edges

__all__ = ["Promise", "find_promise"]

MAX_STEP_LENGTH = 200

_SENTENCES = re.compile(r"[.!?。！？\n;；，]+")
_EN_PROMISE = re.compile(
    r"\b(?:i\s*['’]ll|i\s+will|we\s*['’]ll|we\s+will|let\s+me|let\s+us|i\s*['’]m\s+going\s+to"
    r"|i\s+am\s+going\s+to|we\s*['’]re\s+going\s+to|i\s+shall|we\s+shall|i\s+promise\s+to)\s+",
    re.IGNORECASE,
)
_CN_SUBJECT = re.compile(r"^(?:好的?|嗯|行)?[，,\s]*我们?(?:会|将|再|马上)?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Promise:
    """What the rep promised (``send the quote``, ``发您报价``) and when."""

    step: str
    when: When


def _promise_in(sentence: str, *, now: datetime, zone: str) -> Promise | None:
    chinese = _CJK.search(sentence) is not None
    text = _CN_SUBJECT.sub("", sentence, count=1).strip() if chinese else sentence.strip()
    found = find_when_at_edges(text, now=now, zone=zone) if text else None
    if found is None:
        return None
    rest, when = found
    markers = list(_EN_PROMISE.finditer(rest))
    if markers:
        rest = rest[markers[-1].end() :]
    elif not chinese:
        return None
    step = rest.strip(" ,，:：-—").strip()
    if not step:
        return None
    return Promise(step=step[:MAX_STEP_LENGTH], when=when)


def find_promise(text: str, *, now: datetime, zone: str) -> Promise | None:
    """The first promise with a date in ``text`` written at ``now`` by someone in ``zone``."""
    today = now.astimezone(ZoneInfo(zone)).date()
    for sentence in _SENTENCES.split(text):
        promise = _promise_in(sentence, now=now, zone=zone)
        if promise is not None and promise.when.day >= today:
            return promise
    return None
