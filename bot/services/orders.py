"""Orders: a won deal becomes an order with delivery and payment owners and a schedule of
instalments; payments are logged against it, partly if need be, never beyond what is due.

An order bills what the customer accepted: the deal's accepted quote (else its latest issued
quote the customer has not declined) with its lines, currency and total; only a deal without
such a quote bills its own value. The instalments add up to exactly that total.

A payment raises ``paid_total`` with one conditional UPDATE (``paid_total + amount <= total``),
so two payments logged at the same moment can never over-collect, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import ColumnElement, case, or_, update
from sqlmodel import Session, col, select

from bot.services import history
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.people import Actor
from bot.services.visibility import owned_by_visible, refuse_read_only, visible_customer
from models import (
    Customer,
    Deal,
    Instalment,
    Payment,
    PipelineStage,
    Quote,
    QuoteLine,
    QuoteStatus,
    SalesOrder,
    User,
)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class InstalmentDraft:
    amount: Decimal
    due_date: date


@dataclass(frozen=True)
class Billing:
    """What an order of a deal bills: a quote (``quote_id`` set) or, without one, the deal's
    value. ``deal_amount``/``deal_currency`` are the deal's value, shown when they differ."""

    quote_id: int | None
    quote_number: str | None
    accepted: bool  # the customer accepted the quote
    total: Decimal
    currency: str
    deal_amount: Decimal
    deal_currency: str

    def bills_the_same(self, other: Billing) -> bool:
        return (self.quote_id, self.total, self.currency) == (
            other.quote_id,
            other.total,
            other.currency,
        )


@dataclass(frozen=True)
class OrderDraft:
    deal_id: int
    delivery_date: date
    delivery_owner_id: int
    payment_owner_id: int
    instalments: list[InstalmentDraft]
    # What the person was shown and confirmed the order bills; if that changed meanwhile (a
    # quote accepted, another issued) the order is refused rather than billing something else.
    confirmed: Billing | None = None


@dataclass(frozen=True)
class OrderLine:
    """A line of the quote the order bills (issued quotes never change)."""

    sku: str
    name: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class InstalmentView:
    sequence: int
    amount: Decimal
    due_date: date
    paid: Decimal
    status: str  # "paid", "part_paid", "overdue", "due"


@dataclass(frozen=True)
class OrderView:
    order_id: int
    number: str
    deal_id: int
    deal_title: str
    customer_id: int
    customer_name: str
    owner_name: str
    delivery_owner_name: str
    payment_owner_name: str
    total: Decimal
    paid: Decimal
    due: Decimal
    currency: str
    delivery_date: date
    delivered_at: datetime | None
    instalments: list[InstalmentView]
    quote_number: str | None = None
    lines: list[OrderLine] = field(default_factory=list)
    overall_discount_pct: Decimal = Decimal(0)

    @property
    def overdue(self) -> Decimal:
        return sum(
            (i.amount - i.paid for i in self.instalments if i.status == "overdue"), Decimal(0)
        )


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str


@dataclass(frozen=True)
class Unpaid:
    currency: str
    due: Decimal
    overdue: Decimal


class DealNotWon(ServiceError):
    template = "orders/deal_not_won"


class OrderExists(ServiceError):
    template = "orders/exists"


class ScheduleInvalid(ServiceError):
    template = "orders/schedule_invalid"


class Overpayment(ServiceError):
    template = "orders/overpayment"


class AmountInvalid(ServiceError):
    template = "orders/amount_invalid"


class BillingChanged(ServiceError):
    """What the order would bill is no longer what the person confirmed."""

    template = "orders/billing_changed"


def visible_orders(actor: Actor) -> ColumnElement[bool]:
    """Orders of visible owners, plus those the person delivers or collects."""
    return or_(
        owned_by_visible(actor, SalesOrder.owner_id),
        col(SalesOrder.delivery_owner_id) == actor.user_id,
        col(SalesOrder.payment_owner_id) == actor.user_id,
    )


def _won_deal(session: Session, actor: Actor, deal_id: int) -> Deal:
    row = session.exec(
        select(Deal, PipelineStage)
        .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
        .where(Deal.id == deal_id, owned_by_visible(actor, Deal.owner_id))
    ).first()
    if row is None:
        raise NotFound()
    deal, stage = row
    if not stage.is_won:
        raise DealNotWon()
    return deal


