"""Service requests and complaints: opened on a customer, assigned to its owner rep, due by
kind (TICKET_DUE_HOURS), moved open → in progress → resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.services.errors import NotFound, ServiceError
from bot.services.people import Actor
from bot.services.visibility import owned_by_visible, refuse_read_only, visible_customer
from models import Contact, Customer, Ticket, TicketKind, TicketStatus, User

NEXT_STATUS = {
    TicketStatus.OPEN.value: (TicketStatus.IN_PROGRESS.value, TicketStatus.RESOLVED.value),
    TicketStatus.IN_PROGRESS.value: (TicketStatus.RESOLVED.value,),
    TicketStatus.RESOLVED.value: (),
}


@dataclass(frozen=True)
class TicketView:
    ticket_id: int
    customer_id: int
    customer_name: str
    owner_name: str
    kind: str
    description: str
    status: str
    due_at: datetime
    overdue: bool
    created_at: datetime
    resolved_at: datetime | None


MAX_DESCRIPTION = 4000


class DescriptionInvalid(ServiceError):
    template = "tickets/description_invalid"


class StatusUnchanged(ServiceError):
    template = "tickets/status_unchanged"


def open_ticket(
    session: Session,
    actor: Actor,
    customer_id: int,
    kind: TicketKind,
    description: str,
    *,
    due_hours: dict[str, int],
    now: datetime,
) -> Ticket:
    """A new request on a customer the person may see, assigned to the customer's owner."""
    refuse_read_only(actor)
    customer = visible_customer(session, actor, customer_id)
    text = description.strip()
    if not text:
        raise DescriptionInvalid()
    ticket = Ticket(
        customer_id=customer_id,
        owner_id=customer.owner_id,
        kind=TicketKind(kind).value,
        description=text,
        due_at=now + timedelta(hours=due_hours[TicketKind(kind).value]),
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def open_ticket_as_contact(
    session: Session,
    contact_id: int,
    kind: TicketKind,
    description: str,
    *,
    due_hours: dict[str, int],
    now: datetime,
) -> Ticket:
    """A request a linked contact opens themselves: always on their own company, assigned to
    its owner rep."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound()
    customer = session.get(Customer, contact.customer_id)
    assert customer is not None
    text = description.strip()[:MAX_DESCRIPTION]
    if not text:
        raise DescriptionInvalid()
    ticket = Ticket(
        customer_id=customer.id or 0,
        owner_id=customer.owner_id,
        kind=TicketKind(kind).value,
        description=text,
        due_at=now + timedelta(hours=due_hours[TicketKind(kind).value]),
        opened_by_contact_id=contact_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def _row(session: Session, actor: Actor, ticket_id: int) -> tuple[Ticket, Customer, User]:
    row = session.exec(
        select(Ticket, Customer, User)
        .join(Customer, col(Ticket.customer_id) == col(Customer.id))
        .join(User, col(Ticket.owner_id) == col(User.id))
        .where(Ticket.id == ticket_id, owned_by_visible(actor, Ticket.owner_id))
    ).first()
    if row is None:
        raise NotFound()
    return row


def _view(ticket: Ticket, customer: Customer, owner: User, now: datetime) -> TicketView:
    return TicketView(
        ticket_id=ticket.id or 0,
        customer_id=customer.id or 0,
        customer_name=customer.name,
        owner_name=owner.full_name,
        kind=ticket.kind,
        description=ticket.description,
        status=ticket.status,
        due_at=ticket.due_at,
        overdue=ticket.status != TicketStatus.RESOLVED.value and ticket.due_at < now,
        created_at=ticket.created_at,
        resolved_at=ticket.resolved_at,
    )


def ticket_view(session: Session, actor: Actor, ticket_id: int, *, now: datetime) -> TicketView:
    return _view(*_row(session, actor, ticket_id), now)


def move_ticket(
    session: Session, actor: Actor, ticket_id: int, status: TicketStatus, *, now: datetime
) -> TicketView:
    """Open → in progress → resolved (or open → resolved); never back."""
    refuse_read_only(actor)
    ticket, customer, owner = _row(session, actor, ticket_id)
    if status.value not in NEXT_STATUS[ticket.status]:
        raise StatusUnchanged()
    ticket.status, ticket.updated_at = status.value, now
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    session.flush()
    return _view(ticket, customer, owner, now)


def open_tickets(session: Session, actor: Actor, *, now: datetime) -> list[TicketView]:
    """Unresolved tickets the person may see, the most urgent first."""
    rows = session.exec(
        select(Ticket, Customer, User)
        .join(Customer, col(Ticket.customer_id) == col(Customer.id))
        .join(User, col(Ticket.owner_id) == col(User.id))
        .where(
            Ticket.status != TicketStatus.RESOLVED.value, owned_by_visible(actor, Ticket.owner_id)
        )
        .order_by(col(Ticket.due_at))
        .limit(30)
    ).all()
    return [_view(ticket, customer, owner, now) for ticket, customer, owner in rows]


class RatingRefused(ServiceError):
    template = "tickets/rating_refused"


def rating_chats(session: Session, ticket_id: int) -> list[int]:
    """The chats of the customer's linked contacts who agreed to messages."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return []
    return [
        contact.telegram_chat_id
        for contact in session.exec(
            select(Contact).where(
                Contact.customer_id == ticket.customer_id,
                col(Contact.telegram_chat_id).is_not(None),
                col(Contact.opted_in),
            )
        )
        if contact.telegram_chat_id is not None
    ]


def rate(session: Session, contact_id: int, ticket_id: int, rating: int, *, now: datetime) -> int:
    """A contact rates a resolved request of their own company 1–5; the first rating stays."""
    contact = session.get(Contact, contact_id)
    ticket = session.get(Ticket, ticket_id)
    if contact is None or ticket is None or ticket.customer_id != contact.customer_id:
        raise NotFound()
    if ticket.status != TicketStatus.RESOLVED.value or not 1 <= rating <= 5:
        raise RatingRefused()
    rated = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id, col(Ticket.rating).is_(None))
        .values(rating=rating, updated_at=now)
    )
    if rated.rowcount != 1:  # type: ignore[attr-defined]
        raise RatingRefused()
    return rating
