"""Orders: a won deal becomes an order with delivery and payment owners and a schedule of
instalments; payments are logged against it, partly if need be, never beyond what is due.

A payment raises ``paid_total`` with one conditional UPDATE (``paid_total + amount <= total``),
so two payments logged at the same moment can never over-collect, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.people import Actor
from bot.services.visibility import owned_by_visible, visible_customer
from models import Customer, Deal, Instalment, Payment, PipelineStage, SalesOrder, User

CENT = Decimal("0.01")


@dataclass(frozen=True)
class InstalmentDraft:
    amount: Decimal
    due_date: date


@dataclass(frozen=True)
class OrderDraft:
    deal_id: int
    delivery_date: date
    delivery_owner_id: int
    payment_owner_id: int
    instalments: list[InstalmentDraft]


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


def default_schedule(
    session: Session, actor: Actor, deal_id: int, delivery_date: date
) -> list[InstalmentDraft]:
    """One instalment of the whole amount, due at delivery plus the customer's payment terms."""
    deal = _won_deal(session, actor, deal_id)
    customer = session.get(Customer, deal.customer_id)
    assert customer is not None
    due = delivery_date + timedelta(days=customer.payment_terms_days)
    return [InstalmentDraft(amount=deal.amount, due_date=due)]


def deal_title(session: Session, actor: Actor, deal_id: int) -> str:
    return _won_deal(session, actor, deal_id).title


def deal_total(session: Session, actor: Actor, deal_id: int) -> tuple[Decimal, str]:
    deal = _won_deal(session, actor, deal_id)
    return deal.amount, deal.currency


def create_order(session: Session, actor: Actor, draft: OrderDraft, *, now: datetime) -> SalesOrder:
    """The order of a won deal: owners from the deal's team, instalments adding up exactly."""
    deal = _won_deal(session, actor, draft.deal_id)
    if session.exec(select(SalesOrder).where(SalesOrder.deal_id == draft.deal_id)).first():
        raise OrderExists()
    allowed = {person.user_id for person in order_people(session, actor, draft.deal_id)}
    if draft.delivery_owner_id not in allowed or draft.payment_owner_id not in allowed:
        raise NotAllowed()
    amounts = [instalment.amount for instalment in draft.instalments]
    if (
        not amounts
        or any(amount <= 0 or amount != amount.quantize(CENT) for amount in amounts)
        or sum(amounts) != deal.amount
    ):
        raise ScheduleInvalid(total=deal.amount, currency=deal.currency)
    assert deal.id is not None
    order = SalesOrder(
        number=f"pending-{deal.id}",
        deal_id=deal.id,
        customer_id=deal.customer_id,
        owner_id=deal.owner_id,
        delivery_owner_id=draft.delivery_owner_id,
        payment_owner_id=draft.payment_owner_id,
        total=deal.amount,
        currency=deal.currency,
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
) -> list[OpenInstalment]:
    """Unpaid instalments, earliest due first; optionally of one payment owner and by due date."""
    query = (
        select(SalesOrder, Customer)
        .join(Customer, col(SalesOrder.customer_id) == col(Customer.id))
        .where(col(SalesOrder.paid_total) < col(SalesOrder.total))
    )
    if payment_owner_id is not None:
        query = query.where(SalesOrder.payment_owner_id == payment_owner_id)
    found: list[OpenInstalment] = []
    for order, customer in session.exec(query):
        instalments = list(session.exec(select(Instalment).where(Instalment.order_id == order.id)))
        by_sequence = {item.sequence: item for item in instalments}
        for view in _instalment_views(instalments, order.paid_total, date.min):
            if view.paid >= view.amount:
                continue
            if due_until is not None and view.due_date > due_until:
                continue
            if due_from is not None and view.due_date < due_from:
                continue
            found.append(
                OpenInstalment(
                    instalment_id=by_sequence[view.sequence].id or 0,
                    sequence=view.sequence,
                    order_id=order.id or 0,
                    order_number=order.number,
                    customer_id=customer.id or 0,
                    customer_name=customer.name,
                    owner_id=order.owner_id,
                    payment_owner_id=order.payment_owner_id,
                    currency=order.currency,
                    amount=view.amount,
                    unpaid=view.amount - view.paid,
                    due_date=view.due_date,
                )
            )
    return sorted(found, key=lambda item: (item.due_date, item.order_id, item.sequence))
