"""Customers as a person may see them: lists, search (typos, pinyin, Traditional characters),
the customer card, and adding a customer after a look for duplicates. Every query goes through
``visible_to``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from difflib import SequenceMatcher

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.parsing.search_forms import QueryForms, query_forms, search_key
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.orders import Unpaid, unpaid_for_customer
from bot.services.people import Actor
from bot.services.records import birthday_text, set_customer_name
from bot.services.visibility import customers_visible_to, visible_customer
from models import Contact, Customer, Deal, PipelineStage, Role, Touch, User

CUSTOMERS_PAGE_SIZE = 10
SEARCH_LIMIT = 8
SEARCH_CUTOFF = 60
PINYIN_CUTOFF = 80  # typos in pinyin: stricter, long pinyin strings share many letters
PINYIN_FUZZY_MIN_LENGTH = 5
SHORT_QUERY = 3  # a query this short must appear as it is (a prefix, for pinyin)
DUPLICATE_NAME_SCORE = 90
# How a stored form of the name matches what was typed; better first.
EXACT, PREFIX, SUBSTRING, FUZZY, NO_MATCH = 3, 2, 1, 0, -1


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


def _match(typed: str, form: str | None, *, anywhere: bool) -> int:
    """How ``form`` (a stored form of a name) matches ``typed``: EXACT, PREFIX, SUBSTRING (when
    ``anywhere``) or NO_MATCH."""
    if not typed or not form:
        return NO_MATCH
    if form == typed:
        return EXACT
    if form.startswith(typed):
        return PREFIX
    return SUBSTRING if anywhere and typed in form else NO_MATCH


def _common_length(typed: str, key: str) -> int:
    """The length of the longest run of characters ``typed`` and ``key`` share."""
    return SequenceMatcher(None, typed, key, autojunk=False).find_longest_match().size


def search_customers(
    session: Session, actor: Actor, query: str, limit: int = SEARCH_LIMIT
) -> list[CustomerLine]:
    """Visible customers matching ``query``: typos, partial words, Chinese (Simplified or
    Traditional), pinyin and pinyin initials (``shty``, ``上海ty``), or phone digits.

    The name's stored forms are compared with the query's (``bot.parsing.search_forms``): an
    exact, then a prefix, then a substring match of any form ranks above a fuzzy one; among
    Chinese queries a longer run of shared characters ranks higher; among similar matches the
    customers the person touched recently come first.
    """
    typed = query_forms(query)
    if not typed.key:
        return []
    rows = session.execute(
        sa.select(  # sqlmodel's select takes at most four columns
            col(Customer.id),
            col(Customer.name),
            col(Customer.search_key),
            col(Customer.name_pinyin),
            col(Customer.name_initials),
            col(Customer.phone),
            col(Customer.updated_at),
        ).where(customers_visible_to(actor))
    ).all()
    if not rows:
        return []
    # A row written without its forms (not through set_customer_name) is still found by name.
    keys = [key or search_key(name) for _, name, key, _, _, _, _ in rows]
    tiers = _tiers(typed, keys, [(pinyin, initials) for _, _, _, pinyin, initials, _, _ in rows])
    scores = _fuzzy_scores(typed, keys, [pinyin or "" for _, _, _, pinyin, _, _, _ in rows])
    query_digits = _digits(query)
    if len(query_digits) >= 4:
        for index, row in enumerate(rows):
            phone = row[5]
            if phone and query_digits in _digits(phone):
                tiers[index] = EXACT
                scores[index] = 100.0
    touched = _last_touched(session, actor)
    ranked = []
    for index in tiers.keys() | scores.keys():
        tier = tiers.get(index, FUZZY)
        if len(typed.key) <= SHORT_QUERY and tier == FUZZY:
            continue  # a short query must appear as it is
        customer_id, updated_at = rows[index][0], rows[index][6]
        assert customer_id is not None
        score = scores.get(index, 0.0)
        common = _common_length(typed.key, keys[index]) if typed.han else 0
        recency = (touched.get(customer_id) or updated_at).timestamp()
        ranked.append(
            ((-tier, -common, -round(score / 10), -recency, -score, keys[index]), customer_id)
        )
    ranked.sort()
    return _lines(session, [customer_id for _, customer_id in ranked[:limit]])


def _tiers(
    typed: QueryForms, keys: list[str], spoken: list[tuple[str | None, str | None]]
) -> dict[int, int]:
    """Rows (by index) whose name, pinyin or initials contain ``typed`` whole: row → tier.
    Pinyin and initials count only for a query with Latin letters, and for a short query only
    from their start (``an`` is in too many pinyin names)."""
    anywhere = len(typed.key) > SHORT_QUERY
    tiers: dict[int, int] = {}
    for index, key in enumerate(keys):
        tier = _match(typed.key, key, anywhere=True)
        if typed.latin:
            pinyin, initials = spoken[index]
            tier = max(
                tier,
                _match(typed.pinyin, pinyin, anywhere=anywhere),
                _match(typed.initials, initials, anywhere=anywhere),
            )
        if tier != NO_MATCH:
            tiers[index] = tier
    return tiers


def _fuzzy_scores(typed: QueryForms, keys: list[str], pinyins: list[str]) -> dict[int, float]:
    """Rows (by index) whose name is close to what was typed (typos): row → score 0–100.
    Latin queries are also compared with the names' pinyin. Mixed input (``上海ty``) has no
    fuzzy match: its Latin part never resembles Chinese characters."""
    if typed.han and typed.latin:
        return {}
    scores: dict[int, float] = {
        index: score
        for _, score, index in process.extract(
            typed.key,
            keys,
            scorer=fuzz.WRatio,
            processor=None,
            limit=None,
            score_cutoff=SEARCH_CUTOFF,
        )
    }
    if typed.latin and len(typed.pinyin) >= PINYIN_FUZZY_MIN_LENGTH:
        for _, score, index in process.extract(
            typed.pinyin,
            pinyins,
            scorer=fuzz.WRatio,
            processor=None,
            limit=None,
            score_cutoff=PINYIN_CUTOFF,
        ):
            scores[index] = max(score, scores.get(index, 0.0))
    return scores


def find_duplicates(
    session: Session, actor: Actor, name: str, phone: str | None
) -> list[CustomerLine]:
    """Existing visible customers with the same phone number or a near-identical name (in
    Simplified or Traditional characters alike)."""
    wanted = search_key(name)
    phone_digits = _digits(phone or "")[-8:]
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(customers_visible_to(actor))
    ).all()
    found = []
    for customer, owner in rows:
        same_phone = len(phone_digits) >= 6 and _digits(customer.phone or "").endswith(phone_digits)
        key = customer.search_key or search_key(customer.name)
        score = fuzz.ratio(wanted, key) if wanted else 0
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
    set_customer_name(customer, clean_name)
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
