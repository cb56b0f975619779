"""Deals through the pipeline: create, list by stage with totals, move between stages (a lost
deal needs a reason), the value following the quote the customer accepted, and every move and
change of value recorded with who and when."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from bot.parsing.text import one_line
from bot.services.errors import NotFound, ServiceError
from bot.services.people import Actor
from bot.services.pipeline import first_stage
from bot.services.visibility import owned_by_visible, refuse_read_only, visible_customer
from models import (
    Customer,
    Deal,
    DealStageChange,
    DealValueChange,
    LostReason,
    PipelineStage,
    Quote,
    SalesOrder,
    Timeframe,
    Touch,
    User,
)

SOURCES = ("referral", "website", "trade_show", "cold_call", "existing", "other")


@dataclass(frozen=True)
class DealDraft:
    customer_id: int
    title: str
    amount: Decimal
    currency: str
    expected_close: date | None = None
    timeframe: Timeframe | None = None
    source: str | None = None


@dataclass(frozen=True)
class DealView:
    deal_id: int
    customer_id: int
    customer_name: str
    owner_name: str
    title: str
    amount: Decimal
    currency: str
    stage_key: str
    probability: int
    weighted: Decimal
    expected_close: date | None
    timeframe: str | None
    source: str | None
    lost_reason: str | None
    lost_note: str | None
    is_open: bool
    # How many moves the card has seen (``moved_token``), for its buttons: a move from a card
    # that showed an older stage is refused (DealChanged) rather than overwriting another's move.
    seen: str = ""


@dataclass(frozen=True)
class StageGroup:
    stage_key: str
    deals: list[DealView]
    totals: dict[str, Decimal]


@dataclass(frozen=True)
class DealBoard:
    groups: list[StageGroup]
    totals: dict[str, Decimal]
    weighted: dict[str, Decimal]
    count: int


class LostReasonNeeded(ServiceError):
    template = "deals/lost_reason_needed"


class AlreadyInStage(ServiceError):
    template = "deals/already_in_stage"


class DealChanged(ServiceError):
    """Someone moved the deal after the card the person pressed was shown."""

    template = "deals/changed"


class DealHasOrder(ServiceError):
    """A won deal whose order exists stays won: the order bills it."""

    template = "deals/has_order"


def stages(session: Session) -> list[PipelineStage]:
    """The pipeline, in order."""
    return list(session.exec(select(PipelineStage).order_by(col(PipelineStage.sequence))))


def _stage(session: Session, key: str) -> PipelineStage:
    stage = session.get(PipelineStage, key)
    if stage is None:
        raise NotFound()
    return stage


def create_deal(session: Session, actor: Actor, draft: DealDraft, *, now: datetime) -> Deal:
    """A new deal in the first stage, owned by the person, on a customer they may see."""
    refuse_read_only(actor)
    visible_customer(session, actor, draft.customer_id)
    first = first_stage(session)
    if draft.amount <= 0:
        raise ServiceError()
    deal = Deal(
        customer_id=draft.customer_id,
        owner_id=actor.user_id,
        title=one_line(draft.title)[:200] or "—",
        amount=draft.amount,
        currency=draft.currency.upper(),
        stage_key=first.key,
        probability=first.probability,
        expected_close=draft.expected_close,
        timeframe=draft.timeframe.value if draft.timeframe else None,
        source=draft.source if draft.source in SOURCES else None,
        created_at=now,
        updated_at=now,
        stage_changed_at=now,
        last_activity_at=now,
    )
    session.add(deal)
    session.flush()
    assert deal.id is not None
    session.add(
        DealStageChange(
            deal_id=deal.id,
            from_stage=None,
            to_stage=first.key,
            changed_by_id=actor.user_id,
            changed_at=now,
        )
    )
    refresh_last_activity(session, draft.customer_id)
    return deal


def _visible_deal(session: Session, actor: Actor, deal_id: int) -> tuple[Deal, Customer, User]:
    row = session.exec(
        select(Deal, Customer, User)
        .join(Customer, col(Deal.customer_id) == col(Customer.id))
        .join(User, col(Deal.owner_id) == col(User.id))
        .where(Deal.id == deal_id, owned_by_visible(actor, Deal.owner_id))
    ).first()
    if row is None:
        raise NotFound()
    return row


def _view(deal: Deal, customer: Customer, owner: User, stage: PipelineStage) -> DealView:
    assert deal.id is not None and customer.id is not None
    return DealView(
        deal_id=deal.id,
        customer_id=customer.id,
        customer_name=customer.name,
        owner_name=owner.full_name,
        title=deal.title,
        amount=deal.amount,
        currency=deal.currency,
        stage_key=deal.stage_key,
        probability=deal.probability,
        weighted=(deal.amount * deal.probability / 100).quantize(Decimal("0.01")),
        expected_close=deal.expected_close,
        timeframe=deal.timeframe,
        source=deal.source,
        lost_reason=deal.lost_reason,
        lost_note=deal.lost_note,
        is_open=not (stage.is_won or stage.is_lost),
    )


def moved_token(session: Session, deal_id: int) -> str:
    """How many times the deal has moved (its creation counts): a card's buttons carry it, so
    a move pressed on a card someone else's move has overtaken is told apart."""
    moves = session.exec(
        select(func.count()).select_from(DealStageChange).where(DealStageChange.deal_id == deal_id)
    ).one()
    return str(moves)


