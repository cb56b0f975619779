"""Customer segments: the ABC tier computed from the trailing 12 months' paid revenue, the RFM
score and the lifecycle stage, worked out in SQL a batch of customers at a time (nightly by
``bot.reminders.producers.segments``, or when an admin asks with ``/segments recompute``); the
manual tier that wins over the computed one; the counts and lists of /segments within a
person's scope; and the customers past their visit cadence for the Monday brief.

No Telegram here, and no customer list is loaded into Python to rank or filter: the database
sums, ranks (window functions) and updates.

Definitions (README, "Customer tiers and lifecycle"):
- revenue: payments received in the last 365 days on orders in DEFAULT_CURRENCY (other
  currencies are not converted and do not count);
- tier A: the customers with the most revenue that together make the first TIER_A_SHARE of all
  of it (the customer that crosses the line is in), B: up to TIER_B_SHARE, C: the rest and every
  customer without revenue;
- RFM: recency (days since the newest order), frequency (orders in the last 365 days), monetary
  (revenue), each 1-5 by quintile among the customers with at least one order (5 best; equal
  values share the lower score); None without orders;
- lifecycle: prospect (no order), first (one), repeat (two or more), loyal (five or more in the
  last 365 days, or two or more and tier A as it applies), lapsed (orders, but none for
  LAPSED_DAYS), which wins over the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.services.errors import NotAllowed, NotFound
from bot.services.people import Actor
from bot.services.visibility import customers_visible_to
from bot.settings import Settings
from models import Customer, Lifecycle, Payment, Role, SalesOrder, Touch, User, UTCDateTime

TIERS = ("A", "B", "C")
STAGES = tuple(stage.value for stage in Lifecycle)
ACTIVE_STAGES = (Lifecycle.FIRST.value, Lifecycle.REPEAT.value, Lifecycle.LOYAL.value)
LOYAL_ORDERS = 5  # orders within 12 months that make a customer loyal
YEAR = timedelta(days=365)
BATCH = 5000  # customers updated per statement
SEGMENT_PAGE_SIZE = 10
CADENCE_LIST = 10  # past-cadence customers named in the Monday brief; the rest are counted
RECOMPUTE_ROLES = (Role.ADMIN,)
MONEY_SLACK = 0.005  # SQLite sums money as floats: compare with half a cent to spare


@dataclass(frozen=True)
class Rules:
    """What the computation needs from the settings."""

    currency: str
    tier_a_share: Decimal
    tier_b_share: Decimal
    lapsed_days: int

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        return cls(
            currency=settings.default_currency,
            tier_a_share=settings.tier_a_share,
            tier_b_share=settings.tier_b_share,
            lapsed_days=settings.lapsed_days,
        )


@dataclass(frozen=True)
class Recomputed:
    """What one run did: customers worked out, and whether any are left for the next run."""

    customers: int
    done: bool


@dataclass(frozen=True)
class Counts:
    tiers: dict[str, int]
    stages: dict[str, int]
    total: int
    not_computed: int


@dataclass(frozen=True)
class SegmentLine:
    customer_id: int
    name: str
    tier: str | None
    rfm: str | None
    lifecycle: str | None
    owner_name: str


@dataclass(frozen=True)
class SegmentPage:
    kind: str  # "tier" or "stage"
    value: str
    customers: list[SegmentLine]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class PastCadence:
    customer_id: int
    name: str
    tier: str | None
    last_touch: datetime | None
    days: int  # since the last touch (or since the customer was added, if never touched)
    cadence_days: int


@dataclass(frozen=True)
class CadenceList:
    customers: list[PastCadence]
    total: int


@dataclass(frozen=True)
class WinBack:
    customer_id: int
    name: str
    owner_id: int
    last_order_at: datetime


# -- the manual tier -----------------------------------------------------------------------------


def set_manual_tier(customer: Customer, tier: str | None) -> None:
    """Set (or with None clear) the tier a person chose; the tier that applies follows: the
    manual one while there is one, else the computed one."""
    customer.manual_tier = tier
    customer.tier = tier or customer.computed_tier


def manual_tier_of(customer: Customer) -> str | None:
    """The tier set by hand, as the edit menu compares it: a ``tier`` written directly (an
    import, older code) that differs from the computed one counts as set by hand too."""
    if customer.manual_tier is not None:
        return customer.manual_tier
    return customer.tier if customer.tier != customer.computed_tier else None


# -- the computation -----------------------------------------------------------------------------


def _revenue(since: Any, currency: str, low: int | None = None, high: int | None = None) -> Any:
    """Paid revenue per customer since ``since`` (a subquery: customer_id, revenue)."""
    query: Any = (
        sa.select(
            col(SalesOrder.customer_id).label("customer_id"),
            func.sum(col(Payment.amount)).label("revenue"),
        )
        .join(SalesOrder, col(SalesOrder.id) == col(Payment.order_id))
        .where(col(Payment.received_on) >= since, col(SalesOrder.currency) == currency)
        .group_by(col(SalesOrder.customer_id))
    )
    if low is not None and high is not None:
        query = query.where(col(SalesOrder.customer_id) >= low, col(SalesOrder.customer_id) < high)
    return query.subquery("revenue")


def _orders(since: datetime, low: int | None = None, high: int | None = None) -> Any:
    """Per customer with orders: how many, how many since ``since``, the newest (a subquery)."""
    query: Any = sa.select(
        col(SalesOrder.customer_id).label("customer_id"),
        func.count().label("orders"),
        func.sum(sa.case((col(SalesOrder.created_at) >= since, 1), else_=0)).label("recent"),
        func.max(col(SalesOrder.created_at)).label("last_order"),
    ).group_by(col(SalesOrder.customer_id))
    if low is not None and high is not None:
        query = query.where(col(SalesOrder.customer_id) >= low, col(SalesOrder.customer_id) < high)
    return query.subquery("orders")


def _stats(now: datetime, rules: Rules, low: int | None = None, high: int | None = None) -> Any:
    """Per customer with orders: orders, recent orders, the newest order and the revenue."""
    since = now - YEAR
    orders = _orders(since, low, high)
    revenue = _revenue(since.date(), rules.currency, low, high)
    return (
        sa.select(
            orders.c.customer_id,
            orders.c.orders,
            orders.c.recent,
            orders.c.last_order,
            func.coalesce(revenue.c.revenue, 0).label("revenue"),
        )
        .select_from(orders)
        .outerjoin(revenue, revenue.c.customer_id == orders.c.customer_id)
        .subquery("stats")
    )


@dataclass(frozen=True)
class _Bounds:
    tier_a: float | None  # the least revenue still in tier A (None: nobody has revenue)
    tier_b: float | None
    recency: list[Any]  # the highest value of quintiles 1-4, for each measure
    frequency: list[Any]
    monetary: list[Any]


def _tier_bounds(session: Session, now: datetime, rules: Rules) -> tuple[Any, Any]:
    revenue = _revenue((now - YEAR).date(), rules.currency)
    ranked = sa.select(
        revenue.c.revenue,
        func.sum(revenue.c.revenue)
        .over(order_by=(revenue.c.revenue.desc(), revenue.c.customer_id))
        .label("running"),
        func.sum(revenue.c.revenue).over().label("total"),
    ).where(revenue.c.revenue > 0)
    ranked_q = ranked.subquery("ranked")
    before = ranked_q.c.running - ranked_q.c.revenue  # the revenue of the customers above
    row = session.execute(
        sa.select(
            func.min(
                sa.case((before < ranked_q.c.total * float(rules.tier_a_share), ranked_q.c.revenue))
            ),
            func.min(
                sa.case((before < ranked_q.c.total * float(rules.tier_b_share), ranked_q.c.revenue))
            ),
        )
    ).one()
    return row[0], row[1]


def _quintile_tops(session: Session, stats: Any, measure: Any) -> list[Any]:
    """The highest value in each of quintiles 1-4 of ``measure`` over ``stats``' rows."""
    tiled = sa.select(
        measure.label("value"), func.ntile(5).over(order_by=measure).label("tile")
    ).subquery("tiled")
    rows = session.execute(
        sa.select(tiled.c.tile, func.max(tiled.c.value))
        .where(tiled.c.tile < 5)
        .group_by(tiled.c.tile)
        .order_by(tiled.c.tile)
    ).all()
    return [value for _tile, value in rows]


