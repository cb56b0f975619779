"""Customers as a person may see them: lists, fuzzy search, the customer card, and adding a
customer after a look for duplicates. Every query goes through ``visible_to``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.orders import Unpaid, unpaid_for_customer
from bot.services.people import Actor
from bot.services.records import birthday_text
from bot.services.visibility import customers_visible_to, visible_customer
from models import Contact, Customer, Deal, PipelineStage, Role, Touch, User

CUSTOMERS_PAGE_SIZE = 10
SEARCH_LIMIT = 8
SEARCH_CUTOFF = 60
DUPLICATE_NAME_SCORE = 90
COMPANY_SUFFIXES = re.compile(
    r"(有限责任公司|股份有限公司|有限公司|集团|公司|厂|\b(co\.?|company|ltd\.?|limited|inc\.?|"
    r"llc|gmbh|corp\.?|corporation|group|plc)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CustomerLine:
    customer_id: int
    name: str
    tier: str | None
    phone: str | None
    owner_name: str


@dataclass(frozen=True)
class CustomerPage:
    customers: list[CustomerLine]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class ContactLine:
    contact_id: int
    name: str
    title: str | None
    phone: str | None
    birthday: str | None


@dataclass(frozen=True)
class OpenDeal:
    deal_id: int
    title: str
    stage_key: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class TouchLine:
    touch_id: int
    kind: str
    notes: str
    next_step: str | None
    author_name: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerCard:
    customer_id: int
    name: str
    tier: str | None
    industry: str | None
    address: str | None
    phone: str | None
    owner_name: str
    payment_terms_days: int
    credit_limit: Decimal
    max_discount_pct: Decimal | None
    timeframe: str | None
    contacts: list[ContactLine]
    open_deals: list[OpenDeal]
    next_follow_up: datetime | None
    next_follow_up_has_time: bool
    last_touches: list[TouchLine]
    unpaid: list[Unpaid]


class DuplicateCustomer(ServiceError):
    """Raised when a new customer looks like existing ones the person may see."""

    template = "customers/duplicate"

    def __init__(self, matches: list[CustomerLine]) -> None:
        super().__init__(matches=matches)
        self.matches = matches


class CustomerNameInvalid(ServiceError):
    template = "customers/name_invalid"


def _line(customer: Customer, owner: User) -> CustomerLine:
    assert customer.id is not None
    return CustomerLine(
        customer_id=customer.id,
        name=customer.name,
        tier=customer.tier,
        phone=customer.phone,
        owner_name=owner.full_name,
    )


def list_customers(session: Session, actor: Actor, page: int) -> CustomerPage:
    """The customers ``actor`` may see, by name, a page at a time."""
    condition = customers_visible_to(actor)
    total = session.exec(select(func.count()).select_from(Customer).where(condition)).one()
    pages = max(1, -(-total // CUSTOMERS_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(condition)
        .order_by(col(Customer.name), col(Customer.id))
        .offset(page * CUSTOMERS_PAGE_SIZE)
        .limit(CUSTOMERS_PAGE_SIZE)
    ).all()
    lines = [_line(customer, owner) for customer, owner in rows]
    return CustomerPage(customers=lines, page=page, pages=pages, total=total)


def _last_touched(session: Session, actor: Actor) -> dict[int, datetime]:
    rows = session.exec(
        select(Touch.customer_id, func.max(Touch.created_at))
        .where(Touch.author_id == actor.user_id, col(Touch.deleted_at).is_(None))
        .group_by(col(Touch.customer_id))
    ).all()
    return {customer_id: when for customer_id, when in rows}


def _lines(session: Session, customer_ids: list[int]) -> list[CustomerLine]:
    """Customer lines for ``customer_ids``, in that order."""
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(col(Customer.id).in_(customer_ids))
    ).all()
    by_id = {customer.id: _line(customer, owner) for customer, owner in rows}
    return [by_id[customer_id] for customer_id in customer_ids if customer_id in by_id]


def recent_customers(session: Session, actor: Actor, limit: int = 6) -> list[CustomerLine]:
    """The customers the person touched last, newest first; then others by latest change."""
    touched = _last_touched(session, actor)
    rows = session.exec(
        select(Customer.id, Customer.updated_at).where(customers_visible_to(actor))
    ).all()
    ranked = sorted(
        rows,
        key=lambda row: (row[0] in touched, touched.get(row[0] or 0) or row[1]),
        reverse=True,
    )
    return _lines(session, [customer_id for customer_id, _ in ranked[:limit] if customer_id])


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def normalized_name(name: str) -> str:
    """A name without company suffixes and punctuation, for comparing."""
    return utils.default_process(COMPANY_SUFFIXES.sub(" ", name)).strip()


def search_customers(
    session: Session, actor: Actor, query: str, limit: int = SEARCH_LIMIT
) -> list[CustomerLine]:
    """Visible customers matching ``query``: typos, partial words, Chinese, or phone digits.

    Better matches first; among similar matches the ones the person touched recently first.
    """
    query = query.strip()
    if not query:
        return []
    rows = session.exec(
        select(Customer.id, Customer.name, Customer.phone, Customer.updated_at).where(
            customers_visible_to(actor)
        )
    ).all()
    if not rows:
        return []
    touched = _last_touched(session, actor)
    wanted = normalized_name(query) or utils.default_process(query)
    query_digits = _digits(query)
    names = [normalized_name(name) or name.lower() for _, name, _, _ in rows]
    matches = process.extract(
        wanted, names, scorer=fuzz.WRatio, processor=None, limit=None, score_cutoff=SEARCH_CUTOFF
    )
    scores: dict[int, float] = {index: score for _, score, index in matches}
    if len(query_digits) >= 4:
        for index, (_, _, phone, _) in enumerate(rows):
            if phone and query_digits in _digits(phone):
                scores[index] = 100.0
    ranked = []
    for index, score in scores.items():
        if len(wanted) <= 3 and wanted not in names[index] and score < 100:
            continue  # a short query must appear as it is
        customer_id, name, _, updated_at = rows[index]
        assert customer_id is not None
        recency = (touched.get(customer_id) or updated_at).timestamp()
        ranked.append(((-round(score / 10), -recency, -score, name.lower()), customer_id))
    ranked.sort()
    return _lines(session, [customer_id for _, customer_id in ranked[:limit]])


def find_duplicates(
    session: Session, actor: Actor, name: str, phone: str | None
) -> list[CustomerLine]:
    """Existing visible customers with the same phone number or a near-identical name."""
    wanted = normalized_name(name)
    phone_digits = _digits(phone or "")[-8:]
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(customers_visible_to(actor))
    ).all()
    found = []
    for customer, owner in rows:
        same_phone = len(phone_digits) >= 6 and _digits(customer.phone or "").endswith(phone_digits)
        score = fuzz.ratio(wanted, normalized_name(customer.name)) if wanted else 0
        if same_phone or score >= DUPLICATE_NAME_SCORE:
            found.append(_line(customer, owner))
    return found


def create_customer(
    session: Session,
    actor: Actor,
    *,
    name: str,
    phone: str | None = None,
    contact_name: str | None = None,
    allow_duplicate: bool = False,
    now: datetime,
) -> Customer:
    """A new customer owned by ``actor`` (and its first contact), unless it looks like one the
    person can already see: then DuplicateCustomer lists those, and ``allow_duplicate`` overrides.
    """
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > 200 or clean_name.startswith("/"):
        raise CustomerNameInvalid()
    clean_phone = " ".join(phone.split())[:40] if phone and phone.strip() else None
    if not allow_duplicate:
        duplicates = find_duplicates(session, actor, clean_name, clean_phone)
        if duplicates:
            raise DuplicateCustomer(duplicates)
    customer = Customer(
        name=clean_name, owner_id=actor.user_id, phone=clean_phone, created_at=now, updated_at=now
    )
    session.add(customer)
    session.flush()
    assert customer.id is not None
    if contact_name and contact_name.strip():
        session.add(
            Contact(
                customer_id=customer.id,
                name=" ".join(contact_name.split())[:200],
                phone=clean_phone,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
    return customer


def customer_card(session: Session, actor: Actor, customer_id: int, *, today: date) -> CustomerCard:
    """Everything a rep wants before walking in: facts, contacts, deals, next step, history,
    and what the customer still owes (``today`` in the reader's zone decides what is overdue)."""
    customer = visible_customer(session, actor, customer_id)
    owner = session.get(User, customer.owner_id)
    contacts = session.exec(
        select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id))
    ).all()
    deals = session.exec(
        select(Deal)
        .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
        .where(
            Deal.customer_id == customer_id,
            col(PipelineStage.is_won).is_(False),
            col(PipelineStage.is_lost).is_(False),
        )
        .order_by(col(PipelineStage.sequence), col(Deal.id))
    ).all()
    follow_up = session.exec(
        select(Touch)
        .where(
            Touch.customer_id == customer_id,
            col(Touch.follow_up_at).is_not(None),
            col(Touch.follow_up_done_at).is_(None),
            col(Touch.deleted_at).is_(None),
        )
        .order_by(col(Touch.follow_up_at))
    ).first()
    touches = session.exec(
        select(Touch, User)
        .join(User, col(Touch.author_id) == col(User.id))
        .where(Touch.customer_id == customer_id, col(Touch.deleted_at).is_(None))
        .order_by(col(Touch.created_at).desc(), col(Touch.id).desc())
        .limit(5)
    ).all()
    assert customer.id is not None
    return CustomerCard(
        customer_id=customer.id,
        name=customer.name,
        tier=customer.tier,
        industry=customer.industry,
        address=customer.address,
        phone=customer.phone,
        owner_name=owner.full_name if owner else "",
        payment_terms_days=customer.payment_terms_days,
        credit_limit=customer.credit_limit,
        max_discount_pct=customer.max_discount_pct,
        timeframe=customer.timeframe,
        contacts=[
            ContactLine(
                contact_id=c.id or 0,
                name=c.name,
                title=c.title,
                phone=c.phone,
                birthday=birthday_text(c.birth_month, c.birth_day, c.birth_year),
            )
            for c in contacts
        ],
        open_deals=[
            OpenDeal(
                deal_id=deal.id or 0,
                title=deal.title,
                stage_key=deal.stage_key,
                amount=deal.amount,
                currency=deal.currency,
            )
            for deal in deals
        ],
        next_follow_up=follow_up.follow_up_at if follow_up else None,
        next_follow_up_has_time=follow_up.follow_up_has_time if follow_up else False,
        last_touches=[
            TouchLine(
                touch_id=touch.id or 0,
                kind=touch.kind,
                notes=touch.notes,
                next_step=touch.next_step,
                author_name=author.full_name,
                created_at=touch.created_at,
            )
            for touch, author in touches
        ],
        unpaid=unpaid_for_customer(session, actor, customer_id, today=today),
    )