def deal_view(session: Session, actor: Actor, deal_id: int) -> DealView:
    deal, customer, owner = _visible_deal(session, actor, deal_id)
    view = _view(deal, customer, owner, _stage(session, deal.stage_key))
    return replace(view, seen=moved_token(session, deal_id))


def refuse_if_ordered(session: Session, deal: Deal) -> None:
    """A deal with an order may not leave its won stage (DealHasOrder, naming the order)."""
    number = session.exec(select(SalesOrder.number).where(SalesOrder.deal_id == deal.id)).first()
    if number is not None:
        raise DealHasOrder(number=number)


def _refuse_if_moved(session: Session, deal: Deal, seen: str | None) -> None:
    if seen is not None and deal.id is not None and seen != moved_token(session, deal.id):
        raise DealChanged()


def check_may_leave(
    session: Session, actor: Actor, deal_id: int, *, seen: str | None = None
) -> None:
    """Whether the person may move the deal out of its stage at all, before they are asked
    anything (such as why it was lost): not if it has an order, nor if it moved since the card
    they pressed (``seen``) was shown."""
    refuse_read_only(actor)
    deal, _, _ = _visible_deal(session, actor, deal_id)
    refuse_if_ordered(session, deal)
    _refuse_if_moved(session, deal, seen)


def move_stage(
    session: Session,
    actor: Actor,
    deal_id: int,
    to_stage: str,
    *,
    lost_reason: LostReason | None = None,
    note: str | None = None,
    seen: str | None = None,
    now: datetime,
) -> DealView:
    """Move a deal to ``to_stage`` (its default probability comes along) and record the move.
    A won deal with an order stays won; a move pressed on a card shown before someone else
    moved the deal (``seen``, from the card's button) is refused with DealChanged."""
    refuse_read_only(actor)
    deal, customer, owner = _visible_deal(session, actor, deal_id)
    target = _stage(session, to_stage)
    _refuse_if_moved(session, deal, seen)
    if deal.stage_key == target.key:
        raise AlreadyInStage()
    refuse_if_ordered(session, deal)
    if target.is_lost and lost_reason is None:
        raise LostReasonNeeded()
    assert deal.id is not None
    session.add(
        DealStageChange(
            deal_id=deal.id,
            from_stage=deal.stage_key,
            to_stage=target.key,
            changed_by_id=actor.user_id,
            changed_at=now,
            lost_reason=lost_reason.value if target.is_lost and lost_reason else None,
            note=(note or None) if target.is_lost else None,
        )
    )
    deal.stage_key, deal.probability = target.key, target.probability
    deal.stage_changed_at = deal.updated_at = now
    deal.last_activity_at = max(utc(deal.last_activity_at), now)
    deal.closed_at = now if (target.is_won or target.is_lost) else None
    deal.lost_reason = lost_reason.value if target.is_lost and lost_reason else None
    deal.lost_note = (note or None) if target.is_lost else None
    customer.updated_at = now
    session.flush()
    return _view(deal, customer, owner, target)


def advance_to(
    session: Session, actor: Actor, deal_id: int, to_stage: str, *, now: datetime
) -> None:
    """Move an open deal forward to ``to_stage``; never backwards, never out of won or lost."""
    deal = session.get(Deal, deal_id)
    current = session.get(PipelineStage, deal.stage_key) if deal else None
    target = session.get(PipelineStage, to_stage)
    if current is None or target is None or current.is_won or current.is_lost:
        return
    if current.sequence < target.sequence:
        move_stage(session, actor, deal_id, to_stage, now=now)


