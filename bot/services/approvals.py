"""Approvals: requests to change a customer's terms (asked by a rep or a manager, decided by the
team's manager and then by finance or a director, applied only after both), and one inbox of
everything waiting for a person's decision — those requests and quotes over a limit.

Only the first answer to a pending step counts: the state moves with a conditional update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.parsing.text import one_line
from bot.services.customers import TERM_FIELDS, apply_term, check_term, term_value
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.people import Actor
from bot.services.visibility import visible_customer
from models import (
    Customer,
    Deal,
    Quote,
    QuoteStatus,
    Role,
    TermsRequest,
    TermsRequestState,
    User,
)

ASKING_ROLES = (Role.REP, Role.MANAGER)
FINANCE_ROLES = (Role.FINANCE, Role.DIRECTOR)  # who decide a request's second step
INBOX_SIZE = 25
REASON_LENGTH = 1000


class ReasonInvalid(ServiceError):
    template = "approvals/reason_invalid"


class RequestDecided(ServiceError):
    """The request is no longer at a step this person decides (someone answered first)."""

    template = "approvals/already_decided"


def may_ask_terms(actor: Actor) -> bool:
    """Reps and managers ask for a change of a customer's terms (⚙️ Ask for terms)."""
    return actor.role in ASKING_ROLES


def current_terms(session: Session, actor: Actor, customer_id: int) -> Customer:
    """The customer whose terms the person asks to change (NotFound when not theirs to see)."""
    if not may_ask_terms(actor):
        raise NotAllowed()
    return visible_customer(session, actor, customer_id)


@dataclass(frozen=True)
class RequestDecision:
    request_id: int
    state: str
    requester_telegram_id: int
    notify: list[int]  # the people who must decide next (Telegram ids)


def _managers_of(session: Session, requester: User) -> list[User]:
    if requester.team_id is None:
        return []
    query = select(User).where(
        col(User.is_active),
        User.role == Role.MANAGER,
        User.team_id == requester.team_id,
        User.id != requester.id,
    )
    return list(session.exec(query.order_by(col(User.id))))


def _finance(session: Session, requester_id: int) -> list[User]:
    query = select(User).where(
        col(User.is_active), col(User.role).in_(FINANCE_ROLES), User.id != requester_id
    )
    return list(session.exec(query.order_by(col(User.id))))


def request_terms(
    session: Session,
    actor: Actor,
    customer_id: int,
    term: str,
    value: Decimal | None,
    reason: str,
    *,
    now: datetime,
) -> RequestDecision:
    """Ask for a new value of one term. A manager's own request (or a rep's in a team without
    a manager) starts at finance's step; the manager's step of a manager's request is theirs."""
    customer = current_terms(session, actor, customer_id)
    if term not in TERM_FIELDS:
        raise NotFound()
    check_term(term, value)
    clean = one_line(reason)
    if not clean or len(clean) > REASON_LENGTH or clean.startswith("/"):
        raise ReasonInvalid()
    requester = session.get(User, actor.user_id)
    assert requester is not None and customer.id is not None
    request = TermsRequest(
        customer_id=customer.id,
        term=term,
        old_value=term_value(customer, term),
        new_value=value,
        reason=clean,
        requested_by_id=actor.user_id,
        state=TermsRequestState.PENDING_MANAGER.value,
        created_at=now,
    )
    managers = [] if actor.role == Role.MANAGER else _managers_of(session, requester)
    if actor.role == Role.MANAGER:
        request.manager_decided_by_id, request.manager_decided_at = actor.user_id, now
        request.manager_approved = True
    if not managers:
        request.state = TermsRequestState.PENDING_FINANCE.value
    notify = managers or _finance(session, actor.user_id)
    session.add(request)
    session.flush()
    assert request.id is not None
    return RequestDecision(
        request_id=request.id,
        state=request.state,
        requester_telegram_id=requester.telegram_id,
        notify=[user.telegram_id for user in notify],
    )


def _may_see_request(session: Session, actor: Actor, request: TermsRequest) -> bool:
    if request.requested_by_id == actor.user_id:
        return True
    if actor.role in (Role.DIRECTOR, Role.FINANCE, Role.ADMIN):
        return True
    if actor.role != Role.MANAGER or actor.team_id is None:
        return False
    requester = session.get(User, request.requested_by_id)
    return requester is not None and requester.team_id == actor.team_id


def _decider_name(session: Session, request: TermsRequest) -> str:
    decider_id = request.finance_decided_by_id or request.manager_decided_by_id
    decider = session.get(User, decider_id) if decider_id else None
    return decider.full_name if decider else "someone else"