def _bounds(session: Session, now: datetime, rules: Rules) -> _Bounds:
    tier_a, tier_b = _tier_bounds(session, now, rules)
    stats = _stats(now, rules)
    return _Bounds(
        tier_a=None if tier_a is None else float(tier_a),
        tier_b=None if tier_b is None else float(tier_b),
        recency=_quintile_tops(session, stats, stats.c.last_order),
        frequency=_quintile_tops(session, stats, stats.c.recent),
        monetary=_quintile_tops(session, stats, stats.c.revenue),
    )


def _score(value: Any, tops: list[Any], cast_to: Any = None) -> Any:
    """1 plus the number of quintile tops ``value`` is above (as SQL; 1-5 with five tiles)."""
    score: Any = sa.literal(1)
    for top in tops:
        bound = sa.literal(top, type_=cast_to) if cast_to is not None else sa.literal(top)
        score = score + sa.case((value > bound, 1), else_=0)
    return sa.cast(score, sa.String)


def _computed_tier(revenue: Any, bounds: _Bounds) -> Any:
    whens = []
    if bounds.tier_a is not None:
        whens.append((revenue >= bounds.tier_a - MONEY_SLACK, "A"))
    if bounds.tier_b is not None:
        whens.append((revenue >= bounds.tier_b - MONEY_SLACK, "B"))
    return sa.case(*whens, else_="C") if whens else sa.literal("C")


