"""A person's private calendar feed (``/calendar``): the secret token in its URL, and the
iCalendar of their open follow-ups, the delivery dates of their orders and the instalments they
collect, each event linking back to the bot.

The token is long and random (``secrets.token_urlsafe(32)``, 256 bits); the database keeps only
its SHA-256 (``bot.services.codes.stored_form``), one per person, replaced by *Reset link*, so
the old URL stops working. A deactivated person's token opens nothing.

What the events say comes from the caller (``FeedWords``: the templates in the person's
language); this module decides which events there are, when, and how they are identified.
Nothing here knows Telegram or HTTP.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar, Event, vDuration
from sqlmodel import Session, col, select

from bot.services.codes import stored_form
from bot.services.orders import open_instalments
from bot.services.people import Actor
from bot.services.visibility import customers_visible_to
from models import CalendarFeed, Customer, SalesOrder, Touch, User
from models.sales import follow_up_is_for

TOKEN_BYTES = 32
# What a token in a URL may look like: anything else is refused before the database is asked.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# The feed shows this much of the past and of the future, and at most this many events of each
# kind, so it cannot grow without limit however long the company has used the bot.
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365
MAX_EVENTS_PER_KIND = 500
# How long a timed follow-up lasts in the calendar.
FOLLOW_UP_MINUTES = 30
# How often a calendar app should fetch the feed again (calendars may take longer).
REFRESH = timedelta(hours=1)


# -- the secret link -------------------------------------------------------------------------


def issue_token(session: Session, user_id: int, now: datetime) -> str:
    """A new token for ``user_id``'s feed, replacing any earlier one (its URL stops working).
    Only the token's SHA-256 is stored; the token itself is returned once, to be shown."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == user_id)).first()
    if row is None:
        session.add(CalendarFeed(user_id=user_id, token_hash=stored_form(token), created_at=now))
    else:
        row.token_hash, row.created_at = stored_form(token), now
    session.flush()
    return token


@dataclass(frozen=True)
class FeedLink:
    """The person's feed link: ``token`` only when it was made just now (it cannot be shown
    again later: only its hash is kept), and when it was made."""

    token: str | None
    created_at: datetime


def feed_link(session: Session, user_id: int, now: datetime) -> FeedLink:
    """The person's link: a new one if they have none; else only when the one they have was
    made (so asking again does not break the calendar they subscribed to)."""
    row = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == user_id)).first()
    if row is not None:
        return FeedLink(token=None, created_at=row.created_at)
    return FeedLink(token=issue_token(session, user_id, now), created_at=now)


def feed_url(public_url: str, token: str) -> str:
    """Where the feed of ``token`` is fetched (under PUBLIC_URL)."""
    return f"{public_url.rstrip('/')}/calendar/{token}.ics"


def person_for_token(session: Session, token: str) -> User | None:
    """The active person whose current token ``token`` is; None for an unknown, replaced or
    malformed token and for a deactivated person (all the same to the caller)."""
    if not TOKEN_SHAPE.match(token):
        return None
    return session.exec(
        select(User)
        .join(CalendarFeed, col(CalendarFeed.user_id) == col(User.id))
        .where(CalendarFeed.token_hash == stored_form(token), col(User.is_active))
    ).first()


# -- what is in the feed ---------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEvent:
    """One event: a follow-up (timed, or all day), a delivery or an instalment (all day)."""

    uid: str  # stable per record: a moved follow-up keeps it, so calendars update the event
    kind: str  # "follow_up", "delivery" or "instalment"
    customer_id: int
    customer_name: str
    day: date  # the day in the person's zone
    at: datetime | None  # the moment, for a follow-up with a time
    start_payload: str  # what ``/start`` opens: ``cus_<id>`` or ``ord_<id>``
    next_step: str | None = None
    order_number: str | None = None
    sequence: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    changed_at: datetime | None = None