@dataclass(frozen=True)
class ValueChange:
    old_amount: Decimal
    old_currency: str
    new_amount: Decimal
    new_currency: str


def set_value_from_quote(
    session: Session, deal: Deal, quote: Quote, *, contact_id: int, now: datetime
) -> ValueChange | None:
    """The deal is worth what the customer's contact accepted: the quote's total and currency.
    The change is kept with who and when (None when the value was that already)."""
    if (deal.amount, deal.currency) == (quote.total, quote.currency):
        return None
    assert deal.id is not None
    change = ValueChange(deal.amount, deal.currency, quote.total, quote.currency)
    session.add(
        DealValueChange(
            deal_id=deal.id,
            old_amount=deal.amount,
            old_currency=deal.currency,
            new_amount=quote.total,
            new_currency=quote.currency,
            quote_id=quote.id,
            changed_by_contact_id=contact_id,
            changed_at=now,
        )
    )
    deal.amount, deal.currency, deal.updated_at = quote.total, quote.currency, now
    session.flush()
    return change


def open_deals(session: Session, actor: Actor, *, mine_only: bool = True) -> DealBoard:
    """Open deals by stage with totals and probability-weighted totals per currency."""
    query = (
        select(Deal, Customer, User, PipelineStage)
        .join(Customer, col(Deal.customer_id) == col(Customer.id))
        .join(User, col(Deal.owner_id) == col(User.id))
        .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
        .where(
            col(PipelineStage.is_won).is_(False),
            col(PipelineStage.is_lost).is_(False),
            owned_by_visible(actor, Deal.owner_id),
        )
        .order_by(col(PipelineStage.sequence), col(Deal.expected_close), col(Deal.id))
    )
    if mine_only:
        query = query.where(Deal.owner_id == actor.user_id)
    grouped: dict[str, list[DealView]] = defaultdict(list)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    weighted: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for deal, customer, owner, stage in session.exec(query):
        view = _view(deal, customer, owner, stage)
        grouped[stage.key].append(view)
        totals[view.currency] += view.amount
        weighted[view.currency] += view.weighted
        count += 1
    groups = []
    for stage in stages(session):
        if grouped.get(stage.key):
            stage_totals: dict[str, Decimal] = defaultdict(Decimal)
            for view in grouped[stage.key]:
                stage_totals[view.currency] += view.amount
            groups.append(StageGroup(stage.key, grouped[stage.key], dict(stage_totals)))
    return DealBoard(groups=groups, totals=dict(totals), weighted=dict(weighted), count=count)


@dataclass(frozen=True)
class StaleDeal:
    deal_id: int
    title: str
    customer_id: int
    customer_name: str
    owner_id: int
    stage_key: str
    amount: Decimal
    currency: str
    last_activity: datetime  # the last touch on the customer, stage move or the deal's creation
    limit_days: int


def _stale_where(
    session: Session, *, now: datetime, days: int, days_now: int, lapsed_after: datetime | None
) -> tuple[ColumnElement[bool], dict[str, int]] | None:
    """The condition on ``Deal`` rows that are stale (see ``stale_deals``) and each open stage's
    limit in days; None without open stages."""
    open_stages = [stage for stage in stages(session) if not (stage.is_won or stage.is_lost)]
    if not open_stages:
        return None

    def quiet_for(limit: int) -> ColumnElement[bool]:
        since = col(Deal.last_activity_at) < now - timedelta(days=limit)
        if lapsed_after is None:
            return since
        return and_(since, col(Deal.last_activity_at) >= lapsed_after - timedelta(days=limit))

    buying_now = col(Deal.timeframe) == Timeframe.NOW.value
    not_now = or_(col(Deal.timeframe).is_(None), col(Deal.timeframe) != Timeframe.NOW.value)
    limits = {stage.key: stage.stale_days or days for stage in open_stages}
    conditions = [
        and_(col(Deal.stage_key) == key, not_now, quiet_for(limit)) for key, limit in limits.items()
    ]
    conditions.append(and_(col(Deal.stage_key).in_(list(limits)), buying_now, quiet_for(days_now)))
    return or_(*conditions), limits


@dataclass(frozen=True)
class StaleTime:
    """When a stale deal went quiet and its limit: all that decides when it is told."""

    deal_id: int
    owner_id: int
    last_activity: datetime
    limit_days: int


