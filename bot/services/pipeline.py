"""The pipeline as an admin shapes it (``/pipeline``): name a stage (the name everyone sees, in
every language), move an open stage up or down, add one before Won, and set a stage's default
win probability and the days after which its open deals count as gone quiet. Won and Lost stay
last and keep their meaning (100 % and 0 %); they may be renamed. Every change is in the change
history (``pipeline_stage`` is tracked)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.db import Database
from bot.parsing.text import one_line
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.people import Actor
from models import PipelineStage, Role

NAME_LIMIT = 40
KEY_LIMIT = 24
CLEAR_WORDS = frozenset({"default", "默认", "-"})


class StageNameInvalid(ServiceError):
    """``reason``: ``empty``, ``too_long`` or ``taken``."""

    template = "pipeline/name_invalid"


class StageNumberInvalid(ServiceError):
    """``what``: ``probability`` (0–100) or ``stale`` (1–365 days, or ``default``)."""

    template = "pipeline/number_invalid"


class StageFixed(ServiceError):
    """Won and Lost: always last, their probability fixed."""

    template = "pipeline/fixed"


@dataclass(frozen=True)
class StageLine:
    key: str
    name: str | None  # the admin's name, else None (the built-in one applies)
    probability: int
    stale_days: int | None
    is_open: bool


def _refuse_unless_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed()


def _ordered(session: Session) -> list[PipelineStage]:
    return list(session.exec(select(PipelineStage).order_by(col(PipelineStage.sequence))))


def _line(stage: PipelineStage) -> StageLine:
    return StageLine(
        stage.key,
        stage.name,
        stage.probability,
        stage.stale_days,
        not (stage.is_won or stage.is_lost),
    )


def stages(session: Session, actor: Actor) -> list[StageLine]:
    """The pipeline in order, for the admin's editor."""
    _refuse_unless_admin(actor)
    return [_line(stage) for stage in _ordered(session)]


def stage(session: Session, actor: Actor, key: str) -> StageLine:
    _refuse_unless_admin(actor)
    return _line(_get(session, key))


def _get(session: Session, key: str) -> PipelineStage:
    found = session.get(PipelineStage, key)
    if found is None:
        raise NotFound()
    return found


def names(session: Session) -> dict[str, str]:
    """The names admins gave stages, by key."""
    return {
        stage.key: stage.name
        for stage in session.exec(select(PipelineStage).where(col(PipelineStage.name).is_not(None)))
        if stage.name
    }


def name_loader(db: Database) -> dict[str, str]:
    """``names`` in a transaction of its own (the renderer's ``StageNames`` loader)."""
    with db.session() as session:
        return names(session)


def first_stage(session: Session) -> PipelineStage:
    """Where new deals start: the first open stage."""
    for candidate in _ordered(session):
        if not (candidate.is_won or candidate.is_lost):
            return candidate
    raise NotFound()


def _clean_name(session: Session, text: str, *, but: str | None = None) -> str:
    name = one_line(text)
    if not name:
        raise StageNameInvalid(reason="empty", limit=NAME_LIMIT)
    if len(name) > NAME_LIMIT:
        raise StageNameInvalid(reason="too_long", limit=NAME_LIMIT)
    for other in _ordered(session):
        if other.key != but and name.casefold() in {
            other.key.casefold(),
            (other.name or "").casefold(),
        }:
            raise StageNameInvalid(reason="taken", limit=NAME_LIMIT)
    return name


def rename(session: Session, actor: Actor, key: str, text: str) -> StageLine:
    """Give stage ``key`` the name typed (``default`` goes back to the built-in name)."""
    _refuse_unless_admin(actor)
    target = _get(session, key)
    words = " ".join(text.split()).casefold()
    target.name = None if words in CLEAR_WORDS else _clean_name(session, text, but=key)
    session.flush()
    return _line(target)


def _renumber(session: Session, open_stages: list[PipelineStage]) -> None:
    closed = [s for s in _ordered(session) if s.is_won or s.is_lost]
    closed.sort(key=lambda s: (s.is_lost, s.sequence))  # won, then lost
    for number, each in enumerate([*open_stages, *closed], start=1):
        each.sequence = number
    session.flush()


def shift(session: Session, actor: Actor, key: str, step: int) -> list[StageLine]:
    """Move open stage ``key`` one place up (``step`` -1) or down (+1) among the open stages."""
    _refuse_unless_admin(actor)
    target = _get(session, key)
    if target.is_won or target.is_lost:
        raise StageFixed()
    open_stages = [s for s in _ordered(session) if not (s.is_won or s.is_lost)]
    here = open_stages.index(target)
    there = here + (1 if step > 0 else -1)
    if 0 <= there < len(open_stages):
        open_stages[here], open_stages[there] = open_stages[there], open_stages[here]
        _renumber(session, open_stages)
    return stages(session, actor)


def _whole(text: str, low: int, high: int, what: str) -> int:
    digits = text.strip().rstrip("%").strip()
    if not (digits.isascii() and digits.isdigit()) or not low <= int(digits) <= high:
        raise StageNumberInvalid(what=what)
    return int(digits)


def set_probability(session: Session, actor: Actor, key: str, text: str) -> StageLine:
    """An open stage's default win probability, 0–100 (new deals and moves into it take it)."""
    _refuse_unless_admin(actor)
    target = _get(session, key)
    if target.is_won or target.is_lost:
        raise StageFixed()
    target.probability = _whole(text, 0, 100, "probability")
    session.flush()
    return _line(target)


def set_stale_days(session: Session, actor: Actor, key: str, text: str) -> StageLine:
    """Days without a touch after which the stage's open deals have gone quiet (``default``:
    the company's ``STALE_DEAL_DAYS``)."""
    _refuse_unless_admin(actor)
    target = _get(session, key)
    if target.is_won or target.is_lost:
        raise StageFixed()
    words = " ".join(text.split()).casefold()
    target.stale_days = None if words in CLEAR_WORDS else _whole(text, 1, 365, "stale")
    session.flush()
    return _line(target)


def _new_key(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:KEY_LIMIT] or "stage"
    if base[0].isdigit():
        base = f"s_{base}"[:KEY_LIMIT]
    key, number = base, 1
    while session.get(PipelineStage, key) is not None:
        number += 1
        key = f"{base[: KEY_LIMIT - len(str(number)) - 1]}_{number}"
    return key


def check_new_name(session: Session, actor: Actor, text: str) -> str:
    """The name for a stage about to be added, checked (the probability is asked next)."""
    _refuse_unless_admin(actor)
    return _clean_name(session, text)


def add(session: Session, actor: Actor, name: str, probability_text: str) -> StageLine:
    """A new open stage named ``name``, last before Won."""
    _refuse_unless_admin(actor)
    clean = _clean_name(session, name)
    probability = _whole(probability_text, 0, 100, "probability")
    created = PipelineStage(
        key=_new_key(session, clean), sequence=0, probability=probability, name=clean
    )
    session.add(created)
    open_stages = [s for s in _ordered(session) if not (s.is_won or s.is_lost) and s is not created]
    _renumber(session, [*open_stages, created])
    return _line(created)
