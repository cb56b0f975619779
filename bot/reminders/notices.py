"""Messages the dispatcher itself writes: the owner rep is told once that a contact blocked
the bot (until the contact writes again and is reachable)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.reminders import outbox
from bot.reminders.outbox import Envelope
from models import Contact, Customer, User


def unreachable_notice(
    session: Session, deps: Any, contact: Contact, customer: Customer, *, now: datetime
) -> bool:
    owner = session.get(User, customer.owner_id)
    if owner is None or not owner.is_active:
        return False
    text = deps.renderer.message(
        owner.language, "outbox/contact_unreachable", contact=contact, customer=customer
    )
    return outbox.enqueue(
        session,
        Envelope(
            key=f"unreachable:contact:{contact.id}:{now.isoformat()}",
            kind="contact_unreachable",
            chat_id=owner.telegram_id,
            due_at=now,
            text=text,
            buttons=[
                [(deps.renderer.label(owner.language, "open_customer"), f"cus:open:{customer.id}")]
            ],
            user_id=owner.id,
            customer_id=customer.id,
        ),
        now=now,
    )