def _manual_tier_now() -> Any:
    """The manual tier, with a ``tier`` written directly (not what the columns say it should
    be) taken as set by hand, and a ``tier`` cleared directly as cleared."""
    tier, manual, computed = (
        col(Customer.tier),
        col(Customer.manual_tier),
        col(Customer.computed_tier),
    )
    return sa.case(
        (tier.is_(None), None),
        (tier.is_distinct_from(func.coalesce(manual, computed)), tier),
        else_=manual,
    )


def _stale(due: datetime) -> Any:
    segmented = col(Customer.segmented_at)
    return sa.or_(segmented.is_(None), segmented < due)


def _first_stale_id(session: Session, due: datetime) -> int | None:
    """The smallest id of a customer not worked out since ``due``; None when there is none
    (asked first through the index on segmented_at, so a day with nothing to do is cheap)."""
    segmented = col(Customer.segmented_at)
    smallest = None
    for condition in (segmented.is_(None), segmented < due):
        if session.exec(select(col(Customer.id)).where(condition).limit(1)).first() is None:
            continue
        found = session.exec(select(func.min(col(Customer.id))).where(condition)).one()
        if found is not None and (smallest is None or found < smallest):
            smallest = found
    return smallest


def recompute(
    session: Session,
    rules: Rules,
    *,
    now: datetime,
    due: datetime | None = None,
    max_customers: int | None = None,
) -> Recomputed:
    """Work out the tier, RFM and lifecycle of every customer not worked out since ``due``
    (default: ``now``, i.e. all of them): the customers by id, BATCH ids per statement, each
    batch committed; at most about ``max_customers`` in this call (the nightly run goes on at
    the next tick, where it stopped)."""
    due = due or now
    low = _first_stale_id(session, due)
    if low is None:
        return Recomputed(customers=0, done=True)
    top = session.exec(select(func.max(col(Customer.id)))).one() or 0
    bounds = _bounds(session, now, rules)
    lapsed_before = now - timedelta(days=rules.lapsed_days)
    done_customers = 0
    while low <= top:
        if max_customers is not None and done_customers >= max_customers:
            return Recomputed(customers=done_customers, done=False)
        high = low + BATCH
        done_customers += _update_batch(session, rules, bounds, now, due, lapsed_before, low, high)
        session.commit()
        low = high
    return Recomputed(customers=done_customers, done=True)


