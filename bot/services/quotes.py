"""Quotes: pricing lines with Decimal arithmetic, deciding who must approve (the rep's limit,
the manager's, a product's floor price or maximum discount), the approval itself — exactly one
decision wins, by a conditional update — and issuing the quote with a number and validity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from rapidfuzz import fuzz, process, utils
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.services import history
from bot.services.deals import ValueChange, advance_to, set_value_from_quote
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.people import Actor
from bot.services.visibility import SEES_EVERYONE, owned_by_visible, refuse_read_only
from models import (
    Contact,
    Customer,
    Deal,
    PipelineStage,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    Role,
    SalesOrder,
    User,
)

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
QUOTED_STAGE = "quoted"


@dataclass(frozen=True)
class Limits:
    rep: Decimal
    manager: Decimal
    validity_days: int


@dataclass(frozen=True)
class LineDraft:
    product_id: int
    quantity: Decimal
    discount_pct: Decimal


@dataclass(frozen=True)
class PricedLine:
    product_id: int
    sku: str
    name: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    discount_pct: Decimal
    unit_price: Decimal
    line_total: Decimal
    below_floor: bool


@dataclass(frozen=True)
class Pricing:
    lines: list[PricedLine]
    currency: str
    subtotal: Decimal
    overall_discount_pct: Decimal
    total: Decimal
    max_discount_pct: Decimal  # the deepest discount of any line, overall discount included
    below_floor: bool  # some line under its floor price or beyond its product's maximum discount
    needs: str  # "none", "manager" or "director"


@dataclass(frozen=True)
class Decision:
    quote_id: int
    status: str
    number: str | None
    owner_telegram_id: int
    notify: list[int]  # who must decide next


class QuoteInvalid(ServiceError):
    template = "quotes/invalid"


class AlreadyDecided(ServiceError):
    template = "quotes/already_decided"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def find_products(session: Session, query: str, limit: int = 8) -> list[Product]:
    """Active products by SKU (exact or prefix) or a fuzzy match on the name."""
    query = query.strip()
    if not query:
        return []
    products = list(session.exec(select(Product).where(col(Product.is_active))))
    exact = [p for p in products if p.sku.lower() == query.lower()]
    if exact:
        return exact
    by_sku = [p for p in products if p.sku.lower().startswith(query.lower())]
    names = [utils.default_process(p.name) for p in products]
    matches = process.extract(
        utils.default_process(query),
        names,
        scorer=fuzz.WRatio,
        processor=None,
        limit=limit,
        score_cutoff=70,
    )
    by_name = [products[index] for _, _, index in matches]
    return list({p.id: p for p in [*by_sku, *by_name]}.values())[:limit]


def price_quote(
    session: Session,
    lines: list[LineDraft],
    overall_discount_pct: Decimal,
    limits: Limits,
    *,
    customer_id: int | None = None,
) -> Pricing:
    """Totals and the approval a set of lines needs; refuses nonsense before anything is saved.

    A line is below its allowed price under the product's floor price, beyond the product's
    maximum discount, or beyond the discount the company allows the customer."""
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    customer_limit = customer.max_discount_pct if customer is not None else None
    if not lines:
        raise QuoteInvalid(reason="empty")
    if not Decimal(0) <= overall_discount_pct <= HUNDRED:
        raise QuoteInvalid(reason="discount")
    priced: list[PricedLine] = []
    currency: str | None = None
    deepest = Decimal(0)
    below_floor = False
    keep = (HUNDRED - overall_discount_pct) / HUNDRED
    for line in lines:
        product = session.get(Product, line.product_id)
        if product is None or not product.is_active:
            raise QuoteInvalid(reason="product")
        if line.quantity <= 0 or line.quantity != cents(line.quantity):
            raise QuoteInvalid(reason="quantity")
        if not Decimal(0) <= line.discount_pct <= HUNDRED:
            raise QuoteInvalid(reason="discount")
        if currency not in (None, product.currency):
            raise QuoteInvalid(reason="currency", currency=currency)
        currency = product.currency
        unit_price = cents(product.list_price * (HUNDRED - line.discount_pct) / HUNDRED)
        effective_price = unit_price * keep
        effective_discount = (HUNDRED - effective_price / product.list_price * HUNDRED).quantize(
            CENT
        )
        deepest = max(deepest, effective_discount)
        line_below = (
            (product.floor_price is not None and effective_price < product.floor_price)
            or (
                product.max_discount_pct is not None
                and effective_discount > product.max_discount_pct
            )
            or (customer_limit is not None and effective_discount > customer_limit)
        )
        below_floor = below_floor or line_below
        priced.append(
            PricedLine(
                product_id=product.id or 0,
                sku=product.sku,
                name=product.name,
                unit=product.unit,
                quantity=line.quantity,
                list_price=product.list_price,
                discount_pct=line.discount_pct,
                unit_price=unit_price,
                line_total=cents(unit_price * line.quantity),
                below_floor=line_below,
            )
        )
    subtotal = sum((line.line_total for line in priced), Decimal(0))
    total = cents(subtotal * keep)
    if deepest > limits.manager:
        needs = "director"
    elif deepest > limits.rep or below_floor:
        needs = "manager"
    else:
        needs = "none"
    assert currency is not None
    return Pricing(
        lines=priced,
        currency=currency,
        subtotal=subtotal,
        overall_discount_pct=overall_discount_pct,
        total=total,
        max_discount_pct=deepest,
        below_floor=below_floor,
        needs=needs,
    )


@dataclass(frozen=True)
class PriceConflict:
    sku: str
    name: str
    earlier_number: str
    earlier_price: Decimal
    new_price: Decimal
    currency: str
    valid_until: date


def price_conflicts(
    session: Session,
    actor: Actor,
    deal_id: int,
    lines: list[LineDraft],
    overall_discount_pct: Decimal,
    *,
    limits: Limits,
    today: date,
) -> list[PriceConflict]:
    """Products this quote prices differently from a still-valid quote the customer already has
    (customers hate two prices for one product)."""
    deal = _open_deal(session, actor, deal_id)
    pricing = price_quote(
        session, lines, overall_discount_pct, limits, customer_id=deal.customer_id
    )
    keep = (HUNDRED - overall_discount_pct) / HUNDRED
    new_prices = {line.product_id: cents(line.unit_price * keep) for line in pricing.lines}
    earlier = session.exec(
        select(QuoteLine, Quote)
        .join(Quote, col(QuoteLine.quote_id) == col(Quote.id))
        .where(
            Quote.customer_id == deal.customer_id,
            Quote.status == QuoteStatus.ISSUED.value,
            col(Quote.valid_until) >= today,
            col(QuoteLine.product_id).in_(list(new_prices)),
        )
        .order_by(col(Quote.issued_at).desc())
    ).all()
    conflicts: dict[int, PriceConflict] = {}
    for line, quote in earlier:
        price = cents(line.unit_price * (HUNDRED - quote.overall_discount_pct) / HUNDRED)
        if line.product_id in conflicts or price == new_prices[line.product_id]:
            continue
        assert quote.number is not None and quote.valid_until is not None
        conflicts[line.product_id] = PriceConflict(
            sku=line.sku,
            name=line.name,
            earlier_number=quote.number,
            earlier_price=price,
            new_price=new_prices[line.product_id],
            currency=quote.currency,
            valid_until=quote.valid_until,
        )
    return list(conflicts.values())


def _open_deal(session: Session, actor: Actor, deal_id: int) -> Deal:
    row = session.exec(
        select(Deal, PipelineStage)
        .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
        .where(Deal.id == deal_id, owned_by_visible(actor, Deal.owner_id))
    ).first()
    if row is None:
        raise NotFound()
    deal, stage = row
    if stage.is_won or stage.is_lost:
        raise QuoteInvalid(reason="closed")
    return deal


def quotable_deals(session: Session, actor: Actor) -> list[tuple[int, str, str]]:
    """The person's own open deals: (deal id, title, customer name)."""
    rows = session.exec(
        select(Deal, Customer)
        .join(Customer, col(Deal.customer_id) == col(Customer.id))
        .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
        .where(
            Deal.owner_id == actor.user_id,
            col(PipelineStage.is_won).is_(False),
            col(PipelineStage.is_lost).is_(False),
        )
        .order_by(col(Deal.updated_at).desc())
        .limit(12)
    ).all()
    return [(deal.id or 0, deal.title, customer.name) for deal, customer in rows]