def stale_times(
    session: Session,
    *,
    now: datetime,
    days: int,
    days_now: int,
    lapsed_after: datetime,
    owner_zones: Collection[str] | None = None,
) -> list[StaleTime]:
    """``stale_deals``' deals whose limit ran out after ``lapsed_after``, with only the columns
    that decide when each is told (no customer looked up); ``owner_zones``: only the deals of
    owners in those time zones."""
    found = _stale_where(session, now=now, days=days, days_now=days_now, lapsed_after=lapsed_after)
    if found is None:
        return []
    where, limits = found
    if owner_zones is not None:
        owners = select(User.id).where(col(User.timezone).in_(sorted(owner_zones)))
        where = sa.and_(where, col(Deal.owner_id).in_(owners.scalar_subquery()))
    rows = session.execute(
        sa.select(
            col(Deal.id),
            col(Deal.owner_id),
            col(Deal.last_activity_at),
            col(Deal.stage_key),
            col(Deal.timeframe),
        )
        .where(where)
        .order_by(col(Deal.last_activity_at), col(Deal.id))
    )
    return [
        StaleTime(
            deal_id or 0,
            owner_id,
            last_activity,
            days_now if timeframe == Timeframe.NOW.value else limits[stage_key],
        )
        for deal_id, owner_id, last_activity, stage_key, timeframe in rows
    ]


def stale_deals(
    session: Session,
    *,
    now: datetime,
    days: int,
    days_now: int,
    owner_id: int | None = None,
    deal_id: int | None = None,
    deal_ids: Sequence[int] | None = None,
    lapsed_after: datetime | None = None,
) -> list[StaleDeal]:
    """Open deals with nothing done for longer than their stage's limit (``days`` unless the
    stage sets its own; ``days_now`` when the customer means to buy now), oldest first.

    ``lapsed_after``: only those whose limit ran out after that instant. The deals are found by
    their indexed ``last_activity_at``, one range per stage: the cost follows what is stale.
    ``deal_ids``: only those (a few hundred at most)."""
    found = _stale_where(session, now=now, days=days, days_now=days_now, lapsed_after=lapsed_after)
    if found is None:
        return []
    where, limits = found
    # Only the columns shown: no ORM objects for what may be thousands of rows.
    query = (
        sa.select(
            col(Deal.id),
            col(Deal.title),
            col(Customer.id),
            col(Customer.name),
            col(Deal.owner_id),
            col(Deal.stage_key),
            col(Deal.amount),
            col(Deal.currency),
            col(Deal.last_activity_at),
            col(Deal.timeframe),
        )
        .join(Customer, col(Deal.customer_id) == col(Customer.id))
        .where(where)
        .order_by(col(Deal.last_activity_at), col(Deal.id))
    )
    if deal_ids is not None:
        query = query.where(col(Deal.id).in_(list(deal_ids)))
    if owner_id is not None:
        query = query.where(col(Deal.owner_id) == owner_id)
    if deal_id is not None:
        query = query.where(col(Deal.id) == deal_id)
    return [
        StaleDeal(
            deal_id=found_id or 0,
            title=title,
            customer_id=customer_id or 0,
            customer_name=customer_name,
            owner_id=owner,
            stage_key=stage_key,
            amount=amount,
            currency=currency,
            last_activity=last_activity,
            limit_days=days_now if timeframe == Timeframe.NOW.value else limits[stage_key],
        )
        for (
            found_id,
            title,
            customer_id,
            customer_name,
            owner,
            stage_key,
            amount,
            currency,
            last_activity,
            timeframe,
        ) in session.execute(query)
    ]


def refresh_last_activity(session: Session, customer_id: int) -> None:
    """Work out again the last activity of the customer's deals, after a touch on it was saved
    or taken back: the latest of the deal's creation, its last move and the last live touch."""
    session.flush()
    last_touch = session.exec(
        select(func.max(Touch.created_at)).where(
            Touch.customer_id == customer_id, col(Touch.deleted_at).is_(None)
        )
    ).one()
    for deal in session.exec(select(Deal).where(Deal.customer_id == customer_id)):
        last_move = session.exec(
            select(func.max(DealStageChange.changed_at)).where(DealStageChange.deal_id == deal.id)
        ).one()
        moments = [deal.created_at, last_touch, last_move]
        deal.last_activity_at = max(utc(moment) for moment in moments if moment is not None)
    session.flush()


def utc(moment: datetime) -> datetime:
    """Aggregates (max) come back without the column type on some databases: make them aware."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