def _update_batch(
    session: Session,
    rules: Rules,
    bounds: _Bounds,
    now: datetime,
    due: datetime,
    lapsed_before: datetime,
    low: int,
    high: int,
) -> int:
    stats = _stats(now, rules, low, high)
    computed = _computed_tier(stats.c.revenue, bounds)
    manual = _manual_tier_now()
    applies = func.coalesce(manual, computed)
    stage = sa.case(
        (stats.c.last_order < lapsed_before, Lifecycle.LAPSED.value),
        (
            sa.or_(
                stats.c.recent >= LOYAL_ORDERS,
                sa.and_(applies == "A", stats.c.orders >= 2),
            ),
            Lifecycle.LOYAL.value,
        ),
        (stats.c.orders >= 2, Lifecycle.REPEAT.value),
        else_=Lifecycle.FIRST.value,
    )
    rfm = (
        _score(stats.c.last_order, bounds.recency, UTCDateTime())
        + _score(stats.c.recent, bounds.frequency)
        + _score(stats.c.revenue, [float(top) for top in bounds.monetary])
    )
    # A tier-A customer (as it was) that was buying and is now lapsed: a win-back is due.
    winback = sa.case(
        (
            stats.c.last_order >= lapsed_before,
            sa.null(),
        ),
        (
            sa.and_(col(Customer.tier) == "A", col(Customer.lifecycle).in_(ACTIVE_STAGES)),
            sa.literal(now, type_=UTCDateTime()),
        ),
        else_=col(Customer.winback_at),
    )
    in_batch = (col(Customer.id) >= low, col(Customer.id) < high, _stale(due))
    with_orders = session.execute(
        sa.update(Customer)
        .where(col(Customer.id) == stats.c.customer_id, *in_batch)
        .values(
            manual_tier=manual,
            computed_tier=computed,
            tier=applies,
            rfm=rfm,
            lifecycle=stage,
            last_order_at=stats.c.last_order,
            winback_at=winback,
            segmented_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    no_orders = session.execute(
        sa.update(Customer)
        .where(
            *in_batch,
            ~sa.exists().where(col(SalesOrder.customer_id) == col(Customer.id)),
        )
        .values(
            manual_tier=manual,
            computed_tier="C",
            tier=func.coalesce(manual, "C"),
            rfm=None,
            lifecycle=Lifecycle.PROSPECT.value,
            last_order_at=None,
            winback_at=None,
            segmented_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(with_orders.rowcount or 0) + int(no_orders.rowcount or 0)  # type: ignore[attr-defined]


def may_recompute(actor: Actor) -> bool:
    return actor.role in RECOMPUTE_ROLES


def recompute_now(session: Session, actor: Actor, rules: Rules, *, now: datetime) -> Counts:
    """An admin's ``/segments recompute``: every customer now; returns the new counts."""
    if not may_recompute(actor):
        raise NotAllowed()
    recompute(session, rules, now=now)
    return segment_counts(session, actor)


def due_winbacks(session: Session, *, since: datetime) -> list[WinBack]:
    """Tier-A customers that turned lapsed since ``since`` (through the index on winback_at)."""
    rows = session.exec(
        select(Customer)
        .where(col(Customer.winback_at) >= since, col(Customer.last_order_at).is_not(None))
        .order_by(col(Customer.winback_at), col(Customer.id))
    ).all()
    return [
        WinBack(
            customer_id=row.id or 0,
            name=row.name,
            owner_id=row.owner_id,
            last_order_at=row.last_order_at,
        )
        for row in rows
        if row.last_order_at is not None
    ]


def winback_skip_reason(session: Session, customer_id: int, owner_id: int) -> str | None:
    """Why a written win-back nudge is no longer worth sending (None: it still is)."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.owner_id != owner_id:
        return "customer handed over"
    if customer.winback_at is None or customer.last_order_at is None:
        return "ordered again"
    newer = session.exec(
        select(col(SalesOrder.id))
        .where(
            col(SalesOrder.customer_id) == customer_id,
            col(SalesOrder.created_at) > customer.last_order_at,
        )
        .limit(1)
    ).first()
    return "ordered again" if newer is not None else None


# -- /segments -----------------------------------------------------------------------------------


def segment_counts(session: Session, actor: Actor) -> Counts:
    """How many customers ``actor`` may see are in each tier and each lifecycle stage."""
    visible = customers_visible_to(actor)
    tiers = dict.fromkeys(TIERS, 0)
    total = 0
    for tier, count in session.exec(
        select(col(Customer.tier), func.count()).where(visible).group_by(col(Customer.tier))
    ):
        total += count
        if tier in tiers:
            tiers[tier] = count
    stages = dict.fromkeys(STAGES, 0)
    not_computed = 0
    for stage, count in session.exec(
        select(col(Customer.lifecycle), func.count())
        .where(visible)
        .group_by(col(Customer.lifecycle))
    ):
        if stage in stages:
            stages[stage] = count
        else:
            not_computed += count
    return Counts(tiers=tiers, stages=stages, total=total, not_computed=not_computed)


def segment_page(session: Session, actor: Actor, kind: str, value: str, page: int) -> SegmentPage:
    """The customers of one tier or stage that ``actor`` may see, by name, a page at a time;
    NotFound for a segment that does not exist."""
    if kind == "tier" and value in TIERS:
        condition = col(Customer.tier) == value
    elif kind == "stage" and value in STAGES:
        condition = col(Customer.lifecycle) == value
    else:
        raise NotFound()
    visible = customers_visible_to(actor)
    total = session.exec(select(func.count()).select_from(Customer).where(condition, visible)).one()
    pages = max(1, -(-total // SEGMENT_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(condition, visible)
        .order_by(col(Customer.name), col(Customer.id))
        .offset(page * SEGMENT_PAGE_SIZE)
        .limit(SEGMENT_PAGE_SIZE)
    ).all()
    return SegmentPage(
        kind=kind,
        value=value,
        customers=[
            SegmentLine(
                customer_id=customer.id or 0,
                name=customer.name,
                tier=customer.tier,
                rfm=customer.rfm,
                lifecycle=customer.lifecycle,
                owner_name=owner.full_name,
            )
            for customer, owner in rows
        ],
        page=page,
        pages=pages,
        total=total,
    )


# -- visit cadence -------------------------------------------------------------------------------


def cadence_cutoff(now: datetime, cadence_days: dict[str, int]) -> sa.ColumnElement[datetime]:
    """The instant before which a customer's last touch is past its tier's visit cadence (a
    customer without a tier: C's), as a column expression on ``Customer``."""
    instant = UTCDateTime()
    return sa.case(
        *(
            (col(Customer.tier) == tier, sa.literal(now - timedelta(days=days), type_=instant))
            for tier, days in cadence_days.items()
            if tier != "C"
        ),
        else_=sa.literal(now - timedelta(days=cadence_days["C"]), type_=instant),
    )


def past_cadence(
    session: Session,
    owner_id: int,
    *,
    now: datetime,
    cadence_days: dict[str, int],
    limit: int = CADENCE_LIST,
) -> CadenceList:
    """The owner's customers whose last touch (or, never touched, their creation) is longer
    ago than their tier's cadence (a customer without a tier: C's): tier A first, then the
    longest without a touch; the first ``limit`` and how many there are."""
    last_touch = (
        select(
            col(Touch.customer_id).label("customer_id"),
            func.max(col(Touch.created_at)).label("last_touch"),
        )
        .join(Customer, col(Customer.id) == col(Touch.customer_id))
        .where(col(Customer.owner_id) == owner_id, col(Touch.deleted_at).is_(None))
        .group_by(col(Touch.customer_id))
        .subquery("last_touch")
    )
    since = func.coalesce(last_touch.c.last_touch, col(Customer.created_at))
    condition = (col(Customer.owner_id) == owner_id, since < cadence_cutoff(now, cadence_days))
    base = select(Customer, last_touch.c.last_touch).outerjoin(
        last_touch, last_touch.c.customer_id == col(Customer.id)
    )
    total = session.exec(
        select(func.count())
        .select_from(Customer)
        .outerjoin(last_touch, last_touch.c.customer_id == col(Customer.id))
        .where(*condition)
    ).one()
    rows = session.exec(
        base.where(*condition)
        .order_by(func.coalesce(col(Customer.tier), "C"), since, col(Customer.id))
        .limit(limit)
    ).all()
    found = []
    for customer, touched in rows:
        if touched is not None and touched.tzinfo is None:  # a bare subquery column on SQLite
            touched = touched.replace(tzinfo=now.tzinfo)
        start = touched or customer.created_at
        found.append(
            PastCadence(
                customer_id=customer.id or 0,
                name=customer.name,
                tier=customer.tier,
                last_touch=touched,
                days=(now - start).days,
                cadence_days=cadence_days.get(customer.tier or "C", cadence_days["C"]),
            )
        )
    return CadenceList(customers=found, total=total)
