"""The pipeline board (the Mini App behind /board): the deals a person may see, as columns by
stage, with each column's count, value and probability-weighted value per currency, filtered by
rep, purchase timeframe and expected close month. Open stages show every open deal; Won and Lost
show the deals closed in the last ``CLOSED_DAYS`` days. Totals are summed in the database; each
column lists at most ``CARDS_PER_COLUMN`` deals (nearest close date first).

Moving a deal (``move``) is ``bot.services.deals.move_stage`` itself, with the same checks as
the chat's stage buttons; a move to Lost needs a reason, and the reason "other" a few words, as
in the chat."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from bot.parsing.text import one_line
from bot.services.access import may_change_records, may_open_board
from bot.services.deals import DealView, move_stage, stages
from bot.services.errors import NotAllowed, ServiceError
from bot.services.people import Actor
from bot.services.visibility import owned_by_visible
from models import Customer, Deal, DealStageChange, LostReason, PipelineStage, Role, Timeframe, User

CARDS_PER_COLUMN = 100
CLOSED_DAYS = 30
REPS_LIMIT = 300
CENT = Decimal("0.01")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class LostNoteNeeded(ServiceError):
    """A deal lost for "other" reasons: a few words of why are needed."""

    template = "deals/ask_lost_note"


class FilterInvalid(ServiceError):
    """A filter value the page never offers (a forged or mistyped query)."""

    template = "errors/not_found"


@dataclass(frozen=True)
class BoardFilters:
    owner_id: int | None = None
    timeframe: str | None = None
    close_month: date | None = None  # the first day of the month

    @classmethod
    def parse(cls, rep: str | None, timeframe: str | None, month: str | None) -> BoardFilters:
        """The filters as the page sends them (``rep`` a user id, ``month`` ``YYYY-MM``);
        empty means no filter; anything else is FilterInvalid."""
        owner_id = None
        if rep:
            if not rep.isascii() or not rep.isdigit() or len(rep) > 12:
                raise FilterInvalid()
            owner_id = int(rep)
        if timeframe and timeframe not in {item.value for item in Timeframe}:
            raise FilterInvalid()
        close_month = None
        if month:
            found = MONTH.match(month)
            if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
                raise FilterInvalid()
            close_month = date(int(found.group(1)), int(found.group(2)), 1)
        return cls(owner_id, timeframe or None, close_month)


@dataclass(frozen=True)
class BoardCard:
    deal_id: int
    title: str
    customer_id: int
    customer_name: str
    owner_name: str
    amount: Decimal
    currency: str
    probability: int
    weighted: Decimal
    expected_close: date | None
    timeframe: str | None
    lost_reason: str | None
    lost_note: str | None
    # How many moves the deal had when the board was drawn (``deals.moved_token``): a move from
    # a board someone else's move has overtaken is refused (DealChanged), as from a chat card.
    seen: str


@dataclass
class BoardColumn:
    stage_key: str
    is_open: bool
    is_lost: bool
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    weighted: dict[str, Decimal] = field(default_factory=dict)
    cards: list[BoardCard] = field(default_factory=list)


@dataclass(frozen=True)
class Rep:
    user_id: int
    name: str


@dataclass(frozen=True)
class Board:
    columns: list[BoardColumn]
    reps: list[Rep]  # whose deals the person may filter by (only themselves for a rep)
    may_move: bool


def page_url(public_url: str | None, language: str) -> str | None:
    """Where Telegram opens the board: PUBLIC_URL's ``/board`` in the person's language; None
    without PUBLIC_URL, or when it is not https (Telegram opens Mini Apps over https only)."""
    if public_url is None or not public_url.lower().startswith("https://"):
        return None
    return f"{public_url.rstrip('/')}/board?lang={language}"


def board_link(actor: Actor, public_url: str | None) -> str | None:
    """The person's board address (``page_url``), or NotAllowed for a role without a board."""
    if not may_open_board(actor.role):
        raise NotAllowed()
    return page_url(public_url, actor.language)


def _cents(amount: Any) -> Any:
    """An amount in whole cents (SQLite keeps money as REAL: rounded before summing)."""
    return sa.cast(func.round(col(amount) * 100), sa.BigInteger)