def deal_label(session: Session, actor: Actor, deal_id: int) -> tuple[str, str, int]:
    """(deal title, customer name, customer id) of an open deal the person may quote on."""
    deal = _open_deal(session, actor, deal_id)
    customer = session.get(Customer, deal.customer_id)
    return deal.title, customer.name if customer else "", deal.customer_id


def _approvers(session: Session, owner: User, level: str) -> list[User]:
    query = select(User).where(col(User.is_active))
    if level == "manager":
        if owner.team_id is None:
            return []
        query = query.where(User.role == Role.MANAGER, User.team_id == owner.team_id)
    else:
        query = query.where(User.role == Role.DIRECTOR)
    return [user for user in session.exec(query) if user.id != owner.id]


def _issue(session: Session, actor: Actor, quote: Quote, limits: Limits, now: datetime) -> None:
    assert quote.id is not None
    quote.status = QuoteStatus.ISSUED.value
    quote.number = f"Q-{now.year}-{quote.id:05d}"
    quote.issued_at = now
    quote.valid_until = now.date() + timedelta(days=limits.validity_days)
    advance_to(session, actor, quote.deal_id, QUOTED_STAGE, now=now)


def submit_quote(
    session: Session,
    actor: Actor,
    deal_id: int,
    lines: list[LineDraft],
    overall_discount_pct: Decimal,
    *,
    limits: Limits,
    now: datetime,
) -> Decision:
    """Save a quote; issue it at once when within the rep's limits, else send it for approval."""
    refuse_read_only(actor)
    deal = _open_deal(session, actor, deal_id)
    pricing = price_quote(
        session, lines, overall_discount_pct, limits, customer_id=deal.customer_id
    )
    owner = session.get(User, actor.user_id)
    assert owner is not None
    quote = Quote(
        deal_id=deal.id or 0,
        customer_id=deal.customer_id,
        owner_id=actor.user_id,
        status=QuoteStatus.PENDING_MANAGER.value,
        currency=pricing.currency,
        subtotal=pricing.subtotal,
        overall_discount_pct=overall_discount_pct,
        total=pricing.total,
        max_discount_pct=pricing.max_discount_pct,
        below_floor=pricing.below_floor,
        created_at=now,
    )
    session.add(quote)
    session.flush()
    assert quote.id is not None
    for line in pricing.lines:
        session.add(
            QuoteLine(
                quote_id=quote.id,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                unit=line.unit,
                quantity=line.quantity,
                list_price=line.list_price,
                discount_pct=line.discount_pct,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
        )
    notify: list[User] = []
    if pricing.needs == "none":
        _issue(session, actor, quote, limits, now)
    else:
        notify = _approvers(session, owner, "manager")
        if not notify:
            quote.status = QuoteStatus.PENDING_DIRECTOR.value
            notify = _approvers(session, owner, "director")
    session.flush()
    return Decision(
        quote_id=quote.id,
        status=quote.status,
        number=quote.number,
        owner_telegram_id=owner.telegram_id,
        notify=[user.telegram_id for user in notify],
    )


@dataclass(frozen=True)
class QuoteView:
    quote_id: int
    number: str | None
    status: str
    deal_title: str
    customer_name: str
    owner_name: str
    currency: str
    lines: list[QuoteLine]
    subtotal: Decimal
    overall_discount_pct: Decimal
    total: Decimal
    max_discount_pct: Decimal
    below_floor: bool
    valid_until: date | None
    issued_at: datetime | None
    decided_by_name: str | None
    reject_reason: str | None


def _may_see(session: Session, actor: Actor, quote: Quote) -> bool:
    if quote.owner_id == actor.user_id or actor.role in SEES_EVERYONE:
        return True  # finance reads every quote, like directors and admins
    owner = session.get(User, quote.owner_id)
    return actor.role == Role.MANAGER and owner is not None and owner.team_id == actor.team_id


def quote_view(session: Session, actor: Actor, quote_id: int) -> QuoteView:
    quote = session.get(Quote, quote_id)
    if quote is None or not _may_see(session, actor, quote):
        raise NotFound()
    return approval_view(session, quote_id)


def approval_view(session: Session, quote_id: int) -> QuoteView:
    """The quote as shown to the approvers a Decision names (the service chose them)."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound()
    session.refresh(quote)
    deal = session.get(Deal, quote.deal_id)
    customer = session.get(Customer, quote.customer_id)
    owner = session.get(User, quote.owner_id)
    decider = session.get(User, quote.decided_by_id) if quote.decided_by_id else None
    lines = list(
        session.exec(
            select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(col(QuoteLine.id))
        )
    )
    assert deal is not None and customer is not None and owner is not None
    return QuoteView(
        quote_id=quote_id,
        number=quote.number,
        status=quote.status,
        deal_title=deal.title,
        customer_name=customer.name,
        owner_name=owner.full_name,
        currency=quote.currency,
        lines=lines,
        subtotal=quote.subtotal,
        overall_discount_pct=quote.overall_discount_pct,
        total=quote.total,
        max_discount_pct=quote.max_discount_pct,
        below_floor=quote.below_floor,
        valid_until=quote.valid_until,
        issued_at=quote.issued_at,
        decided_by_name=decider.full_name if decider else None,
        reject_reason=quote.reject_reason,
    )


def check_pending(session: Session, actor: Actor, quote_id: int) -> str:
    """The pending status the person may decide now; refuses otherwise (also before asking for
    a reason). ``decide`` updates only from exactly this status."""
    quote = session.get(Quote, quote_id)
    if quote is None or not _may_see(session, actor, quote):
        raise NotFound()
    if quote.status == QuoteStatus.PENDING_MANAGER.value:
        allowed = actor.role in (Role.MANAGER, Role.DIRECTOR)
    elif quote.status == QuoteStatus.PENDING_DIRECTOR.value and actor.role == Role.DIRECTOR:
        allowed = True
    else:  # decided, or past the manager's step (it is a director's now)
        raise AlreadyDecided(by=_decider_name(session, quote))
    if not allowed:
        raise NotAllowed()
    return quote.status


def decide(
    session: Session,
    actor: Actor,
    quote_id: int,
    *,
    approve: bool,
    reason: str | None = None,
    limits: Limits,
    now: datetime,
) -> Decision:
    """An approver's answer. Only the first answer to a pending step counts: the status moves
    with a conditional update, and a late or second press gets AlreadyDecided."""
    expected = check_pending(session, actor, quote_id)
    quote = session.get(Quote, quote_id)
    assert quote is not None
    if approve:
        needs_director = quote.max_discount_pct > limits.manager
        to_director = expected == QuoteStatus.PENDING_MANAGER.value and needs_director
        if to_director and actor.role == Role.DIRECTOR:
            to_director = False  # a director deciding at the first step covers both
        new_status = QuoteStatus.PENDING_DIRECTOR.value if to_director else QuoteStatus.ISSUED.value
    else:
        new_status = QuoteStatus.REJECTED.value
    values: dict[str, object] = {
        "status": new_status,
        "decided_by_id": actor.user_id,
        "decided_at": now,
    }
    if expected == QuoteStatus.PENDING_MANAGER.value and approve:
        values["manager_approved_by_id"] = actor.user_id
    if new_status == QuoteStatus.PENDING_DIRECTOR.value:
        values["manager_approved_at"] = now  # the manager's step, on the timeline of its own
    if not approve:
        values["reject_reason"] = (reason or "").strip()[:1000] or None
    before = history.columns_of(quote)
    won = session.execute(
        update(Quote)
        .where(col(Quote.id) == quote_id, col(Quote.status) == expected)
        .values(**values)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(quote)
        raise AlreadyDecided(by=_decider_name(session, quote))
    session.refresh(quote)
    history.record_update(session, quote, before, now=now)  # an UPDATE passes the flush hook
    owner = session.get(User, quote.owner_id)
    assert owner is not None
    notify: list[User] = []
    if new_status == QuoteStatus.ISSUED.value:
        _issue(session, actor, quote, limits, now)
    elif new_status == QuoteStatus.PENDING_DIRECTOR.value:
        notify = _approvers(session, owner, "director")
    session.flush()
    return Decision(
        quote_id=quote_id,
        status=quote.status,
        number=quote.number,
        owner_telegram_id=owner.telegram_id,
        notify=[user.telegram_id for user in notify],
    )


def _decider_name(session: Session, quote: Quote) -> str:
    decider = session.get(User, quote.decided_by_id) if quote.decided_by_id else None
    return decider.full_name if decider else "someone else"


class QuoteNotSendable(ServiceError):
    template = "quotes/not_sendable"


@dataclass(frozen=True)
class Recipient:
    contact_id: int
    name: str
    chat_id: int


def recipients(session: Session, actor: Actor, quote_id: int) -> list[Recipient]:
    """Contacts of the quote's customer who linked Telegram and agreed to messages."""
    quote = session.get(Quote, quote_id)
    if quote is None or not _may_see(session, actor, quote):
        raise NotFound()
    contacts = session.exec(
        select(Contact).where(
            Contact.customer_id == quote.customer_id,
            col(Contact.telegram_chat_id).is_not(None),
            col(Contact.opted_in),
        )
    ).all()
    return [Recipient(c.id or 0, c.name, c.telegram_chat_id or 0) for c in contacts]


def send_to_contact(
    session: Session, actor: Actor, quote_id: int, contact_id: int, *, today: date, now: datetime
) -> Recipient:
    """Mark an issued, still valid quote as sent to one of its customer's linked contacts."""
    quote = session.get(Quote, quote_id)
    if quote is None or (quote.owner_id != actor.user_id and not _may_see(session, actor, quote)):
        raise NotFound()
    if quote.status != QuoteStatus.ISSUED.value or (quote.valid_until or today) < today:
        raise QuoteNotSendable(reason="not_issued")
    if quote.customer_answer is not None:
        raise QuoteNotSendable(reason="answered")
    match = [r for r in recipients(session, actor, quote_id) if r.contact_id == contact_id]
    if not match:
        raise QuoteNotSendable(reason="contact")
    quote.sent_to_contact_id, quote.sent_at = contact_id, now
    session.flush()
    return match[0]


@dataclass(frozen=True)
class CustomerAnswer:
    quote_id: int
    number: str
    accepted: bool
    deal_id: int
    owner_telegram_id: int
    contact_name: str
    value_change: ValueChange | None = None  # the deal's value, old → new, when accepting moved it
    order_number: str | None = None  # the deal's order, made before: it keeps what it bills


def answer_quote(
    session: Session, contact_id: int, quote_id: int, *, accept: bool, now: datetime
) -> CustomerAnswer:
    """The contact accepts or declines the quote sent to them; only the first answer counts.
    Accepting moves the deal to contract review, recorded under the owner rep's name, and sets
    the deal's value to the quote's total, recorded under the contact's — unless the deal has
    its order already (an order keeps what it bills)."""
    quote = session.get(Quote, quote_id)
    if quote is None or quote.sent_to_contact_id != contact_id:
        raise NotFound()
    before = history.columns_of(quote)
    answered = session.execute(
        update(Quote)
        .where(col(Quote.id) == quote_id, col(Quote.customer_answer).is_(None))
        .values(customer_answer="accepted" if accept else "declined", answered_at=now)
    )
    if answered.rowcount != 1:  # type: ignore[attr-defined]
        raise QuoteNotSendable(reason="answered")
    session.refresh(quote)
    history.record_update(session, quote, before, now=now)
    owner = session.get(User, quote.owner_id)
    contact = session.get(Contact, contact_id)
    assert owner is not None and contact is not None and quote.number is not None
    value_change = None
    order_number = session.exec(
        select(SalesOrder.number).where(SalesOrder.deal_id == quote.deal_id)
    ).first()
    if accept:
        advance_to(session, Actor.of(owner), quote.deal_id, "contract_review", now=now)
        deal = session.get(Deal, quote.deal_id)
        if deal is not None and order_number is None:
            value_change = set_value_from_quote(
                session, deal, quote, contact_id=contact_id, now=now
            )
    return CustomerAnswer(
        quote_id=quote_id,
        number=quote.number,
        accepted=accept,
        deal_id=quote.deal_id,
        owner_telegram_id=owner.telegram_id,
        contact_name=contact.name,
        value_change=value_change,
        order_number=order_number if accept else None,
    )
