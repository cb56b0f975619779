"""Service requests past due: when an open (or in-progress) request passes its due instant, its
owner rep and their team's manager(s) are told once each, with a button to the request. A request
resolved before it is due alerts nobody; one resolved while the alert waits skips it. An alert
more than CATCH_UP_HOURS old (the bot was down) is not sent: /tickets still shows it with ⚠️."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.reminders.dispatcher import LATE_NOTE_KINDS, validator
from bot.reminders.scheduler import Tick
from models import Customer, OutboxMessage, Role, Ticket, TicketStatus, User

KIND = "ticket_overdue"
LATE_NOTE_KINDS.add(KIND)


def produce(tick: Tick) -> None:
    session = tick.session
    rows = session.exec(
        select(Ticket, Customer)
        .join(Customer, col(Ticket.customer_id) == col(Customer.id))
        .where(
            col(Ticket.status) != TicketStatus.RESOLVED.value,
            col(Ticket.due_at) <= tick.now,
            col(Ticket.due_at) > tick.fresh_since,  # earlier ones were told by an earlier tick
        )
        .order_by(col(Ticket.due_at), col(Ticket.id))
    ).all()
    if not rows:
        return
    staff = tick.staff()
    told: list[tuple[Ticket, Customer, User, list[User]]] = []
    for ticket, customer in rows:
        owner = tick.user(ticket.owner_id)
        if owner is None:
            continue
        managers = [
            user
            for user in staff
            if user.role == Role.MANAGER
            and owner.team_id is not None
            and user.team_id == owner.team_id
            and user.id != owner.id
        ]
        told.append((ticket, customer, owner, ([owner] if owner.is_active else []) + managers))
    tick.prefetch(
        f"{KIND}:{ticket.id}:{user.id}" for ticket, _c, _o, users in told for user in users
    )
    for ticket, customer, owner, users in told:
        for user in users:
            tick.to_user(
                user,
                key=f"{KIND}:{ticket.id}:{user.id}",
                kind=KIND,
                due_at=ticket.due_at,
                template="reminders/ticket_overdue",
                buttons=[[(tick.label(user.language, "open_ticket"), f"tk:open:{ticket.id}")]],
                customer_id=customer.id,
                ref_id=ticket.id,
                ticket=ticket,
                customer=customer,
                owner_name=owner.full_name,
            )


@validator(KIND)
def still_open(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    ticket = session.get(Ticket, row.ref_id) if row.ref_id is not None else None
    if ticket is None:
        return "request deleted"
    if ticket.status == TicketStatus.RESOLVED.value:
        return "request resolved"
    if row.user_id != ticket.owner_id:  # a manager of the owner's team, or a handed-over owner
        owner, reader = session.get(User, ticket.owner_id), session.get(User, row.user_id)
        if owner is None or reader is None or owner.team_id is None:
            return "request handed over"
        if reader.role != Role.MANAGER or reader.team_id != owner.team_id:
            return "request handed over"
    return None
