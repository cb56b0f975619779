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

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.reminders.dispatcher import validator
from bot.reminders.scheduler import Tick
from bot.services import care
from models import Contact, Customer, OutboxMessage, User

KIND = "birthday"
NUDGE = "birthday_nudge"


def produce(tick: Tick) -> None:
    utc_today = tick.now.astimezone(UTC).date()
    # Local dates are within a day of UTC's; yesterday's birthdays count for a missed greeting.
    days = [utc_today + timedelta(days=offset) for offset in (-2, -1, 0, 1)]
    rows = tick.session.exec(
        select(Contact, Customer, User)
        .join(Customer, col(Contact.customer_id) == col(Customer.id))
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(care.birthday_on(days))
        .order_by(col(Contact.id))
    ).all()
    for contact, customer, owner in rows:
        if care.may_message(contact):
            _greet(tick, contact, customer, owner)
        elif owner.is_active:
            _nudge(tick, contact, customer, owner)


def _greet(tick: Tick, contact: Contact, customer: Customer, owner: User) -> None:
    zone = tick.contact_zone(contact)
    today = tick.today(zone)
    since = tick.now - timedelta(hours=tick.settings.catch_up_hours)
    for day in (today, today - timedelta(days=1)):
        if care.birthday_in(contact.birth_month, contact.birth_day, day.year) != day:
            continue
        due = tick.at(day, tick.settings.birthday_greeting_time, zone)
        if day != today and due <= since:
            continue
        # Yesterday's, not written while the bot was down: written now and skipped as expired
        # by the dispatcher, so the outbox shows the greeting that was not sent.
        tick.to_contact(
            contact,
            key=f"{KIND}:{contact.id}:{day.isoformat()}",
            kind=KIND,
            due_at=due,
            expires_at=tick.end_of_day(day, zone),
            template="care/birthday",
            promotional=True,
            ref_id=contact.id,
            customer=customer,
            rep_name=owner.full_name,
        )


def _nudge(tick: Tick, contact: Contact, customer: Customer, owner: User) -> None:
    zone = owner.timezone
    today = tick.today(zone)
    if care.birthday_in(contact.birth_month, contact.birth_day, today.year) != today:
        return
    due = tick.at(today, tick.settings.morning_brief_time, zone)
    if tick.now < due:
        return
    tick.to_user(
        owner,
        key=f"{NUDGE}:{contact.id}:{today.isoformat()}",
        kind=NUDGE,
        due_at=due,
        expires_at=tick.end_of_day(today, zone),
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
