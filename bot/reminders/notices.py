"""Messages written outside the scheduler: the owner rep is told once that a contact blocked
the bot (until the contact writes again and is reachable); admins are told of an error nobody
foresaw, at most once per kind of error in ``ALERT_EVERY``."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.failures import Failure
from bot.reminders import outbox
from bot.reminders.outbox import Envelope
from models import Contact, Customer, OutboxMessage, Role, User

ALERT_EVERY = timedelta(minutes=10)


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


def error_alert(session: Session, deps: Any, failure: Failure, *, now: datetime) -> int:
    """A short alert with the error's id to every active admin, unless one about the same kind
    of error was written in the last ``ALERT_EVERY``; returns how many were written."""
    kind = hashlib.sha256(failure.kind.encode()).hexdigest()[:16]
    recent = session.exec(
        select(OutboxMessage.id).where(
            col(OutboxMessage.key).startswith(f"error:{kind}:"),
            col(OutboxMessage.created_at) > now - ALERT_EVERY,
        )
    ).first()
    if recent is not None:
        return 0
    admins = session.exec(
        select(User).where(col(User.role) == Role.ADMIN, col(User.is_active).is_(True))
    ).all()
    written = 0
    for admin in admins:
        text = deps.renderer.message(admin.language, "outbox/error_alert", failure=failure)
        written += outbox.enqueue(
            session,
            Envelope(
                key=f"error:{kind}:{failure.error_id}:{admin.id}",
                kind="error_alert",
                chat_id=admin.telegram_id,
                due_at=now,
                text=text,
                user_id=admin.id,
            ),
            now=now,
        )
    return written
