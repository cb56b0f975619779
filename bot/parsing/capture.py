"""Quick capture of a visit in one message ("Acme: demo went well; next: send quote fri")
split into customer, notes, next step and follow-up date.

Parts are separated by ``;``, ``；`` or a new line, and also by a label standing after a comma,
a full stop or a space, as phone keyboards type it: ``Acme: demo went well, next: send quote
fri`` or ``宏达：演示很顺利，下一步：下周五发报价``. In the middle of a sentence an English label
needs its colon (``next week`` in the notes is not a label); ``下一步`` needs none."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.parsing.dates import When, find_when_at_edges, parse_when

__all__ = ["Capture", "parse_capture"]


@dataclass(frozen=True)
class Capture:
    """One visit as typed: who, what happened, what was promised, and when to follow up."""

    customer: str
    notes: str
    next_step: str | None
    when: When | None


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
    return Capture(customer, "; ".join(notes), next_step, when)