TERMS_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
TERM_FIELDS = ("discount", "days", "credit")


class TermsInvalid(ServiceError):
    template = "customers/terms_invalid"


def may_set_terms(actor: Actor) -> bool:
    """Changing a customer's discount, payment terms or credit needs a manager or above."""
    return actor.role in TERMS_ROLES


def set_terms(
    session: Session,
    actor: Actor,
    customer_id: int,
    field: str,
    value: Decimal | None,
    *,
    now: datetime,
) -> str:
    """Set one of a customer's commercial terms; returns the customer's name.

    ``discount``: the deepest discount (0–100 %, or None for no limit of the customer's own)
    a quote may give without approval; ``days``: payment terms (0–365); ``credit``: the
    credit limit (0 or more, cents)."""
    if not may_set_terms(actor):
        raise NotAllowed()
    customer = visible_customer(session, actor, customer_id)
    if field == "discount":
        if value is not None and not (
            Decimal(0) <= value <= Decimal(100) and value == round(value, 2)
        ):
            raise TermsInvalid(field=field)
        customer.max_discount_pct = value
    elif field == "days":
        if value is None or value != int(value) or not 0 <= value <= 365:
            raise TermsInvalid(field=field)
        customer.payment_terms_days = int(value)
    elif field == "credit":
        if value is None or value < 0 or value != round(value, 2):
            raise TermsInvalid(field=field)
        customer.credit_limit = value
    else:
        raise NotFound()
    customer.updated_at = now
    session.flush()
    return customer.name
