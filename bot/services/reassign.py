"""Reassignment: a rep's customers handed to another rep (/reassign, and before deactivating a
rep who still owns customers).

Who may: a manager for the people of their own team, a director and an admin for everyone. What
moves with the customers, in one transaction: the customers' owner; the giver's open deals on
them; the giver's quotes on them still waiting for an approval or for the customer's answer (the
answer then reaches the receiver; a manager's step is then the receiver's team manager's, who is
told); the customers' contacts' questions still unanswered, listed to the receiver with a button
to answer each (whoever owns the customer answers its contacts); the delivery and the payment
collection of their open orders the giver had; the giver's open follow-ups on them (the touch
stays the giver's, the follow-up is the receiver's to do: ``Touch.follow_up_owner_id``, so its
reminder goes to the receiver and one still waiting for the giver is skipped); the giver's open
service requests on them. Each customer's (and moved quote's) timeline gets one line: who moved
it, from whom, to whom. Nothing here sends a message: the caller tells the receiver.

Lists that grow with the company are read a page at a time; the moved records are found by
statements over the customers (a subquery), never by loading them into Python."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, func, select

from bot.services import people
from bot.services.errors import NotFound, ServiceError
from bot.services.people import Actor
from models import (
    ChangeEntry,
    Contact,
    ContactQuestion,
    Customer,
    Deal,
    PipelineStage,
    Quote,
    QuoteStatus,
    Role,
    SalesOrder,
    Team,
    Ticket,
    TicketStatus,
    Touch,
    User,
)
from models.base import UTCDateTime
from models.sales import follow_up_is_for

PAGE_SIZE = 8
FIRST_NAMES = 10  # customers named in the receiver's message
FIRST_QUESTIONS = 5  # open contact questions quoted in the receiver's message
RECEIVING_ROLES = (Role.REP, Role.MANAGER)
OWNER_FIELD = "owner"  # ChangeEntry.field of a move on the timeline


class ReassignNotForRole(ServiceError):
    template = "reassign/not_for_role"


class NothingChosen(ServiceError):
    template = "reassign/nothing_chosen"


@dataclass(frozen=True)
class StaffLine:
    user_id: int
    full_name: str
    role: Role
    team_name: str | None  # shown to directors and admins, who see every team
    is_active: bool
    customers: int


@dataclass(frozen=True)
class StaffPage:
    people: list[StaffLine]
    page: int
    pages: int


@dataclass(frozen=True)
class CustomerChoice:
    customer_id: int
    name: str
    chosen: bool


@dataclass(frozen=True)
class CustomerChoicePage:
    giver_name: str
    customers: list[CustomerChoice]
    page: int
    pages: int
    total: int
    chosen: int


@dataclass(frozen=True)
class HandoverPlan:
    """What a hand-over moves (counted before it happens, or as it happened)."""

    giver_id: int
    giver_name: str
    receiver_id: int
    receiver_name: str
    all_customers: bool
    customers: int
    deals: int
    follow_ups: int
    tickets: int
    orders: int
    deliveries: int = 0
    quotes: int = 0
    questions: int = 0


@dataclass(frozen=True)
class OpenQuestion:
    contact_id: int
    contact_name: str
    customer_name: str
    text: str
    asked_at: datetime


@dataclass(frozen=True)
class HandoverDone:
    plan: HandoverPlan
    receiver_telegram_id: int
    receiver_language: str
    giver_telegram_id: int
    first_customers: list[tuple[int, str]]
    deactivated: bool
    # The receiver's team's managers when moved quotes wait for a manager's step in a new team.
    new_approvers: tuple[tuple[int, str], ...] = ()  # (telegram id, language)
    questions: tuple[OpenQuestion, ...] = ()  # the oldest open contact questions


def may_reassign(actor: Actor) -> bool:
    return actor.role in (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)


def _require(actor: Actor) -> None:
    if not may_reassign(actor):
        raise ReassignNotForRole()


def _staff_in_scope(actor: Actor) -> ColumnElement[bool]:
    """The people ``actor`` may hand customers from and to: a manager's own team, else all."""
    if actor.role == Role.MANAGER:
        if actor.team_id is None:
            return col(User.id) == actor.user_id
        return col(User.team_id) == actor.team_id
    return true()


