"""A person's day and a customer's history: follow-ups due and overdue, deals past their close
date, contacts' birthdays, and the timeline of every touch and stage move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.services.approvals import RequestView, requests_on_timeline
from bot.services.business_chats import kept_messages
from bot.services.care import birthday_on
from bot.services.orders import visible_orders
from bot.services.people import Actor
from bot.services.records import changes_of
from bot.services.visibility import customers_visible_to, owned_by_visible, visible_customer
from models import (
    Attachment,
    Contact,
    Customer,
    Deal,
    DealStageChange,
    DealValueChange,
    Payment,
    PipelineStage,
    Quote,
    QuoteStatus,
    SalesOrder,
    Ticket,
    Touch,
    User,
)
from models.sales import follow_up_is_for

TIMELINE_PAGE_SIZE = 5
STORY_ORDER = {
    "deal_created": 0,
    "quote": 1,
    "quote_manager_step": 2,
    "quote_decision": 3,
    "stage_change": 4,
    "deal_value": 4,
    "order_created": 5,
    "payment": 6,
    "terms_asked": 1,
    "terms_manager": 2,
    "terms_finance": 3,
}


@dataclass(frozen=True)
class FollowUp:
    touch_id: int
    customer_id: int
    customer_name: str
    next_step: str | None
    due_at: datetime
    has_time: bool
    overdue: bool


@dataclass(frozen=True)
class LateDeal:
    deal_id: int
    title: str
    customer_name: str
    expected_close: date


@dataclass(frozen=True)
class Birthday:
    customer_id: int
    customer_name: str
    contact_name: str
    phone: str | None


@dataclass(frozen=True)
class Day:
    day: date
    follow_ups: list[FollowUp]
    late_deals: list[LateDeal]
    birthdays: list[Birthday]

    @property
    def empty(self) -> bool:
        return not (self.follow_ups or self.late_deals or self.birthdays)


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and ends in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def my_day(session: Session, actor: Actor, *, now: datetime) -> Day:
    """What needs the person today, in their time zone: their own follow-ups and deals, and the
    birthdays of contacts at customers they may see."""
    today = now.astimezone(ZoneInfo(actor.timezone)).date()
    start, end = local_day_bounds(today, actor.timezone)
    follow_ups = [
        FollowUp(
            touch_id=touch.id or 0,
            customer_id=customer.id or 0,
            customer_name=customer.name,
            next_step=touch.next_step,
            due_at=touch.follow_up_at,
            has_time=touch.follow_up_has_time,
            overdue=touch.follow_up_at < start
            or (touch.follow_up_has_time and touch.follow_up_at < now),
        )
        for touch, customer in session.exec(
            select(Touch, Customer)
            .join(Customer, col(Touch.customer_id) == col(Customer.id))
            .where(
                follow_up_is_for(actor.user_id),
                col(Touch.follow_up_at) < end,
                col(Touch.follow_up_done_at).is_(None),
                col(Touch.deleted_at).is_(None),
                customers_visible_to(actor),
            )
            .order_by(col(Touch.follow_up_at))
        )
        if touch.follow_up_at is not None
    ]
    late_deals = [
        LateDeal(
            deal_id=deal.id or 0,
            title=deal.title,
            customer_name=customer.name,
            expected_close=deal.expected_close,
        )
        for deal, customer in session.exec(
            select(Deal, Customer)
            .join(Customer, col(Deal.customer_id) == col(Customer.id))
            .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
            .where(
                Deal.owner_id == actor.user_id,
                col(Deal.expected_close) < today,
                col(PipelineStage.is_won).is_(False),
                col(PipelineStage.is_lost).is_(False),
            )
            .order_by(col(Deal.expected_close))
        )
        if deal.expected_close is not None
    ]
    birthdays = [
        Birthday(
            customer_id=customer.id or 0,
            customer_name=customer.name,
            contact_name=contact.name,
            phone=contact.phone,
        )
        for contact, customer in session.exec(
            select(Contact, Customer)
            .join(Customer, col(Contact.customer_id) == col(Customer.id))
            .where(
                birthday_on([today]),
                Customer.owner_id == actor.user_id,
            )
            .order_by(col(Customer.name), col(Contact.name))
        )
    ]
    return Day(day=today, follow_ups=follow_ups, late_deals=late_deals, birthdays=birthdays)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # a touch kind, or "deal_created" / "stage_change"
    author_name: str
    notes: str | None = None
    next_step: str | None = None
    follow_up_at: datetime | None = None
    deal_title: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    lost_reason: str | None = None
    has_location: bool = False
    attachments: int = 0
    order_number: str | None = None
    ticket_kind: str | None = None
    rating: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    by_customer: bool = False  # written by a customer contact, not by staff
    field: str | None = None  # a record change: which field, old → new (in notes / next_step)
    contact_name: str | None = None  # the contact a record change is about
    old_amount: Decimal | None = None  # a deal's value before it changed (deal_value)
    old_currency: str | None = None
    terms: RequestView | None = None  # a terms request: asked, or a step's decision
    file_kind: str | None = None  # a kept chat message's file (photo, document, voice…)
    edited: bool = False  # a kept chat message edited after it was sent


@dataclass(frozen=True)
class TimelinePage:
    customer_id: int
    customer_name: str
    entries: list[TimelineEntry]
    page: int
    has_more: bool


def timeline(session: Session, actor: Actor, customer_id: int, page: int) -> TimelinePage:
    """Every touch and deal move on a customer, newest first, a page at a time."""
    customer = visible_customer(session, actor, customer_id)
    page = max(page, 0)
    wanted = (page + 1) * TIMELINE_PAGE_SIZE + 1
    touches = session.exec(
        select(Touch, User)
        .join(User, col(Touch.author_id) == col(User.id))
        .where(Touch.customer_id == customer_id, col(Touch.deleted_at).is_(None))
        .order_by(col(Touch.created_at).desc(), col(Touch.id).desc())
        .limit(wanted)
    ).all()
    moves = session.exec(
        select(DealStageChange, Deal, User)
        .join(Deal, col(DealStageChange.deal_id) == col(Deal.id))
        .join(User, col(DealStageChange.changed_by_id) == col(User.id))
        .where(Deal.customer_id == customer_id, owned_by_visible(actor, Deal.owner_id))
        .order_by(col(DealStageChange.changed_at).desc(), col(DealStageChange.id).desc())
        .limit(wanted)
    ).all()
    attachment_counts = dict(
        session.exec(
            select(Attachment.touch_id, func.count())
            .where(col(Attachment.touch_id).in_([touch.id for touch, _ in touches]))
            .group_by(col(Attachment.touch_id))
        ).all()
    )
    entries = [
        TimelineEntry(
            at=touch.created_at,
            kind=touch.kind,
            author_name=author.full_name,
            notes=touch.notes,
            next_step=touch.next_step,
            follow_up_at=touch.follow_up_at,
            has_location=touch.latitude is not None,
            attachments=attachment_counts.get(touch.id or 0, 0),
        )
        for touch, author in touches
    ] + [
        TimelineEntry(
            at=move.changed_at,
            kind="deal_created" if move.from_stage is None else "stage_change",
            author_name=author.full_name,
            deal_title=deal.title,
            from_stage=move.from_stage,
            to_stage=move.to_stage,
            lost_reason=move.lost_reason,
            notes=move.note,
        )
        for move, deal, author in moves
    ]
    order_rows = session.exec(
        select(SalesOrder, User)
        .join(User, col(SalesOrder.created_by_id) == col(User.id))
        .where(SalesOrder.customer_id == customer_id, visible_orders(actor))
        .order_by(col(SalesOrder.created_at).desc(), col(SalesOrder.id).desc())
        .limit(wanted)
    ).all()
    payment_rows = session.exec(
        select(Payment, SalesOrder, User)
        .join(SalesOrder, col(Payment.order_id) == col(SalesOrder.id))
        .join(User, col(Payment.logged_by_id) == col(User.id))
        .where(SalesOrder.customer_id == customer_id, visible_orders(actor))
        .order_by(col(Payment.logged_at).desc(), col(Payment.id).desc())
        .limit(wanted)
    ).all()
    ticket_rows = session.exec(
        select(Ticket, User, Contact)
        .outerjoin(User, col(Ticket.created_by_id) == col(User.id))
        .outerjoin(Contact, col(Ticket.opened_by_contact_id) == col(Contact.id))
        .where(Ticket.customer_id == customer_id, owned_by_visible(actor, Ticket.owner_id))
        .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
        .limit(wanted)
    ).all()
    for ticket, author, contact in ticket_rows:
        entries.append(
            TimelineEntry(
                at=ticket.created_at,
                kind="ticket_opened",
                author_name=author.full_name if author else contact.name if contact else "",
                by_customer=contact is not None,
                notes=ticket.description,
                ticket_kind=ticket.kind,
            )
        )
        if ticket.resolved_at is not None:
            entries.append(
                TimelineEntry(
                    at=ticket.resolved_at,
                    kind="ticket_resolved",
                    author_name="",
                    notes=ticket.description,
                    ticket_kind=ticket.kind,
                    rating=ticket.rating,
                )
            )
    quote_rows = session.exec(
        select(Quote, User)
        .join(User, col(Quote.owner_id) == col(User.id))
        .where(Quote.customer_id == customer_id, owned_by_visible(actor, Quote.owner_id))
        .order_by(col(Quote.created_at).desc(), col(Quote.id).desc())
        .limit(wanted)
    ).all()
    entries += [
        TimelineEntry(
            at=quote.created_at,
            kind="quote",
            author_name=author.full_name,
            order_number=quote.number,
            amount=quote.total,
            currency=quote.currency,
            notes=quote.status,
        )
        for quote, author in quote_rows
    ]
    deciders = {
        user.id: user.full_name
        for user in session.exec(
            select(User).where(
                col(User.id).in_(
                    [q.decided_by_id for q, _ in quote_rows if q.decided_by_id]
                    + [q.manager_approved_by_id for q, _ in quote_rows if q.manager_approved_by_id]
                )
            )
        )
    }
    entries += [
        TimelineEntry(
            at=quote.manager_approved_at,
            kind="quote_manager_step",
            author_name=deciders.get(quote.manager_approved_by_id, ""),
            amount=quote.total,
            currency=quote.currency,
        )
        for quote, _ in quote_rows
        if quote.manager_approved_at is not None and quote.manager_approved_by_id is not None
    ]
    entries += [
        TimelineEntry(
            at=quote.decided_at,
            kind="quote_decision",
            author_name=deciders.get(quote.decided_by_id, ""),
            order_number=quote.number,
            amount=quote.total,
            currency=quote.currency,
            notes=quote.status,
        )
        for quote, _ in quote_rows
        if quote.decided_at is not None
        and quote.decided_by_id is not None
        and quote.status in (QuoteStatus.ISSUED, QuoteStatus.REJECTED)
    ]
    entries += [
        TimelineEntry(
            at=order.created_at,
            kind="order_created",
            author_name=author.full_name,
            order_number=order.number,
            amount=order.total,
            currency=order.currency,
        )
        for order, author in order_rows
    ] + [
        TimelineEntry(
            at=payment.logged_at,
            kind="payment",
            author_name=author.full_name,
            order_number=order.number,
            amount=payment.amount,
            currency=order.currency,
        )
        for payment, order, author in payment_rows
    ]
    entries += [
        TimelineEntry(
            at=change.at,
            kind="record_change",
            author_name=change.author_name,
            by_customer=change.by_customer,
            field=change.field,
            notes=change.old,
            next_step=change.new,
            contact_name=change.contact_name,
        )
        for change in changes_of(session, customer_id, wanted)
    ]
    value_rows = session.exec(
        select(DealValueChange, Deal, Contact, Quote)
        .join(Deal, col(DealValueChange.deal_id) == col(Deal.id))
        .outerjoin(Contact, col(DealValueChange.changed_by_contact_id) == col(Contact.id))
        .outerjoin(Quote, col(DealValueChange.quote_id) == col(Quote.id))
        .where(Deal.customer_id == customer_id, owned_by_visible(actor, Deal.owner_id))
        .order_by(col(DealValueChange.changed_at).desc(), col(DealValueChange.id).desc())
        .limit(wanted)
    ).all()
    staff_names = {
        user.id: user.full_name
        for user in session.exec(
            select(User).where(
                col(User.id).in_([c.changed_by_id for c, *_ in value_rows if c.changed_by_id])
            )
        )
    }
    entries += [
        TimelineEntry(
            at=change.changed_at,
            kind="deal_value",
            author_name=contact.name if contact else staff_names.get(change.changed_by_id, ""),
            by_customer=contact is not None,
            deal_title=deal.title,
            order_number=quote.number if quote else None,
            amount=change.new_amount,
            currency=change.new_currency,
            old_amount=change.old_amount,
            old_currency=change.old_currency,
        )
        for change, deal, contact, quote in value_rows
    ]
    for request in requests_on_timeline(session, customer_id, wanted):
        steps = [("terms_asked", request.created_at, request.requester_name)]
        if request.manager_decided_at is not None:
            steps.append(("terms_manager", request.manager_decided_at, request.manager_name or ""))
        if request.finance_decided_at is not None:
            steps.append(("terms_finance", request.finance_decided_at, request.finance_name or ""))
        entries += [
            TimelineEntry(at=at, kind=kind, author_name=author, terms=request)
            for kind, at, author in steps
        ]
    entries += [
        TimelineEntry(
            at=kept.at,
            kind="chat_message",
            author_name=kept.author_name,
            by_customer=kept.from_contact,
            notes=kept.text,
            file_kind=kept.file_kind,
            edited=kept.edited,
        )
        for kept in kept_messages(session, customer_id, wanted)
    ]
    # Newest first; for one instant, later steps of the same story first.
    entries.sort(key=lambda entry: (entry.at, STORY_ORDER.get(entry.kind, 1)), reverse=True)
    start = page * TIMELINE_PAGE_SIZE
    assert customer.id is not None
    return TimelinePage(
        customer_id=customer.id,
        customer_name=customer.name,
        entries=entries[start : start + TIMELINE_PAGE_SIZE],
        page=page,
        has_more=len(entries) > start + TIMELINE_PAGE_SIZE,
    )
