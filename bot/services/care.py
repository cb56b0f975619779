"""Customer care: who may hear from us (linked, opted-in, reachable contacts), birthdays (a
29 February birthday falls on 28 February in other years), and the care campaigns an admin
schedules for a segment of contacts. What is sent when lives in ``bot/reminders/producers/``
(``birthdays``, ``checkins``, ``campaigns``); the texts in ``bot/templates/<lang>/care/``."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, false, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.parsing.dates import parse_when
from bot.services.errors import NotAllowed, ServiceError
from bot.services.people import Actor
from models import CareCampaign, Contact, Customer, Role

SEGMENTS = ("linked", "tier:A", "tier:B", "tier:C")
TEXT_LIMIT = 1000
NOW_WORDS = frozenset(
    {"now", "right now", "immediately", "at once", "现在", "马上", "立即", "立刻"}
)


class CareTextInvalid(ServiceError):
    template = "care/text_invalid"


class CareTimeInvalid(ServiceError):
    template = "care/when_invalid"


# -- who may hear from us -------------------------------------------------------------------


def reachable() -> ColumnElement[bool]:
    """The condition on ``Contact`` rows that we may message: linked, opted in, not blocked."""
    return and_(
        col(Contact.telegram_chat_id).is_not(None),
        col(Contact.opted_in),
        col(Contact.unreachable_at).is_(None),
    )


def may_message(contact: Contact) -> bool:
    """The same as ``reachable`` for a loaded contact."""
    return (
        contact.telegram_chat_id is not None and contact.opted_in and contact.unreachable_at is None
    )


# -- birthdays -------------------------------------------------------------------------------


def birthday_in(month: int | None, day: int | None, year: int) -> date | None:
    """The day a birthday falls on in ``year`` (29 February → 28 February in other years)."""
    if month is None or day is None:
        return None
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def birthday_on(days: Iterable[date]) -> ColumnElement[bool]:
    """The condition on ``Contact`` rows whose birthday falls on one of ``days``."""
    pairs: set[tuple[int, int]] = set()
    for day in days:
        pairs.add((day.month, day.day))
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            pairs.add((2, 29))
    if not pairs:
        return false()
    return or_(
        *(
            and_(col(Contact.birth_month) == month, col(Contact.birth_day) == day)
            for month, day in sorted(pairs)
        )
    )


# -- campaigns --------------------------------------------------------------------------------


def _admins_only(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed()


def _segment_query(segment: str) -> SelectOfScalar[Contact]:
    if segment not in SEGMENTS:
        raise ValueError(f"unknown care segment {segment!r}")
    query = select(Contact).where(reachable())
    if segment.startswith("tier:"):
        query = query.join(Customer, col(Contact.customer_id) == col(Customer.id)).where(
            col(Customer.tier) == segment.removeprefix("tier:")
        )
    return query


def segment_contacts(session: Session, segment: str) -> list[Contact]:
    """The contacts a campaign to ``segment`` goes to, as of now."""
    return list(session.exec(_segment_query(segment).order_by(col(Contact.id))))


def segment_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many contacts each segment reaches now (admins only)."""
    _admins_only(actor)
    counts: dict[str, int] = {}
    for segment in SEGMENTS:
        subquery = _segment_query(segment).subquery()
        counts[segment] = int(session.exec(select(func.count()).select_from(subquery)).one())
    return counts


def clean_text(text: str) -> str:
    """The campaign message as the admin typed it: not empty, at most TEXT_LIMIT characters."""
    cleaned = text.strip()
    if not cleaned:
        raise CareTextInvalid(reason="empty", limit=TEXT_LIMIT, length=0)
    if len(cleaned) > TEXT_LIMIT:
        raise CareTextInvalid(reason="too_long", limit=TEXT_LIMIT, length=len(cleaned))
    return cleaned


def means_now(text: str) -> bool:
    return " ".join(text.lower().split()) in NOW_WORDS


def send_time(text: str, *, now: datetime, zone: str) -> datetime:
    """When a campaign typed as ``text`` (in ``zone``) goes out: ``now``, or a day with a time
    of day that is not in the past."""
    if means_now(text):
        return now
    when = parse_when(text, now=now, zone=zone)
    if when is None:
        raise CareTimeInvalid(reason="unclear", text=text)
    if when.time is None:
        raise CareTimeInvalid(reason="no_time", text=text)
    instant = when.instant(zone)
    if instant < now:
        raise CareTimeInvalid(reason="past", text=text)
    return instant


def confirm_campaign(
    session: Session,
    actor: Actor,
    *,
    segment: str,
    text: str,
    send_at: datetime,
    now: datetime,
) -> CareCampaign:
    """Write the confirmed campaign (admins only). A time that passed while the admin looked at
    the preview becomes now: the campaign goes out at the next tick."""
    _admins_only(actor)
    if segment not in SEGMENTS:
        raise ValueError(f"unknown care segment {segment!r}")
    campaign = CareCampaign(
        segment=segment,
        text=clean_text(text),
        send_at=max(send_at, now),
        created_by_id=actor.user_id,
        created_at=now,
        confirmed_at=now,
    )
    session.add(campaign)
    session.flush()
    return campaign


def due_campaigns(session: Session, *, now: datetime) -> list[CareCampaign]:
    """Confirmed, not cancelled campaigns whose time has come and whose rows are not written."""
    return list(
        session.exec(
            select(CareCampaign)
            .where(
                col(CareCampaign.confirmed_at).is_not(None),
                col(CareCampaign.cancelled_at).is_(None),
                col(CareCampaign.enqueued_at).is_(None),
                col(CareCampaign.send_at) <= now,
            )
            .order_by(col(CareCampaign.send_at), col(CareCampaign.id))
        )
    )
