"""The manager's digest of a day: touches per rep, stage moves, deals won and lost, new quotes
and quotes waiting for approval, what is overdue per rep (follow-ups and payments), and the
funnel of open deals. A manager sees their team (and themselves), a director and an admin every
team; a rep has no digest.

Only plain values come out of here; the text is ``templates/<lang>/digest/`` and the chart is
``bot.charts``. When it is sent (on demand or at DIGEST_TIME) is not decided here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from bot.services.agenda import local_day_bounds
from bot.services.errors import NotAllowed
from bot.services.orders import OpenInstalment, open_instalments
from bot.services.people import Actor
from bot.services.visibility import owned_by_visible
from models import (
    Customer,
    Deal,
    DealStageChange,
    DealTotal,
    PipelineStage,
    Quote,
    QuoteStatus,
    Role,
    Team,
    Touch,
    TouchKind,
    User,
)
from models.sales import follow_up_holder

DIGEST_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.ADMIN})
PENDING = (QuoteStatus.PENDING_MANAGER.value, QuoteStatus.PENDING_DIRECTOR.value)
KIND_ORDER = [kind.value for kind in TouchKind]


@dataclass(frozen=True)
class OverdueFollowUp:
    touch_id: int
    customer_id: int
    customer_name: str
    next_step: str | None
    due_at: datetime
    has_time: bool


@dataclass(frozen=True)
class PersonDay:
    """One person of the digest: their touches of the day and what of theirs is overdue."""

    user_id: int
    name: str
    team_name: str | None
    is_rep: bool
    touches: dict[str, int]  # touch kind → count, in TouchKind order
    overdue_follow_ups: list[OverdueFollowUp]
    overdue_payments: list[OpenInstalment]

    @property
    def touch_count(self) -> int:
        return sum(self.touches.values())

    @property
    def overdue_by_currency(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for item in self.overdue_payments:
            totals[item.currency] += item.unpaid
        return dict(totals)

    @property
    def has_overdue(self) -> bool:
        return bool(self.overdue_follow_ups or self.overdue_payments)


@dataclass(frozen=True)
class StageMove:
    deal_id: int
    title: str
    customer_name: str
    from_stage: str
    to_stage: str
    by_name: str
    at: datetime


@dataclass(frozen=True)
class ClosedDeal:
    """A deal won or lost that day (and still won or lost)."""

    deal_id: int
    title: str
    customer_name: str
    owner_name: str
    amount: Decimal
    currency: str
    at: datetime
    lost_reason: str | None = None
    lost_note: str | None = None


@dataclass(frozen=True)
class QuoteItem:
    quote_id: int
    number: str | None
    deal_title: str
    customer_name: str
    owner_name: str
    total: Decimal
    currency: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class FunnelRow:
    """Open deals in one stage: those in the digest's currency (drawn), and the others (told)."""

    stage_key: str
    count: int
    value: Decimal
    other_count: int = 0
    other_values: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Digest:
    day: date
    all_teams: bool  # a director's or an admin's digest
    team_name: str | None  # a manager's team (None for every team, or a manager without one)
    currency: str  # the funnel's drawn currency (DEFAULT_CURRENCY)
    people: list[PersonDay]
    moves: list[StageMove]
    won: list[ClosedDeal]
    lost: list[ClosedDeal]
    new_quotes: list[QuoteItem]
    pending_quotes: list[QuoteItem]
    funnel: list[FunnelRow]

    @property
    def active(self) -> list[PersonDay]:
        """People who logged touches that day, most first."""
        return sorted(
            (person for person in self.people if person.touch_count),
            key=lambda person: (-person.touch_count, person.name),
        )

    @property
    def idle(self) -> list[PersonDay]:
        """Reps who logged no touch that day."""
        return [person for person in self.people if person.is_rep and not person.touch_count]

    @property
    def overdue(self) -> list[PersonDay]:
        return [person for person in self.people if person.has_overdue]

    @property
    def touch_total(self) -> int:
        return sum(person.touch_count for person in self.people)

    @property
    def open_count(self) -> int:
        return sum(row.count + row.other_count for row in self.funnel)

    @property
    def open_values(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for row in self.funnel:
            if row.count:
                totals[self.currency] += row.value
            for currency, value in row.other_values.items():
                totals[currency] += value
        return dict(totals)

    @property
    def other_currencies(self) -> list[FunnelRow]:
        """Stages holding deals in other currencies than the drawn one."""
        return [row for row in self.funnel if row.other_count]

    @property
    def empty(self) -> bool:
        """Nothing happened, nothing waits for approval and nothing is overdue."""
        return not (
            self.touch_total
            or self.moves
            or self.won
            or self.lost
            or self.new_quotes
            or self.pending_quotes
            or self.overdue
        )


def team_digest(
    session: Session, actor: Actor, *, day: date, now: datetime, currency: str
) -> Digest:
    """The digest of ``day`` (the reader's local day) as it stands at ``now``: a manager's team
    (and the manager), or every team for a director or an admin. Reps are refused."""
    if actor.role not in DIGEST_ROLES:
        raise NotAllowed()
    start, end = local_day_bounds(day, actor.timezone)
    people = {
        user.id or 0: user
        for user in session.exec(
            select(User).where(owned_by_visible(actor, User.id)).order_by(col(User.id))
        )
    }
    teams = {team.id: team.name for team in session.exec(select(Team))}

    touches: dict[int, Counter[str]] = defaultdict(Counter)
    for author_id, kind, count in session.exec(
        select(Touch.author_id, Touch.kind, func.count())
        .where(
            col(Touch.created_at) >= start,
            col(Touch.created_at) < end,
            col(Touch.deleted_at).is_(None),
            owned_by_visible(actor, Touch.author_id),
        )
        .group_by(col(Touch.author_id), col(Touch.kind))
    ):
        touches[author_id][kind] += count

    follow_ups = _overdue_follow_ups(session, actor, people, now)
    payments: dict[int, list[OpenInstalment]] = defaultdict(list)
    for item in open_instalments(session, due_until=day - timedelta(days=1)):
        if item.payment_owner_id in people:
            payments[item.payment_owner_id].append(item)

    rows = []
    for user_id, user in people.items():
        counts = touches.get(user_id, Counter())
        is_rep = user.role == Role.REP and user.is_active
        if not (is_rep or counts or follow_ups.get(user_id) or payments.get(user_id)):
            continue
        rows.append(
            PersonDay(
                user_id=user_id,
                name=user.full_name,
                team_name=teams.get(user.team_id) if user.team_id else None,
                is_rep=is_rep,
                touches={kind: counts[kind] for kind in _kinds(counts) if counts[kind]},
                overdue_follow_ups=follow_ups.get(user_id, []),
                overdue_payments=payments.get(user_id, []),
            )
        )
    rows.sort(key=lambda person: (person.team_name or "", person.name, person.user_id))

    stages = {stage.key: stage for stage in session.exec(select(PipelineStage))}
    moves, won, lost = _moves(session, actor, stages, people, start, end)
    all_teams = actor.role in (Role.DIRECTOR, Role.ADMIN)
    return Digest(
        day=day,
        all_teams=all_teams,
        team_name=None if all_teams or actor.team_id is None else teams.get(actor.team_id),
        currency=currency,
        people=rows,
        moves=moves,
        won=won,
        lost=lost,
        new_quotes=_quotes(
            session,
            actor,
            people,
            col(Quote.created_at) >= start,
            col(Quote.created_at) < end,
        ),
        pending_quotes=_quotes(session, actor, people, col(Quote.status).in_(PENDING)),
        funnel=_funnel(session, actor, stages, currency),
    )


def _local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


def _kinds(counts: Counter[str]) -> list[str]:
    return KIND_ORDER + sorted(kind for kind in counts if kind not in KIND_ORDER)


def _overdue_follow_ups(
    session: Session, actor: Actor, people: dict[int, User], now: datetime
) -> dict[int, list[OverdueFollowUp]]:
    """Open follow-ups before now: with a time, once it has passed; a date alone, from the next
    day in the author's zone (where it was promised)."""
    found: dict[int, list[OverdueFollowUp]] = defaultdict(list)
    rows = session.execute(
        sa.select(
            col(Touch.id),
            follow_up_holder(),
            col(Touch.next_step),
            col(Touch.follow_up_at),
            col(Touch.follow_up_has_time),
            col(Customer.id),
            col(Customer.name),
        )
        .join(Customer, col(Touch.customer_id) == col(Customer.id))
        .where(
            col(Touch.follow_up_done_at).is_(None),
            col(Touch.follow_up_at) < now,
            col(Touch.deleted_at).is_(None),
            sa.or_(
                sa.and_(
                    col(Touch.follow_up_owner_id).is_(None),
                    owned_by_visible(actor, Touch.author_id),
                ),
                owned_by_visible(actor, Touch.follow_up_owner_id),
            ),
        )
        .order_by(col(Touch.follow_up_at), col(Touch.id))
    )
    for touch_id, author_id, next_step, due, has_time, customer_id, customer_name in rows:
        author = people.get(author_id)
        if due is None or author is None:
            continue
        zone = author.timezone
        if not has_time and _local_date(due, zone) >= _local_date(now, zone):
            continue  # a date alone is due all that day
        found[author_id].append(
            OverdueFollowUp(
                touch_id=touch_id or 0,
                customer_id=customer_id or 0,
                customer_name=customer_name,
                next_step=next_step,
                due_at=due,
                has_time=has_time,
            )
        )
    return found


def _moves(
    session: Session,
    actor: Actor,
    stages: dict[str, PipelineStage],
    people: dict[int, User],
    start: datetime,
    end: datetime,
) -> tuple[list[StageMove], list[ClosedDeal], list[ClosedDeal]]:
    """The day's moves between stages (not a deal's creation); a move to won or lost counts as
    won or lost when the deal still stands there."""
    # Only the columns shown: a busy day at a large company has thousands of moves.
    rows = session.execute(
        sa.select(
            col(DealStageChange.from_stage),
            col(DealStageChange.to_stage),
            col(DealStageChange.changed_at),
            col(DealStageChange.lost_reason),
            col(DealStageChange.note),
            col(Deal.id),
            col(Deal.title),
            col(Deal.stage_key),
            col(Deal.owner_id),
            col(Deal.amount),
            col(Deal.currency),
            col(Customer.name),
            col(User.full_name),
        )
        .join(Deal, col(DealStageChange.deal_id) == col(Deal.id))
        .join(Customer, col(Deal.customer_id) == col(Customer.id))
        .join(User, col(DealStageChange.changed_by_id) == col(User.id))
        .where(
            col(DealStageChange.changed_at) >= start,
            col(DealStageChange.changed_at) < end,
            col(DealStageChange.from_stage).is_not(None),
            owned_by_visible(actor, Deal.owner_id),
        )
        .order_by(col(DealStageChange.changed_at), col(DealStageChange.id))
    ).all()
    moves: list[StageMove] = []
    closed: dict[int, tuple[ClosedDeal, bool]] = {}
    for (
        from_stage,
        to_stage,
        changed_at,
        lost_reason,
        note,
        found_id,
        title,
        stage_key,
        owner_id,
        amount,
        currency,
        customer_name,
        mover_name,
    ) in rows:
        target = stages.get(to_stage)
        deal_id = found_id or 0
        if target is not None and (target.is_won or target.is_lost):
            if stage_key != to_stage:
                closed.pop(deal_id, None)
                continue
            owner = people.get(owner_id)
            closed[deal_id] = (
                ClosedDeal(
                    deal_id=deal_id,
                    title=title,
                    customer_name=customer_name,
                    owner_name=owner.full_name if owner else "",
                    amount=amount,
                    currency=currency,
                    at=changed_at,
                    lost_reason=lost_reason if target.is_lost else None,
                    lost_note=note if target.is_lost else None,
                ),
                target.is_won,
            )
            continue
        moves.append(
            StageMove(
                deal_id=deal_id,
                title=title,
                customer_name=customer_name,
                from_stage=from_stage or "",
                to_stage=to_stage,
                by_name=mover_name,
                at=changed_at,
            )
        )
    won = [deal for deal, is_won in closed.values() if is_won]
    lost = [deal for deal, is_won in closed.values() if not is_won]
    return moves, won, lost


def _quotes(
    session: Session, actor: Actor, people: dict[int, User], *conditions: ColumnElement[bool]
) -> list[QuoteItem]:
    rows = session.execute(
        sa.select(
            col(Quote.id),
            col(Quote.number),
            col(Quote.owner_id),
            col(Quote.total),
            col(Quote.currency),
            col(Quote.status),
            col(Quote.created_at),
            col(Deal.title),
            col(Customer.name),
        )
        .join(Deal, col(Quote.deal_id) == col(Deal.id))
        .join(Customer, col(Quote.customer_id) == col(Customer.id))
        .where(owned_by_visible(actor, Quote.owner_id), *conditions)
        .order_by(col(Quote.created_at), col(Quote.id))
    )
    items = []
    for quote_id, number, owner_id, total, currency, status, created_at, title, name in rows:
        owner = people.get(owner_id)
        items.append(
            QuoteItem(
                quote_id=quote_id or 0,
                number=number,
                deal_title=title,
                customer_name=name,
                owner_name=owner.full_name if owner else "",
                total=total,
                currency=currency,
                status=status,
                created_at=created_at,
            )
        )
    return items


def _funnel(
    session: Session, actor: Actor, stages: dict[str, PipelineStage], currency: str
) -> list[FunnelRow]:
    """Open deals per open stage in pipeline order: count and value in ``currency``, and the
    deals in other currencies with their totals. Read from the totals the database keeps per
    owner, stage and currency (``DealTotal``, whole cents): a few rows per person, however many
    deals they hold."""
    counts: Counter[str] = Counter()
    values: dict[str, Decimal] = defaultdict(Decimal)
    other_counts: Counter[str] = Counter()
    other_values: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    open_keys = [key for key, stage in stages.items() if not (stage.is_won or stage.is_lost)]
    for stage_key, deal_currency, count, total in session.exec(
        select(
            DealTotal.stage_key,
            DealTotal.currency,
            func.sum(DealTotal.deals),
            func.sum(DealTotal.cents),
        )
        .where(
            col(DealTotal.stage_key).in_(open_keys),
            owned_by_visible(actor, DealTotal.owner_id),
        )
        .group_by(col(DealTotal.stage_key), col(DealTotal.currency))
    ):
        if not count:
            continue
        amount = Decimal(int(total or 0)).scaleb(-2)
        if deal_currency == currency:
            counts[stage_key] += count
            values[stage_key] += amount
        else:
            other_counts[stage_key] += count
            other_values[stage_key][deal_currency] += amount
    return [
        FunnelRow(
            stage_key=stage.key,
            count=counts[stage.key],
            value=values[stage.key],
            other_count=other_counts[stage.key],
            other_values=dict(sorted(other_values[stage.key].items())),
        )
        for stage in sorted(stages.values(), key=lambda stage: stage.sequence)
        if not (stage.is_won or stage.is_lost)
    ]