def _month_after(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _conditions(actor: Actor, filters: BoardFilters, *, now: datetime) -> list[ColumnElement[bool]]:
    closed_since = now - timedelta(days=CLOSED_DAYS)
    conditions: list[ColumnElement[bool]] = [
        owned_by_visible(actor, Deal.owner_id),
        sa.or_(
            sa.and_(col(PipelineStage.is_won).is_(False), col(PipelineStage.is_lost).is_(False)),
            col(Deal.closed_at) >= closed_since,
        ),
    ]
    if filters.owner_id is not None:
        conditions.append(col(Deal.owner_id) == filters.owner_id)
    if filters.timeframe is not None:
        conditions.append(col(Deal.timeframe) == filters.timeframe)
    if filters.close_month is not None:
        conditions.append(col(Deal.expected_close) >= filters.close_month)
        conditions.append(col(Deal.expected_close) < _month_after(filters.close_month))
    return conditions


def _reps(session: Session, actor: Actor) -> list[Rep]:
    rows = session.exec(
        select(User.id, User.full_name)
        .where(
            owned_by_visible(actor, User.id),
            col(User.role).in_([Role.REP, Role.MANAGER]),
            col(User.is_active).is_(True),
        )
        .order_by(col(User.full_name), col(User.id))
        .limit(REPS_LIMIT)
    )
    return [Rep(user_id or 0, name) for user_id, name in rows]


def board(session: Session, actor: Actor, filters: BoardFilters, *, now: datetime) -> Board:
    """The person's board: every stage a column, the visible deals in them."""
    conditions = _conditions(actor, filters, now=now)
    columns = {
        stage.key: BoardColumn(stage.key, not (stage.is_won or stage.is_lost), stage.is_lost)
        for stage in stages(session)
    }
    totals = session.execute(
        sa.select(
            col(Deal.stage_key),
            col(Deal.currency),
            func.count(),
            func.sum(_cents(Deal.amount)),
            func.sum(_cents(Deal.amount) * col(Deal.probability)),
        )
        .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
        .where(*conditions)
        .group_by(col(Deal.stage_key), col(Deal.currency))
        .order_by(col(Deal.stage_key), col(Deal.currency))
    )
    for stage_key, currency, count, cents, cent_percents in totals:
        column = columns.get(stage_key)
        if column is None:
            continue
        column.count += int(count)
        column.totals[currency] = Decimal(int(cents or 0)).scaleb(-2)
        column.weighted[currency] = (
            Decimal(int(cent_percents or 0)).scaleb(-4).quantize(CENT, rounding=ROUND_HALF_UP)
        )
    moves = (
        select(func.count())
        .select_from(DealStageChange)
        .where(col(DealStageChange.deal_id) == col(Deal.id))
        .scalar_subquery()
    )
    for key in [key for key, column in columns.items() if column.count]:
        rows = session.exec(
            select(Deal, Customer, User, moves)
            .join(Customer, col(Deal.customer_id) == col(Customer.id))
            .join(User, col(Deal.owner_id) == col(User.id))
            .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
            .where(col(Deal.stage_key) == key, *conditions)
            .order_by(
                col(Deal.expected_close).is_(None),
                col(Deal.expected_close),
                col(Deal.id),
            )
            .limit(CARDS_PER_COLUMN)
        )
        columns[key].cards = [
            _card(deal, customer, owner, str(seen)) for deal, customer, owner, seen in rows
        ]
    return Board(
        columns=list(columns.values()),
        reps=_reps(session, actor),
        may_move=may_change_records(actor.role),
    )


def _card(deal: Deal, customer: Customer, owner: User, seen: str) -> BoardCard:
    assert deal.id is not None and customer.id is not None
    return BoardCard(
        deal_id=deal.id,
        title=deal.title,
        customer_id=customer.id,
        customer_name=customer.name,
        owner_name=owner.full_name,
        amount=deal.amount,
        currency=deal.currency,
        probability=deal.probability,
        weighted=(deal.amount * deal.probability / 100).quantize(CENT),
        expected_close=deal.expected_close,
        timeframe=deal.timeframe,
        lost_reason=deal.lost_reason,
        lost_note=deal.lost_note,
        seen=seen,
    )


def move(
    session: Session,
    actor: Actor,
    deal_id: int,
    to_stage: str,
    *,
    reason: str | None,
    note: str | None,
    seen: str | None = None,
    now: datetime,
) -> DealView:
    """Move a deal from the board: ``deals.move_stage`` with its checks (visible, not read-only,
    not with an order, a lost reason for Lost, not moved since ``seen``); an unknown reason is no
    reason."""
    lost_reason = None
    if reason:
        try:
            lost_reason = LostReason(reason)
        except ValueError:
            lost_reason = None
    words = one_line(note or "")[:500] or None
    target = session.get(PipelineStage, to_stage)
    if target is not None and target.is_lost and lost_reason == LostReason.OTHER and not words:
        raise LostNoteNeeded()
    return move_stage(
        session, actor, deal_id, to_stage, lost_reason=lost_reason, note=words, seen=seen, now=now
    )