def check_request_pending(session: Session, actor: Actor, request_id: int) -> str:
    """The step the person may decide now; NotFound when the request is not theirs to see,
    NotAllowed for those who never decide it, RequestDecided when its step has passed."""
    request = session.get(TermsRequest, request_id)
    if request is None or not _may_see_request(session, actor, request):
        raise NotFound()
    if request.state == TermsRequestState.PENDING_MANAGER.value:
        allowed = actor.role in (Role.MANAGER, Role.DIRECTOR)
    elif request.state == TermsRequestState.PENDING_FINANCE.value:
        allowed = actor.role in FINANCE_ROLES
        if actor.role == Role.MANAGER and request.requested_by_id != actor.user_id:
            raise RequestDecided(by=_decider_name(session, request))  # their step has passed
    else:
        raise RequestDecided(by=_decider_name(session, request))
    if not allowed or request.requested_by_id == actor.user_id:
        raise NotAllowed()  # nobody decides their own request
    return request.state


def decide_request(
    session: Session, actor: Actor, request_id: int, *, approve: bool, now: datetime
) -> RequestDecision:
    """An approver's answer to the step the request is at. A director answering at the
    manager's step decides both steps. The customer's term changes on the last yes."""
    expected = check_request_pending(session, actor, request_id)
    at_manager = expected == TermsRequestState.PENDING_MANAGER.value
    final = not at_manager or actor.role == Role.DIRECTOR or not approve
    if not approve:
        new_state = TermsRequestState.REJECTED.value
    elif final:
        new_state = TermsRequestState.APPROVED.value
    else:
        new_state = TermsRequestState.PENDING_FINANCE.value
    values: dict[str, object] = {"state": new_state}
    if at_manager:
        values |= {
            "manager_decided_by_id": actor.user_id,
            "manager_decided_at": now,
            "manager_approved": approve,
        }
    if not at_manager or (final and approve):
        values |= {
            "finance_decided_by_id": actor.user_id,
            "finance_decided_at": now,
            "finance_approved": approve,
        }
    won = session.execute(
        update(TermsRequest)
        .where(col(TermsRequest.id) == request_id, col(TermsRequest.state) == expected)
        .values(**values)
    )
    request = session.get(TermsRequest, request_id)
    assert request is not None
    session.refresh(request)
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise RequestDecided(by=_decider_name(session, request))
    if new_state == TermsRequestState.APPROVED.value:
        customer = session.get(Customer, request.customer_id)
        assert customer is not None
        apply_term(customer, request.term, request.new_value)
        customer.updated_at = now
    requester = session.get(User, request.requested_by_id)
    assert requester is not None
    notify = (
        _finance(session, requester.id or 0)
        if new_state == TermsRequestState.PENDING_FINANCE.value
        else []
    )
    session.flush()
    return RequestDecision(
        request_id=request_id,
        state=new_state,
        requester_telegram_id=requester.telegram_id,
        notify=[user.telegram_id for user in notify if user.id != actor.user_id],
    )


@dataclass(frozen=True)
class RequestView:
    request_id: int
    customer_id: int
    customer_name: str
    term: str
    old_value: Decimal | None
    new_value: Decimal | None
    reason: str
    requester_name: str
    state: str
    created_at: datetime
    manager_name: str | None
    manager_decided_at: datetime | None
    manager_approved: bool | None
    finance_name: str | None
    finance_decided_at: datetime | None
    finance_approved: bool | None


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = [user_id for user_id in ids if user_id is not None]
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.full_name).where(col(User.id).in_(wanted)))
    return {user_id: name for user_id, name in rows if user_id is not None}


def _view(session: Session, request: TermsRequest, customer_name: str) -> RequestView:
    names = _names(
        session,
        [request.requested_by_id, request.manager_decided_by_id, request.finance_decided_by_id],
    )
    return RequestView(
        request_id=request.id or 0,
        customer_id=request.customer_id,
        customer_name=customer_name,
        term=request.term,
        old_value=request.old_value,
        new_value=request.new_value,
        reason=request.reason,
        requester_name=names.get(request.requested_by_id, ""),
        state=request.state,
        created_at=request.created_at,
        manager_name=names.get(request.manager_decided_by_id or 0),
        manager_decided_at=request.manager_decided_at,
        manager_approved=request.manager_approved,
        finance_name=names.get(request.finance_decided_by_id or 0),
        finance_decided_at=request.finance_decided_at,
        finance_approved=request.finance_approved,
    )