def _member(session: Session, actor: Actor, user_id: int) -> User:
    """A person in ``actor``'s scope, or NotFound (the same for one outside it)."""
    user = session.exec(select(User).where(User.id == user_id, _staff_in_scope(actor))).first()
    if user is None:
        raise NotFound()
    return user


def _receiver(session: Session, actor: Actor, giver_id: int, receiver_id: int) -> User:
    receiver = _member(session, actor, receiver_id)
    if receiver.id == giver_id or not receiver.is_active or receiver.role not in RECEIVING_ROLES:
        raise NotFound()
    return receiver


def givers_name(session: Session, actor: Actor, giver_id: int) -> str:
    _require(actor)
    return _member(session, actor, giver_id).full_name


def receivers_check(session: Session, actor: Actor, giver_id: int, receiver_id: int) -> None:
    """NotFound unless ``receiver_id`` may receive ``giver_id``'s customers from ``actor``."""
    _require(actor)
    _member(session, actor, giver_id)
    _receiver(session, actor, giver_id, receiver_id)


def customers_to_hand_over(
    session: Session, actor: Actor, user_id: int, *, admin_ids: Collection[int]
) -> int:
    """Before deactivating a person (admins only, as /users): how many customers they own."""
    target = people.get_user(session, actor, user_id, admin_ids=admin_ids)
    if target.user_id == actor.user_id or target.configured_admin:
        return 0  # refused as before by the deactivation itself, with its reason
    return customers_owned(session, user_id)


def customers_owned(session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Customer).where(Customer.owner_id == user_id)
    ).one()