def order_people(session: Session, actor: Actor, deal_id: int) -> list[Person]:
    """Who may deliver or collect for the deal's order: its owner and their active team."""
    deal = _won_deal(session, actor, deal_id)
    owner = session.get(User, deal.owner_id)
    assert owner is not None
    query = select(User).where(col(User.is_active))
    if owner.team_id is not None:
        query = query.where(or_(col(User.team_id) == owner.team_id, col(User.id) == owner.id))
    else:
        query = query.where(User.id == owner.id)
    people = [Person(user.id or 0, user.full_name) for user in session.exec(query)]
    people.sort(key=lambda person: (person.user_id != owner.id, person.name))
    return people


def _billing(session: Session, deal: Deal) -> Billing:
    """The deal's accepted quote (the latest accepted), else its latest issued quote that the
    customer has not declined, else the deal's own value."""
    quote = session.exec(
        select(Quote)
        .where(
            Quote.deal_id == deal.id,
            Quote.status == QuoteStatus.ISSUED.value,
            or_(
                col(Quote.customer_answer).is_(None),
                col(Quote.customer_answer) == "accepted",
            ),
        )
        .order_by(
            case((col(Quote.customer_answer) == "accepted", 0), else_=1),
            col(Quote.answered_at).desc(),
            col(Quote.issued_at).desc(),
            col(Quote.id).desc(),
        )
        .limit(1)
    ).first()
    if quote is None:
        return Billing(None, None, False, deal.amount, deal.currency, deal.amount, deal.currency)
    return Billing(
        quote_id=quote.id,
        quote_number=quote.number,
        accepted=quote.customer_answer == "accepted",
        total=quote.total,
        currency=quote.currency,
        deal_amount=deal.amount,
        deal_currency=deal.currency,
    )


def billing(session: Session, actor: Actor, deal_id: int) -> Billing:
    """What the order of a won deal the person may see would bill."""
    return _billing(session, _won_deal(session, actor, deal_id))


def default_schedule(
    session: Session, actor: Actor, deal_id: int, delivery_date: date
) -> list[InstalmentDraft]:
    """One instalment of the whole billed total, due at delivery plus the customer's terms."""
    deal = _won_deal(session, actor, deal_id)
    customer = session.get(Customer, deal.customer_id)
    assert customer is not None
    due = delivery_date + timedelta(days=customer.payment_terms_days)
    return [InstalmentDraft(amount=_billing(session, deal).total, due_date=due)]


def deal_title(session: Session, actor: Actor, deal_id: int) -> str:
    return _won_deal(session, actor, deal_id).title