def feed_window(now: datetime, zone: str) -> tuple[date, date]:
    """The first and last day the feed covers, in the person's zone."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)


def feed_events(session: Session, user: User, now: datetime) -> list[FeedEvent]:
    """The person's events within the feed's window, each kind in time order."""
    actor = Actor.of(user)
    zone = ZoneInfo(actor.timezone)
    first, last = feed_window(now, actor.timezone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    events: list[FeedEvent] = []
    for touch, customer in session.exec(
        select(Touch, Customer)
        .join(Customer, col(Touch.customer_id) == col(Customer.id))
        .where(
            follow_up_is_for(actor.user_id),
            col(Touch.follow_up_done_at).is_(None),
            col(Touch.deleted_at).is_(None),
            col(Touch.follow_up_at) >= start,
            col(Touch.follow_up_at) < end,
            customers_visible_to(actor),
        )
        .order_by(col(Touch.follow_up_at), col(Touch.id))
        .limit(MAX_EVENTS_PER_KIND)
    ):
        assert touch.follow_up_at is not None and touch.id is not None
        local = touch.follow_up_at.astimezone(zone)
        events.append(
            FeedEvent(
                uid=f"follow-up-{touch.id}",
                kind="follow_up",
                customer_id=customer.id or 0,
                customer_name=customer.name,
                day=local.date(),
                at=local if touch.follow_up_has_time else None,
                start_payload=f"cus_{customer.id}",
                next_step=touch.next_step,
                changed_at=touch.updated_at,
            )
        )
    for order, customer in session.exec(
        select(SalesOrder, Customer)
        .join(Customer, col(SalesOrder.customer_id) == col(Customer.id))
        .where(
            sa.or_(
                col(SalesOrder.owner_id) == actor.user_id,
                col(SalesOrder.delivery_owner_id) == actor.user_id,
            ),
            col(SalesOrder.delivered_at).is_(None),
            col(SalesOrder.delivery_date) >= first,
            col(SalesOrder.delivery_date) <= last,
        )
        .order_by(col(SalesOrder.delivery_date), col(SalesOrder.id))
        .limit(MAX_EVENTS_PER_KIND)
    ):
        events.append(
            FeedEvent(
                uid=f"delivery-{order.id}",
                kind="delivery",
                customer_id=customer.id or 0,
                customer_name=customer.name,
                day=order.delivery_date,
                at=None,
                start_payload=f"ord_{order.id}",
                order_number=order.number,
                amount=order.total,
                currency=order.currency,
                changed_at=order.updated_at,
            )
        )
    due = open_instalments(session, payment_owner_id=actor.user_id, due_from=first, due_until=last)
    for instalment in due[:MAX_EVENTS_PER_KIND]:
        events.append(
            FeedEvent(
                uid=f"instalment-{instalment.instalment_id}",
                kind="instalment",
                customer_id=instalment.customer_id,
                customer_name=instalment.customer_name,
                day=instalment.due_date,
                at=None,
                start_payload=f"ord_{instalment.order_id}",
                order_number=instalment.order_number,
                sequence=instalment.sequence,
                amount=instalment.unpaid,
                currency=instalment.currency,
            )
        )
    return events


class FeedWords(Protocol):
    """What the events say, in the person's language (the caller renders its templates)."""

    def calendar_name(self, person_name: str) -> str: ...

    def summary(self, event: FeedEvent) -> str: ...

    def description(self, event: FeedEvent, link: str) -> str: ...


def bot_link(bot_username: str, payload: str) -> str:
    """The deep link that opens the event's record in the bot."""
    return f"https://t.me/{bot_username}?start={payload}"


def feed(
    session: Session,
    user: User,
    now: datetime,
    *,
    words: FeedWords,
    bot_username: str,
    domain: str,
) -> bytes:
    """The person's feed as an iCalendar file: a timed follow-up at its time in the person's zone
    (with that zone's VTIMEZONE), everything else all day; each event's UID is stable
    (``<kind>-<id>@<domain>``), so a moved follow-up moves the same event and a done one is
    simply no longer there."""
    zone = user.timezone
    calendar = Calendar()
    calendar.add("prodid", "-//salesbot//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", words.calendar_name(user.full_name))
    calendar.add("x-wr-timezone", zone)
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for item in feed_events(session, user, now):
        link = bot_link(bot_username, item.start_payload)
        event = Event()
        event.add("uid", f"{item.uid}@{domain}")
        event.add("dtstamp", now)
        if item.at is not None:
            event.add("dtstart", item.at)
            event.add("dtend", item.at + timedelta(minutes=FOLLOW_UP_MINUTES))
        else:
            event.add("dtstart", item.day)
            event.add("dtend", item.day + timedelta(days=1))
            event.add("transp", "TRANSPARENT")  # a whole-day reminder does not block the day
        if item.changed_at is not None:
            event.add("last-modified", item.changed_at)
        event.add("summary", words.summary(item))
        event.add("description", words.description(item, link))
        event.add("url", link)
        calendar.add_component(event)
    first, last = feed_window(now, zone)
    calendar.add_missing_timezones(first_date=first - timedelta(days=1), last_date=last)
    body: bytes = calendar.to_ical()
    return body
