"""Birthdays. A linked, opted-in contact gets the greeting ``care/birthday`` (the template the
operator edits) at BIRTHDAY_GREETING_TIME on their birthday in their own zone (the contact's,
else the company's). It is promotional, so held back while the customer has an open complaint.
The row is written from the start of their birthday, so a /stop before the greeting time skips
it; it expires at the end of the birthday: a greeting the bot was down for is recorded as
skipped the next day, never sent a day late. Key ``birthday:<contact>:<the birthday's date>``.

When the contact cannot be greeted through the bot (not linked, not opted in, or blocked it),
the owner rep gets a nudge to call instead, at MORNING_BRIEF_TIME in the rep's zone that day.
Key ``birthday_nudge:<contact>:<the birthday's date>``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.reminders.dispatcher import validator
from bot.reminders.scheduler import KEYS_PER_STATEMENT, Tick
from bot.services import care
from models import Contact, Customer, OutboxMessage, User

KIND = "birthday"
NUDGE = "birthday_nudge"


@dataclass(frozen=True)
class Due:
    """A greeting or a nudge due for a contact's birthday ``day``, not yet looked up."""

    key: str
    contact_id: int
    day: date
    due: datetime
    expires: datetime
    greet: bool  # to the contact; else a nudge to the owner rep


def produce(tick: Tick) -> None:
    # A greeting is written from the start of the birthday in the contact's zone, a nudge at
    # brief time in the owner's: between such moments there is nothing new to write.
    greet_zones = tick.contact_zones_passing("00:00")
    nudge_zones = tick.staff_zones_passing(tick.settings.morning_brief_time)
    reachable = sa.and_(
        col(Contact.telegram_chat_id).is_not(None),
        col(Contact.opted_in),
        col(Contact.unreachable_at).is_(None),
    )
    unreachable = sa.or_(
        col(Contact.telegram_chat_id).is_(None),
        ~col(Contact.opted_in),
        col(Contact.unreachable_at).is_not(None),
    )
    contact_zone = sa.func.coalesce(col(Contact.timezone), tick.settings.default_timezone)
    whom = []
    if greet_zones is None or greet_zones:
        whom.append(
            reachable
            if greet_zones is None
            else sa.and_(reachable, contact_zone.in_(sorted(greet_zones)))
        )
    if nudge_zones is None or nudge_zones:
        whom.append(
            unreachable
            if nudge_zones is None
            else sa.and_(unreachable, col(User.timezone).in_(sorted(nudge_zones)))
        )
    if not whom:
        return
    utc_today = tick.now.astimezone(UTC).date()
    # Local dates are within a day of UTC's; yesterday's birthdays count for a missed greeting.
    days = [utc_today + timedelta(days=offset) for offset in (-2, -1, 0, 1)]
    # First only what decides what is due and its key (no rows as objects): most birthdays in
    # the window were greeted (or nudged) by an earlier tick.
    window = tick.session.execute(
        sa.select(
            col(Contact.id),
            col(Contact.birth_month),
            col(Contact.birth_day),
            col(Contact.timezone),
            col(Contact.telegram_chat_id),
            col(Contact.opted_in),
            col(Contact.unreachable_at),
            col(User.timezone),
            col(User.is_active),
        )
        .join(Customer, col(Contact.customer_id) == col(Customer.id))
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(care.birthday_on(days), sa.or_(*whom))
        .order_by(col(Contact.id))
    ).all()
    due: list[Due] = []
    for contact_id, month, day, zone, chat, opted_in, unreachable, owner_zone, active in window:
        if chat is not None and opted_in and unreachable is None:
            due += _greetings(tick, contact_id, month, day, zone or tick.settings.default_timezone)
        elif active:
            due += _nudges(tick, contact_id, month, day, owner_zone)
    written = tick.prefetch(item.key for item in due)
    wanted = [item for item in due if item.key not in written]
    ids = sorted({item.contact_id for item in wanted})
    rows: dict[int, tuple[Contact, Customer, User]] = {}
    for start in range(0, len(ids), KEYS_PER_STATEMENT):
        for contact, customer, owner in tick.session.exec(
            select(Contact, Customer, User)
            .join(Customer, col(Contact.customer_id) == col(Customer.id))
            .join(User, col(Customer.owner_id) == col(User.id))
            .where(col(Contact.id).in_(ids[start : start + KEYS_PER_STATEMENT]))
        ):
            rows[contact.id or 0] = (contact, customer, owner)
    for item in wanted:  # in the order of the contacts, as found
        if item.contact_id in rows:
            (_greet if item.greet else _nudge)(tick, item, *rows[item.contact_id])


def _greetings(tick: Tick, contact_id: int, month: int, day: int, zone: str) -> list[Due]:
    today = tick.today(zone)
    since = tick.now - timedelta(hours=tick.settings.catch_up_hours)
    found = []
    for birthday in (today, today - timedelta(days=1)):
        if care.birthday_in(month, day, birthday.year) != birthday:
            continue
        due = tick.at(birthday, tick.settings.birthday_greeting_time, zone)
        if birthday != today and due <= since:
            continue
        # Yesterday's, not written while the bot was down: written now and skipped as expired
        # by the dispatcher, so the outbox shows the greeting that was not sent.
        key = f"{KIND}:{contact_id}:{birthday.isoformat()}"
        expires = tick.end_of_day(birthday, zone)
        found.append(Due(key, contact_id, birthday, due, expires, greet=True))
    return found


def _nudges(tick: Tick, contact_id: int, month: int, day: int, zone: str) -> list[Due]:
    today = tick.today(zone)
    if care.birthday_in(month, day, today.year) != today:
        return []
    due = tick.at(today, tick.settings.morning_brief_time, zone)
    if tick.now < due:
        return []
    key = f"{NUDGE}:{contact_id}:{today.isoformat()}"
    return [Due(key, contact_id, today, due, tick.end_of_day(today, zone), greet=False)]


def _greet(tick: Tick, item: Due, contact: Contact, customer: Customer, owner: User) -> None:
    tick.to_contact(
        contact,
        key=item.key,
        kind=KIND,
        due_at=item.due,
        expires_at=item.expires,
        template="care/birthday",
        promotional=True,
        ref_id=contact.id,
        customer=customer,
        rep_name=owner.full_name,
    )


def _nudge(tick: Tick, item: Due, contact: Contact, customer: Customer, owner: User) -> None:
    tick.to_user(
        owner,
        key=item.key,
        kind=NUDGE,
        due_at=item.due,
        expires_at=item.expires,
        template="care/birthday_nudge",
        buttons=[[(tick.label(owner.language, "open_customer"), f"cus:open:{customer.id}")]],
        customer_id=customer.id,
        ref_id=contact.id,
        contact=contact,
        customer=customer,
        phone=contact.phone or customer.phone,
    )


def birthday_of(row: OutboxMessage) -> date | None:
    """The birthday a greeting row is for, from its key."""
    try:
        return date.fromisoformat(row.key.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


@validator(KIND)
def still_their_birthday(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    """Skip a greeting whose contact's birthday was corrected since it was written."""
    contact = session.get(Contact, row.contact_id) if row.contact_id is not None else None
    day = birthday_of(row)
    if contact is None or day is None:
        return "contact deleted"
    if care.birthday_in(contact.birth_month, contact.birth_day, day.year) != day:
        return "birthday changed"
    return None