def create_order(session: Session, actor: Actor, draft: OrderDraft, *, now: datetime) -> SalesOrder:
    """The order of a won deal: it bills the deal's quote (see ``billing``) or else its value,
    owners from the deal's team, instalments adding up exactly to the billed total."""
    refuse_read_only(actor)
    deal = _won_deal(session, actor, draft.deal_id)
    if session.exec(select(SalesOrder).where(SalesOrder.deal_id == draft.deal_id)).first():
        raise OrderExists()
    allowed = {person.user_id for person in order_people(session, actor, draft.deal_id)}
    if draft.delivery_owner_id not in allowed or draft.payment_owner_id not in allowed:
        raise NotAllowed()
    bills = _billing(session, deal)
    if draft.confirmed is not None and not draft.confirmed.bills_the_same(bills):
        raise BillingChanged(billing=bills, confirmed=draft.confirmed)
    amounts = [instalment.amount for instalment in draft.instalments]
    if (
        not amounts
        or any(amount <= 0 or amount != amount.quantize(CENT) for amount in amounts)
        or sum(amounts) != bills.total
    ):
        raise ScheduleInvalid(total=bills.total, currency=bills.currency)
    assert deal.id is not None
    order = SalesOrder(
        number=f"pending-{deal.id}",
        deal_id=deal.id,
        quote_id=bills.quote_id,
        customer_id=deal.customer_id,
        owner_id=deal.owner_id,
        delivery_owner_id=draft.delivery_owner_id,
        payment_owner_id=draft.payment_owner_id,
        total=bills.total,
        currency=bills.currency,
        delivery_date=draft.delivery_date,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    assert order.id is not None
    order.number = f"O-{now.year}-{order.id:05d}"
    for sequence, instalment in enumerate(
        sorted(draft.instalments, key=lambda item: item.due_date), start=1
    ):
        session.add(
            Instalment(
                order_id=order.id,
                sequence=sequence,
                amount=instalment.amount,
                due_date=instalment.due_date,
            )
        )
    session.flush()
    return order


def _visible_order(session: Session, actor: Actor, order_id: int) -> SalesOrder:
    order = session.exec(
        select(SalesOrder).where(SalesOrder.id == order_id, visible_orders(actor))
    ).first()
    if order is None:
        raise NotFound()
    return order


def _instalment_views(
    instalments: list[Instalment], paid_total: Decimal, today: date
) -> list[InstalmentView]:
    """Payments settle the earliest instalments first."""
    left = paid_total
    views = []
    for instalment in sorted(instalments, key=lambda item: item.sequence):
        paid = min(instalment.amount, left)
        left -= paid
        if paid == instalment.amount:
            status = "paid"
        elif instalment.due_date < today:
            status = "overdue"
        elif paid > 0:
            status = "part_paid"
        else:
            status = "due"
        views.append(
            InstalmentView(
                instalment.sequence, instalment.amount, instalment.due_date, paid, status
            )
        )
    return views


def order_view(session: Session, actor: Actor, order_id: int, *, today: date) -> OrderView:
    return _order_view(session, _visible_order(session, actor, order_id), today)


def customer_orders(session: Session, customer_id: int, *, today: date) -> list[OrderView]:
    """A customer's own orders, newest first: what its linked contacts may see."""
    orders = session.exec(
        select(SalesOrder)
        .where(SalesOrder.customer_id == customer_id)
        .order_by(col(SalesOrder.created_at).desc())
        .limit(10)
    ).all()
    return [_order_view(session, order, today) for order in orders]


def _order_view(session: Session, order: SalesOrder, today: date) -> OrderView:
    order_id = order.id or 0
    session.refresh(order)
    deal = session.get(Deal, order.deal_id)
    customer = session.get(Customer, order.customer_id)
    names = {
        user.id: user.full_name
        for user in session.exec(
            select(User).where(
                col(User.id).in_([order.owner_id, order.delivery_owner_id, order.payment_owner_id])
            )
        )
    }
    instalments = list(session.exec(select(Instalment).where(Instalment.order_id == order_id)))
    quote = session.get(Quote, order.quote_id) if order.quote_id is not None else None
    lines = (
        session.exec(
            select(QuoteLine).where(QuoteLine.quote_id == quote.id).order_by(col(QuoteLine.id))
        ).all()
        if quote is not None
        else []
    )
    assert order.id is not None and deal is not None and customer is not None
    return OrderView(
        order_id=order.id,
        number=order.number,
        deal_id=order.deal_id,
        deal_title=deal.title,
        customer_id=order.customer_id,
        customer_name=customer.name,
        owner_name=names.get(order.owner_id, ""),
        delivery_owner_name=names.get(order.delivery_owner_id, ""),
        payment_owner_name=names.get(order.payment_owner_id, ""),
        total=order.total,
        paid=order.paid_total,
        due=order.total - order.paid_total,
        currency=order.currency,
        delivery_date=order.delivery_date,
        delivered_at=order.delivered_at,
        instalments=_instalment_views(instalments, order.paid_total, today),
        quote_number=quote.number if quote is not None else None,
        lines=[
            OrderLine(
                sku=line.sku,
                name=line.name,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_pct=line.discount_pct,
                line_total=line.line_total,
            )
            for line in lines
        ],
        overall_discount_pct=quote.overall_discount_pct if quote is not None else Decimal(0),
    )


def order_of_deal(session: Session, actor: Actor, deal_id: int) -> int | None:
    order = session.exec(
        select(SalesOrder.id).where(SalesOrder.deal_id == deal_id, visible_orders(actor))
    ).first()
    return order


def log_payment(
    session: Session,
    actor: Actor,
    order_id: int,
    amount: Decimal,
    *,
    received_on: date,
    now: datetime,
) -> Payment:
    """Record money received; refused if it is not a positive amount in cents or would take
    the order beyond its total (checked and applied in one conditional update)."""
    order = _visible_order(session, actor, order_id)
    if amount <= 0 or amount != amount.quantize(CENT):
        raise AmountInvalid(currency=order.currency)
    paid_before = order.paid_total
    applied = session.execute(
        update(SalesOrder)
        .where(
            col(SalesOrder.id) == order_id,
            col(SalesOrder.paid_total) + amount <= col(SalesOrder.total),
        )
        .values(paid_total=col(SalesOrder.paid_total) + amount, updated_at=now)
    )
    if applied.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(order)
        raise Overpayment(
            due=order.total - order.paid_total, amount=amount, currency=order.currency
        )
    session.refresh(order, ["paid_total"])
    history.record_update(session, order, {"paid_total": paid_before}, now=now)  # not flushed
    payment = Payment(
        order_id=order_id,
        amount=amount,
        received_on=received_on,
        logged_by_id=actor.user_id,
        logged_at=now,
    )
    session.add(payment)
    session.flush()
    return payment


def mark_delivered(session: Session, actor: Actor, order_id: int, *, now: datetime) -> None:
    refuse_read_only(actor)
    order = _visible_order(session, actor, order_id)
    if order.delivered_at is None:
        order.delivered_at, order.updated_at = now, now
        session.flush()


def payable_orders(session: Session, actor: Actor, *, today: date) -> list[OrderView]:
    """Orders with money still due that the person may log payments for, oldest due first."""
    ids = session.exec(
        select(SalesOrder.id)
        .where(visible_orders(actor), col(SalesOrder.paid_total) < col(SalesOrder.total))
        .order_by(col(SalesOrder.delivery_date), col(SalesOrder.id))
        .limit(20)
    ).all()
    return [order_view(session, actor, order_id, today=today) for order_id in ids if order_id]


def unpaid_for_customer(
    session: Session, actor: Actor, customer_id: int, *, today: date
) -> list[Unpaid]:
    """What the customer still owes on orders the person may see, per currency."""
    visible_customer(session, actor, customer_id)
    orders = session.exec(
        select(SalesOrder).where(
            SalesOrder.customer_id == customer_id,
            col(SalesOrder.paid_total) < col(SalesOrder.total),
        )
    ).all()
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for order in orders:
        instalments = list(session.exec(select(Instalment).where(Instalment.order_id == order.id)))
        views = _instalment_views(instalments, order.paid_total, today)
        overdue = sum((v.amount - v.paid for v in views if v.status == "overdue"), Decimal(0))
        due, late = totals.get(order.currency, (Decimal(0), Decimal(0)))
        totals[order.currency] = (due + order.total - order.paid_total, late + overdue)
    return [Unpaid(currency, due, late) for currency, (due, late) in sorted(totals.items())]


@dataclass(frozen=True)
class OpenInstalment:
    """An instalment not yet fully paid (payments settle the earliest first)."""

    instalment_id: int
    sequence: int
    order_id: int
    order_number: str
    customer_id: int
    customer_name: str
    owner_id: int
    payment_owner_id: int
    currency: str
    amount: Decimal
    unpaid: Decimal
    due_date: date


def open_instalments(
    session: Session,
    *,
    payment_owner_id: int | None = None,
    due_until: date | None = None,
    due_from: date | None = None,
    order_id: int | None = None,
) -> list[OpenInstalment]:
    """Unpaid instalments, earliest due first; optionally of one payment owner (or one order)
    and by due date.

    One statement: the instalments of the unpaid orders (found by the partial index of unpaid
    orders, so the paid ones, most of the history, are never read), with their order and
    customer; which are still open is worked out here, as payments settle the earliest first."""
    query = (
        sa.select(
            col(Instalment.id),
            col(Instalment.sequence),
            col(Instalment.amount),
            col(Instalment.due_date),
            col(SalesOrder.id),
            col(SalesOrder.number),
            col(SalesOrder.owner_id),
            col(SalesOrder.payment_owner_id),
            col(SalesOrder.currency),
            col(SalesOrder.paid_total),
            col(Customer.id),
            col(Customer.name),
        )
        .join(SalesOrder, col(Instalment.order_id) == col(SalesOrder.id))
        .join(Customer, col(SalesOrder.customer_id) == col(Customer.id))
        .where(col(SalesOrder.paid_total) < col(SalesOrder.total))
    )
    if payment_owner_id is not None:
        query = query.where(col(SalesOrder.payment_owner_id) == payment_owner_id)
    if order_id is not None:
        query = query.where(col(SalesOrder.id) == order_id)
    found: list[OpenInstalment] = []
    left: Decimal = Decimal(0)
    order_seen: int | None = None
    # In order and sequence, sorted here: the database may start from whichever index is best.
    for (
        instalment_id,
        sequence,
        amount,
        due_date,
        row_order,
        number,
        owner_id,
        payer_id,
        currency,
        paid_total,
        customer_id,
        customer_name,
    ) in sorted(session.execute(query), key=lambda row: (row[4], row[1])):
        if row_order != order_seen:
            order_seen, left = row_order, paid_total
        paid = min(amount, left)
        left -= paid
        if paid >= amount:
            continue
        if due_until is not None and due_date > due_until:
            continue
        if due_from is not None and due_date < due_from:
            continue
        found.append(
            OpenInstalment(
                instalment_id=instalment_id or 0,
                sequence=sequence,
                order_id=row_order or 0,
                order_number=number,
                customer_id=customer_id or 0,
                customer_name=customer_name,
                owner_id=owner_id,
                payment_owner_id=payer_id,
                currency=currency,
                amount=amount,
                unpaid=amount - paid,
                due_date=due_date,
            )
        )
    return sorted(found, key=lambda item: (item.due_date, item.order_id, item.sequence))