def request_view(session: Session, actor: Actor | None, request_id: int) -> RequestView:
    """The request as the person sees it (``None``: as the service's chosen approvers do)."""
    request = session.get(TermsRequest, request_id)
    if request is None or (actor is not None and not _may_see_request(session, actor, request)):
        raise NotFound()
    session.refresh(request)
    customer = session.get(Customer, request.customer_id)
    assert customer is not None
    return _view(session, request, customer.name)


def requests_on_timeline(session: Session, customer_id: int, limit: int) -> list[RequestView]:
    """A customer's terms requests, newest first (each asking and decision is a timeline line;
    the caller checked that the person may see the customer)."""
    rows = session.exec(
        select(TermsRequest, Customer)
        .join(Customer, col(TermsRequest.customer_id) == col(Customer.id))
        .where(TermsRequest.customer_id == customer_id)
        .order_by(col(TermsRequest.created_at).desc(), col(TermsRequest.id).desc())
        .limit(limit)
    ).all()
    return [_view(session, request, customer.name) for request, customer in rows]


@dataclass(frozen=True)
class WaitingItem:
    kind: str  # "quote" or "terms"
    item_id: int
    since: datetime
    customer_name: str
    asked_by: str
    term: str | None = None
    old_value: Decimal | None = None
    new_value: Decimal | None = None
    total: Decimal | None = None
    currency: str | None = None
    deal_title: str | None = None


def _waiting_quotes(
    session: Session, actor: Actor, before: datetime | None, limit: int
) -> list[WaitingItem]:
    query = (
        select(Quote, Customer, Deal, User)
        .join(Customer, col(Quote.customer_id) == col(Customer.id))
        .join(Deal, col(Quote.deal_id) == col(Deal.id))
        .join(User, col(Quote.owner_id) == col(User.id))
        .where(Quote.owner_id != actor.user_id)
    )
    if actor.role == Role.MANAGER and actor.team_id is not None:
        query = query.where(
            Quote.status == QuoteStatus.PENDING_MANAGER.value, User.team_id == actor.team_id
        )
    elif actor.role == Role.DIRECTOR:
        query = query.where(Quote.status == QuoteStatus.PENDING_DIRECTOR.value)
    else:
        return []
    if before is not None:
        query = query.where(col(Quote.created_at) < before)
    rows = session.exec(query.order_by(col(Quote.created_at), col(Quote.id)).limit(limit)).all()
    return [
        WaitingItem(
            kind="quote",
            item_id=quote.id or 0,
            since=quote.created_at,
            customer_name=customer.name,
            asked_by=owner.full_name,
            total=quote.total,
            currency=quote.currency,
            deal_title=deal.title,
        )
        for quote, customer, deal, owner in rows
    ]


def _waiting_requests(
    session: Session, actor: Actor, before: datetime | None, limit: int
) -> list[WaitingItem]:
    query = (
        select(TermsRequest, Customer, User)
        .join(Customer, col(TermsRequest.customer_id) == col(Customer.id))
        .join(User, col(TermsRequest.requested_by_id) == col(User.id))
        .where(TermsRequest.requested_by_id != actor.user_id)
    )
    if actor.role == Role.MANAGER and actor.team_id is not None:
        query = query.where(
            TermsRequest.state == TermsRequestState.PENDING_MANAGER.value,
            User.team_id == actor.team_id,
        )
    elif actor.role in FINANCE_ROLES:
        query = query.where(TermsRequest.state == TermsRequestState.PENDING_FINANCE.value)
    else:
        return []
    if before is not None:
        query = query.where(col(TermsRequest.created_at) < before)
    rows = session.exec(
        query.order_by(col(TermsRequest.created_at), col(TermsRequest.id)).limit(limit)
    ).all()
    return [
        WaitingItem(
            kind="terms",
            item_id=request.id or 0,
            since=request.created_at,
            customer_name=customer.name,
            asked_by=requester.full_name,
            term=request.term,
            old_value=request.old_value,
            new_value=request.new_value,
        )
        for request, customer, requester in rows
    ]


def waiting_for(
    session: Session, actor: Actor, *, before: datetime | None = None, limit: int = INBOX_SIZE
) -> list[WaitingItem]:
    """Everything waiting for this person's decision, oldest first: quotes at their step and
    terms requests at their step (``before``: only what was asked before that instant)."""
    items = _waiting_quotes(session, actor, before, limit) + _waiting_requests(
        session, actor, before, limit
    )
    items.sort(key=lambda item: (item.since, item.kind, item.item_id))
    return items[:limit]
