"""Quote-expiry warnings: the owner rep is told once, at MORNING_BRIEF_TIME in their zone three
days before a quote's last valid day, when the quote was sent to the customer and they have not
answered. A warning not sent before the quote's last day is over is dropped; an answer that
comes meanwhile skips it. The key names the owner it was written for
(``quote_expiry:<quote>:<user>``): a quote handed to another rep gets theirs, and the one still
waiting for the old owner is skipped."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.reminders.dispatcher import LATE_NOTE_KINDS, validator
from bot.reminders.scheduler import Tick
from models import Contact, Customer, OutboxMessage, Quote, QuoteStatus, User

KIND = "quote_expiry"
LATE_NOTE_KINDS.add(KIND)
WARN_DAYS = 3


def key_of(quote: Quote) -> str:
    return f"{KIND}:{quote.id}:{quote.owner_id}"


def produce(tick: Tick) -> None:
    if tick.staff_zones_passing(tick.settings.morning_brief_time) == set():
        return  # warnings fall due only at brief time in their owner's zone
    session = tick.session
    utc_today = tick.now.date()
    rows = session.exec(
        select(Quote, Customer, User, Contact.name)
        .join(Customer, col(Quote.customer_id) == col(Customer.id))
        .join(User, col(Quote.owner_id) == col(User.id))
        .outerjoin(Contact, col(Quote.sent_to_contact_id) == col(Contact.id))
        .where(
            Quote.status == QuoteStatus.ISSUED.value,
            col(Quote.sent_at).is_not(None),
            col(Quote.customer_answer).is_(None),
            col(Quote.valid_until) >= utc_today - timedelta(days=1),
            col(Quote.valid_until) <= utc_today + timedelta(days=WARN_DAYS + 1),
            col(User.is_active),
        )
    ).all()
    due_now = []
    for quote, customer, owner, contact_name in rows:
        assert quote.valid_until is not None
        zone = owner.timezone
        due = tick.at(
            quote.valid_until - timedelta(days=WARN_DAYS), tick.settings.morning_brief_time, zone
        )
        ends = tick.end_of_day(quote.valid_until, zone)
        if due <= tick.now < ends:
            due_now.append((quote, customer, owner, contact_name, due, ends))
    written = tick.prefetch(key_of(row[0]) for row in due_now)
    for quote, customer, owner, contact_name, due, ends in due_now:
        assert quote.valid_until is not None
        if key_of(quote) in written:
            continue
        zone = owner.timezone
        tick.to_user(
            owner,
            key=key_of(quote),
            kind=KIND,
            due_at=due,
            expires_at=ends,
            template="reminders/quote_expiry",
            buttons=[[(tick.label(owner.language, "open_deal"), f"deal:open:{quote.deal_id}")]],
            customer_id=customer.id,
            ref_id=quote.id,
            quote=quote,
            customer=customer,
            contact_name=contact_name,
            days_left=(quote.valid_until - tick.today(zone)).days,
        )


@validator(KIND)
def still_unanswered(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    quote = session.get(Quote, row.ref_id) if row.ref_id is not None else None
    if quote is None or quote.status != QuoteStatus.ISSUED.value:
        return "quote withdrawn"
    if quote.customer_answer is not None:
        return "quote answered"
    if quote.owner_id != row.user_id:
        return "quote handed over"
    return None