def _staff_page(
    session: Session, actor: Actor, condition: ColumnElement[bool], page: int
) -> StaffPage:
    owned = (
        select(col(Customer.owner_id).label("owner_id"), func.count().label("customers"))
        .group_by(col(Customer.owner_id))
        .subquery()
    )
    customers = func.coalesce(owned.c.customers, 0)
    total = session.exec(
        select(func.count())
        .select_from(User)
        .join(owned, owned.c.owner_id == col(User.id), isouter=True)
        .where(condition)
    ).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = session.execute(
        sa.select(User, Team, customers)
        .join(owned, owned.c.owner_id == col(User.id), isouter=True)
        .join(Team, col(User.team_id) == col(Team.id), isouter=True)
        .where(condition)
        .order_by(col(User.full_name), col(User.id))
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    lines = [
        StaffLine(
            user_id=user.id or 0,
            full_name=user.full_name,
            role=Role(user.role),
            team_name=team.name if team and actor.role != Role.MANAGER else None,
            is_active=user.is_active,
            customers=count,
        )
        for user, team, count in rows
    ]
    return StaffPage(people=lines, page=page, pages=pages)


def givers(session: Session, actor: Actor, page: int) -> StaffPage:
    """The people in scope who own customers, by name, a page at a time."""
    _require(actor)
    owners = select(Customer.owner_id).distinct()
    in_scope = sa.and_(_staff_in_scope(actor), col(User.id).in_(owners.scalar_subquery()))
    return _staff_page(session, actor, in_scope, page)


def receivers(session: Session, actor: Actor, giver_id: int, page: int) -> StaffPage:
    """Who may receive ``giver_id``'s customers: the active reps and managers in scope."""
    _require(actor)
    _member(session, actor, giver_id)
    condition = sa.and_(
        _staff_in_scope(actor),
        col(User.is_active),
        col(User.role).in_([role.value for role in RECEIVING_ROLES]),
        col(User.id) != giver_id,
    )
    return _staff_page(session, actor, condition, page)


def giver_customers(
    session: Session, actor: Actor, giver_id: int, chosen: Collection[int], page: int
) -> CustomerChoicePage:
    """The giver's customers by name, a page at a time, each marked chosen or not."""
    _require(actor)
    giver = _member(session, actor, giver_id)
    total = customers_owned(session, giver_id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(Customer.id, Customer.name)
        .where(Customer.owner_id == giver_id)
        .order_by(col(Customer.name), col(Customer.id))
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    wanted = set(chosen)
    return CustomerChoicePage(
        giver_name=giver.full_name,
        customers=[
            CustomerChoice(customer_id=cid or 0, name=name, chosen=cid in wanted)
            for cid, name in rows
        ],
        page=page,
        pages=pages,
        total=total,
        chosen=_chosen_count(session, giver_id, wanted),
    )


def toggle_customer(
    session: Session, actor: Actor, giver_id: int, customer_id: int, chosen: Collection[int]
) -> list[int]:
    """The chosen customers with ``customer_id`` added or taken away (it must be the giver's)."""
    _require(actor)
    _member(session, actor, giver_id)
    customer = session.get(Customer, customer_id)
    if customer is None or customer.owner_id != giver_id:
        raise NotFound()
    wanted = set(chosen)
    wanted.symmetric_difference_update({customer_id})
    return sorted(wanted)


def _chosen_count(session: Session, giver_id: int, chosen: Collection[int]) -> int:
    if not chosen:
        return 0
    return session.exec(
        select(func.count())
        .select_from(Customer)
        .where(Customer.owner_id == giver_id, col(Customer.id).in_(list(chosen)))
    ).one()


def _moved_customers(giver_id: int, customer_ids: Collection[int] | None) -> Any:
    """The ids of the customers that move, as a subquery (all of the giver's, or the chosen)."""
    query = select(Customer.id).where(Customer.owner_id == giver_id)
    if customer_ids is not None:
        query = query.where(col(Customer.id).in_(list(customer_ids)))
    return query.scalar_subquery()


def _open_stages() -> Any:
    return (
        select(PipelineStage.key)
        .where(col(PipelineStage.is_won).is_(False), col(PipelineStage.is_lost).is_(False))
        .scalar_subquery()
    )


def _deals(giver_id: int, moved: Any) -> ColumnElement[bool]:
    return sa.and_(
        col(Deal.customer_id).in_(moved),
        col(Deal.owner_id) == giver_id,
        col(Deal.stage_key).in_(_open_stages()),
    )


def _follow_ups(giver_id: int, moved: Any) -> ColumnElement[bool]:
    return sa.and_(
        col(Touch.customer_id).in_(moved),
        follow_up_is_for(giver_id),
        col(Touch.follow_up_at).is_not(None),
        col(Touch.follow_up_done_at).is_(None),
        col(Touch.deleted_at).is_(None),
    )


def _tickets(giver_id: int, moved: Any) -> ColumnElement[bool]:
    return sa.and_(
        col(Ticket.customer_id).in_(moved),
        col(Ticket.owner_id) == giver_id,
        col(Ticket.status) != TicketStatus.RESOLVED.value,
    )


def _orders(giver_id: int, moved: Any) -> ColumnElement[bool]:
    return sa.and_(
        col(SalesOrder.customer_id).in_(moved),
        col(SalesOrder.payment_owner_id) == giver_id,
        col(SalesOrder.paid_total) < col(SalesOrder.total),
    )


def _deliveries(giver_id: int, moved: Any) -> ColumnElement[bool]:
    return sa.and_(
        col(SalesOrder.customer_id).in_(moved),
        col(SalesOrder.delivery_owner_id) == giver_id,
        col(SalesOrder.delivered_at).is_(None),
    )


PENDING_QUOTES = (QuoteStatus.PENDING_MANAGER.value, QuoteStatus.PENDING_DIRECTOR.value)


def _quotes(giver_id: int, moved: Any) -> ColumnElement[bool]:
    """The giver's quotes waiting for an approval, or issued and waiting for the customer."""
    return sa.and_(
        col(Quote.customer_id).in_(moved),
        col(Quote.owner_id) == giver_id,
        sa.or_(
            col(Quote.status).in_(PENDING_QUOTES),
            sa.and_(
                col(Quote.status) == QuoteStatus.ISSUED.value,
                col(Quote.customer_answer).is_(None),
            ),
        ),
    )


def _new_approvers(
    session: Session, giver: User, receiver: User, giver_id: int, moved: Any
) -> tuple[tuple[int, str], ...]:
    """The receiver's team's managers, when quotes waiting for a manager move to a new team."""
    if receiver.team_id is None or receiver.team_id == giver.team_id:
        return ()
    waiting = _count(
        session,
        Quote,
        sa.and_(_quotes(giver_id, moved), col(Quote.status) == QuoteStatus.PENDING_MANAGER.value),
    )
    if waiting == 0:
        return ()
    managers = session.exec(
        select(User).where(
            User.team_id == receiver.team_id,
            User.role == Role.MANAGER,
            col(User.is_active),
            User.id != receiver.id,
        )
    )
    return tuple((user.telegram_id, user.language) for user in managers)


def _questions(moved: Any) -> ColumnElement[bool]:
    """The moved customers' contacts' questions nobody answered yet."""
    contacts = select(Contact.id).where(col(Contact.customer_id).in_(moved))
    return sa.and_(
        col(ContactQuestion.contact_id).in_(contacts.scalar_subquery()),
        col(ContactQuestion.answered_at).is_(None),
    )


def _first_questions(session: Session, moved: Any) -> tuple[OpenQuestion, ...]:
    rows = session.execute(
        sa.select(ContactQuestion, col(Contact.name), col(Customer.name))
        .join(Contact, col(Contact.id) == col(ContactQuestion.contact_id))
        .join(Customer, col(Customer.id) == col(Contact.customer_id))
        .where(_questions(moved))
        .order_by(col(ContactQuestion.asked_at), col(ContactQuestion.id))
        .limit(FIRST_QUESTIONS)
    ).all()
    return tuple(
        OpenQuestion(question.contact_id, contact, customer, question.text, question.asked_at)
        for question, contact, customer in rows
    )


def _count(session: Session, table: Any, condition: ColumnElement[bool]) -> int:
    found = session.execute(sa.select(func.count()).select_from(table).where(condition))
    return int(found.scalar_one())


def plan(
    session: Session,
    actor: Actor,
    giver_id: int,
    receiver_id: int,
    customer_ids: Collection[int] | None,
) -> HandoverPlan:
    """What handing ``customer_ids`` (None: all) of the giver to the receiver would move."""
    _require(actor)
    giver = _member(session, actor, giver_id)
    receiver = _receiver(session, actor, giver_id, receiver_id)
    moved = _moved_customers(giver_id, customer_ids)
    customers = _count(session, Customer, col(Customer.id).in_(moved))
    if customers == 0:
        raise NothingChosen()
    return HandoverPlan(
        giver_id=giver_id,
        giver_name=giver.full_name,
        receiver_id=receiver_id,
        receiver_name=receiver.full_name,
        all_customers=customer_ids is None,
        customers=customers,
        deals=_count(session, Deal, _deals(giver_id, moved)),
        follow_ups=_count(session, Touch, _follow_ups(giver_id, moved)),
        tickets=_count(session, Ticket, _tickets(giver_id, moved)),
        orders=_count(session, SalesOrder, _orders(giver_id, moved)),
        deliveries=_count(session, SalesOrder, _deliveries(giver_id, moved)),
        quotes=_count(session, Quote, _quotes(giver_id, moved)),
        questions=_count(session, ContactQuestion, _questions(moved)),
    )


def hand_over(
    session: Session,
    actor: Actor,
    giver_id: int,
    receiver_id: int,
    customer_ids: Collection[int] | None,
    *,
    now: datetime,
    deactivate: bool = False,
    admin_ids: Collection[int] = (),
) -> HandoverDone:
    """Move the customers (None: all of the giver's) and what goes with them, in the caller's
    transaction; with ``deactivate`` the giver's account is then deactivated (admins only)."""
    counted = plan(session, actor, giver_id, receiver_id, customer_ids)
    giver, receiver = session.get(User, giver_id), session.get(User, receiver_id)
    assert giver is not None and receiver is not None
    moved = _moved_customers(giver_id, customer_ids)
    first = [
        (cid or 0, name)
        for cid, name in session.exec(
            select(Customer.id, Customer.name)
            .where(col(Customer.id).in_(moved))
            .order_by(col(Customer.name), col(Customer.id))
            .limit(FIRST_NAMES)
        ).all()
    ]
    new_approvers = _new_approvers(session, giver, receiver, giver_id, moved)
    questions = _first_questions(session, moved)
    unsynced = {"synchronize_session": False}
    # Each quote's move in its history (a bulk UPDATE passes the session's history hook).
    _record_owner_moves(
        session, "quote", Quote, _quotes(giver_id, moved), giver, receiver, actor, now
    )
    session.execute(
        sa.update(Quote)
        .where(_quotes(giver_id, moved))
        .values(owner_id=receiver_id)
        .execution_options(**unsynced)
    )
    session.execute(
        sa.update(SalesOrder)
        .where(_deliveries(giver_id, moved))
        .values(delivery_owner_id=receiver_id, updated_at=now)
        .execution_options(**unsynced)
    )
    session.execute(
        sa.update(Deal)
        .where(_deals(giver_id, moved))
        .values(owner_id=receiver_id, updated_at=now)
        .execution_options(**unsynced)
    )
    # The touch stays the author's; the follow-up becomes the receiver's (back to plain when the
    # receiver wrote it).
    session.execute(
        sa.update(Touch)
        .where(_follow_ups(giver_id, moved))
        .values(
            follow_up_owner_id=sa.case(
                (col(Touch.author_id) == receiver_id, sa.null()), else_=receiver_id
            ),
            updated_at=now,
        )
        .execution_options(**unsynced)
    )
    session.execute(
        sa.update(Ticket)
        .where(_tickets(giver_id, moved))
        .values(owner_id=receiver_id, updated_at=now)
        .execution_options(**unsynced)
    )
    session.execute(
        sa.update(SalesOrder)
        .where(_orders(giver_id, moved))
        .values(payment_owner_id=receiver_id, updated_at=now)
        .execution_options(**unsynced)
    )
    # The move on each customer's timeline and in its history (the statements above and below
    # are bulk UPDATEs, which the session's history hook does not see).
    _record_owner_moves(
        session, "customer", Customer, col(Customer.id).in_(moved), giver, receiver, actor, now
    )
    session.execute(
        sa.update(Customer)
        .where(col(Customer.id).in_(moved))
        .values(owner_id=receiver_id, updated_at=now)
        .execution_options(**unsynced)
    )
    session.expire_all()
    if deactivate:
        people.set_user_active(session, actor, giver_id, False, admin_ids=admin_ids, now=now)
    return HandoverDone(
        plan=counted,
        receiver_telegram_id=receiver.telegram_id,
        receiver_language=receiver.language,
        giver_telegram_id=giver.telegram_id,
        first_customers=first,
        deactivated=deactivate,
        new_approvers=new_approvers,
        questions=questions,
    )


def _record_owner_moves(
    session: Session,
    kind: str,
    table: Any,
    condition: ColumnElement[bool],
    giver: User,
    receiver: User,
    actor: Actor,
    now: datetime,
) -> None:
    """One history line per record about to change hands (before the bulk UPDATE)."""
    session.execute(
        sa.insert(ChangeEntry).from_select(
            [
                "record_kind",
                "record_id",
                "action",
                "field",
                "old_value",
                "new_value",
                "changed_by_id",
                "changed_at",
            ],
            sa.select(
                sa.literal(kind),
                sa.cast(table.id, sa.String),
                sa.literal("update"),
                sa.literal(OWNER_FIELD),
                sa.literal(giver.full_name),
                sa.literal(receiver.full_name),
                sa.literal(actor.user_id),
                sa.literal(now, type_=UTCDateTime()),
            ).where(condition),
        )
    )
