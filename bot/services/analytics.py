"""The manager's views: the funnel with its forecast (/funnel) and the team's performance per rep
(/team), for a period (this week, this month, this quarter, or a typed range of dates).

Who is counted: a rep their own deals (the funnel only), a manager their team, a director and an
admin every team or one team they pick (``resolve_scope``). Everything is counted and summed by
the database (GROUP BY, money in whole cents, exact on both databases): nothing here loads the
deals, touches or customers of a scope into Python, only one row per stage, rep or currency.

Only plain values come out of here; the words are ``templates/<lang>/funnel/`` and ``team/``,
the chart is ``bot.charts.pipeline_chart``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from bot.parsing.dates import parse_when
from bot.services.agenda import local_day_bounds
from bot.services.errors import NotAllowed, NotFound
from bot.services.people import Actor
from bot.services.visibility import owned_by_visible
from models import (
    Customer,
    Deal,
    DealTotal,
    Instalment,
    PipelineStage,
    Role,
    SalesOrder,
    Team,
    Touch,
    TouchKind,
    User,
)
from models.base import UTCDateTime

# Finance reads every team's numbers like a director (read-only: the views change nothing).
TEAM_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR, Role.FINANCE, Role.ADMIN})
ALL_TEAM_ROLES = frozenset({Role.DIRECTOR, Role.FINANCE, Role.ADMIN})
STAGE_PAGE_SIZE = 8
NEGLECTED_SHOWN = 3  # tier-A customers per rep, the longest without a touch first
LONGEST_RANGE_DAYS = 366
CENT = Decimal("0.01")


# -- periods ------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """Calendar days ``first`` to ``last`` (both included), in the reader's zone."""

    kind: PeriodKind
    first: date
    last: date

    @property
    def token(self) -> str:
        """How a button carries it: ``month``, or ``r20261101-20261130`` for a range."""
        if self.kind == PeriodKind.RANGE:
            return f"r{self.first:%Y%m%d}-{self.last:%Y%m%d}"
        return self.kind.value

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def period_of(kind: PeriodKind, today: date) -> Period:
    """This week (Monday to Sunday), this month or this quarter around ``today``."""
    if kind == PeriodKind.WEEK:
        monday = today - timedelta(days=today.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == PeriodKind.MONTH:
        first = today.replace(day=1)
        return Period(kind, first, _month_end(first))
    if kind == PeriodKind.QUARTER:
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, first, _month_end(date(first.year, first.month + 2, 1)))
    raise ValueError(kind)


_RANGE_TOKEN = re.compile(r"^r(\d{8})-(\d{8})$")


def period_from_token(token: str, today: date, allowed: frozenset[PeriodKind]) -> Period:
    """The period a button carries; NotFound for anything else (a forged or stale button)."""
    found = _RANGE_TOKEN.match(token)
    if found:
        try:
            first = datetime.strptime(found.group(1), "%Y%m%d").date()
            last = datetime.strptime(found.group(2), "%Y%m%d").date()
        except ValueError:
            raise NotFound() from None
        if PeriodKind.RANGE not in allowed or not _fair_range(first, last):
            raise NotFound()
        return Period(PeriodKind.RANGE, first, last)
    try:
        kind = PeriodKind(token)
    except ValueError:
        raise NotFound() from None
    if kind not in allowed or kind == PeriodKind.RANGE:
        raise NotFound()
    return period_of(kind, today)


def _fair_range(first: date, last: date) -> bool:
    return first <= last and (last - first).days < LONGEST_RANGE_DAYS


_RANGE_SEPARATORS = (
    r"\s+to\s+",
    r"\s+until\s+",
    r"\s*至\s*",
    r"\s*到\s*",
    r"\s*[~～–—]\s*",
    r"\s+-\s+",
    r"-",
    r"\s+",
)
_YEAR = re.compile(r"\d{4}")


def _range_day(text: str, today: date, zone: str, now: datetime) -> date | None:
    when = parse_when(text.strip(), now=now, zone=zone)
    if when is None or when.time is not None:
        return None
    day = when.day
    if _YEAR.search(text) is None:
        # No year typed: the year that puts the day nearest today ("1 Nov" in late November is
        # this November, not next year's).
        try:
            earlier = day.replace(year=day.year - 1)
        except ValueError:
            return day
        if abs((earlier - today).days) < abs((day - today).days):
            return earlier
    return day


def parse_range(text: str, *, now: datetime, zone: str) -> Period | None:
    """A typed range of two days (``1 Nov - 30 Nov``, ``2026-10-01 to 2026-12-31``,
    ``11月1日至11月30日``), first day first, at most a year long; None when it is not one."""
    today = now.astimezone(ZoneInfo(zone)).date()
    text = text.strip()
    for separator in _RANGE_SEPARATORS:
        parts = re.split(separator, text)
        if len(parts) != 2 or not all(part.strip() for part in parts):
            continue
        first = _range_day(parts[0], today, zone, now)
        last = _range_day(parts[1], today, zone, now)
        if first is None or last is None:
            continue
        if _fair_range(first, last):
            return Period(PeriodKind.RANGE, first, last)
        return None
    return None


# -- scope ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose work a view counts: the person's own (a rep), one team, or every team."""

    token: str  # "my" (the person's default) or "t<team id>"
    team_id: int | None
    team_name: str | None
    all_teams: bool
    own_only: bool
    can_pick_team: bool  # a director, finance or an admin: the "Teams" button


def resolve_scope(session: Session, actor: Actor, token: str) -> Scope:
    """The scope a command or button names, as this person may see it.

    ``my``: a rep's own deals, a manager's team, every team for a director, finance or an admin.
    ``t<id>``: one team, for a director, finance or an admin, or a manager's own team. Any
    other team, a missing one or a rep's ``t<id>`` is NotFound, like a team that does not
    exist."""
    can_pick = actor.role in ALL_TEAM_ROLES
    if token == "my":
        if actor.role == Role.REP:
            return Scope(token, None, None, False, True, False)
        if actor.role == Role.MANAGER:
            team = session.get(Team, actor.team_id) if actor.team_id is not None else None
            if team is None:  # a manager without a team sees their own work only
                return Scope(token, None, None, False, True, False)
            return Scope(token, team.id, team.name, False, False, False)
        return Scope(token, None, None, True, False, can_pick)
    found = re.fullmatch(r"t(\d{1,9})", token)
    if found is None or actor.role == Role.REP:
        raise NotFound()
    team_id = int(found.group(1))
    if actor.role == Role.MANAGER and team_id != actor.team_id:
        raise NotFound()
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound()
    return Scope(token, team.id, team.name, False, False, can_pick)


def _in_scope(actor: Actor, scope: Scope, owner_column: Any) -> ColumnElement[bool]:
    """Rows whose owner is visible to the person and inside the scope."""
    visible = owned_by_visible(actor, owner_column)
    if scope.own_only:
        return sa.and_(visible, col(owner_column) == actor.user_id)
    if scope.team_id is not None:
        members = select(User.id).where(User.team_id == scope.team_id)
        return sa.and_(visible, col(owner_column).in_(members.scalar_subquery()))
    return visible


@dataclass(frozen=True)
class TeamChoice:
    team_id: int
    name: str


def team_choices(session: Session, actor: Actor) -> list[TeamChoice]:
    """The teams a director, finance or an admin may pick, by name; others are refused."""
    if actor.role not in ALL_TEAM_ROLES:
        raise NotAllowed()
    return [
        TeamChoice(team.id or 0, team.name)
        for team in session.exec(select(Team).order_by(col(Team.name), col(Team.id)))
    ]


# -- sums in the database --------------------------------------------------------------------


def _cents(amount: Any) -> Any:
    """An amount in whole cents (SQLite keeps money as REAL: rounded before summing)."""
    return sa.cast(func.round(col(amount) * 100), sa.BigInteger)


def _money(cents: Any) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


def _weighted(cent_percents: Any) -> Decimal:
    """Cents × percent summed → money, rounded half up to the cent."""
    return Decimal(int(cent_percents or 0)).scaleb(-4).quantize(CENT, rounding=ROUND_HALF_UP)


def _days_between(session: Session, later: Any, earlier: Any) -> Any:
    """Days from ``earlier`` to ``later`` (fractional), in the database's own arithmetic."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        return func.julianday(col(later)) - func.julianday(col(earlier))
    return func.extract("epoch", col(later) - col(earlier)) / 86400.0


def _average_days(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _win_rate(won: int, lost: int) -> int | None:
    """Won of won and lost, in whole percent; None when nothing closed."""
    if won + lost == 0:
        return None
    return int((Decimal(won * 100) / (won + lost)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _stage_keys(session: Session) -> tuple[list[PipelineStage], list[str], list[str]]:
    """The open stages in pipeline order, and the keys of the won and the lost stages."""
    stages = list(session.exec(select(PipelineStage).order_by(col(PipelineStage.sequence))))
    open_stages = [stage for stage in stages if not (stage.is_won or stage.is_lost)]
    return (
        open_stages,
        [stage.key for stage in stages if stage.is_won],
        [stage.key for stage in stages if stage.is_lost],
    )


# -- the funnel -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Amounts:
    """Deals and their value (and probability-weighted value) in one currency."""

    count: int = 0
    value: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class StageRow:
    """Open deals in one stage: in the company currency (drawn), and in the others (told)."""

    stage_key: str
    probability: int  # the stage's default
    main: Amounts
    others: dict[str, Amounts] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self.main.count + sum(amounts.count for amounts in self.others.values())


@dataclass(frozen=True)
class Closed:
    """Deals won (or lost) in the period: how many, and their value per currency."""

    count: int
    values: dict[str, Decimal]


def _total(rows: list[StageRow]) -> tuple[Amounts, dict[str, Amounts]]:
    main = Amounts(
        sum(row.main.count for row in rows),
        sum((row.main.value for row in rows), Decimal("0.00")),
        sum((row.main.weighted for row in rows), Decimal("0.00")),
    )
    others: dict[str, list[Amounts]] = defaultdict(list)
    for row in rows:
        for currency, amounts in row.others.items():
            others[currency].append(amounts)
    return main, {
        currency: Amounts(
            sum(item.count for item in items),
            sum((item.value for item in items), Decimal("0.00")),
            sum((item.weighted for item in items), Decimal("0.00")),
        )
        for currency, items in sorted(others.items())
    }


@dataclass(frozen=True)
class Funnel:
    scope: Scope
    period: Period
    currency: str  # the company currency: drawn; others are listed apart
    stages: list[StageRow]  # every open stage, in pipeline order, as of now
    forecast: list[StageRow]  # open deals expected to close in the period, per stage
    undated: int  # open deals with no expected close date (in no forecast)
    won: Closed
    lost: Closed
    average_days_to_close: Decimal | None  # of the deals won in the period

    @property
    def open_total(self) -> tuple[Amounts, dict[str, Amounts]]:
        return _total(self.stages)

    @property
    def forecast_total(self) -> tuple[Amounts, dict[str, Amounts]]:
        return _total(self.forecast)

    @property
    def win_rate(self) -> int | None:
        return _win_rate(self.won.count, self.lost.count)


def _stage_rows(
    session: Session,
    open_stages: list[PipelineStage],
    currency: str,
    *conditions: ColumnElement[bool],
    totals: bool = False,
) -> list[StageRow]:
    """Open deals per open stage (every stage, empty ones too) and currency, summed by the
    database: one row per stage and currency comes back. The weighted value is the stage's
    value times the stage's probability. With ``totals`` (every open deal, conditions on
    ``DealTotal``) from the totals the database keeps per owner, stage and currency; else the
    sums come from an index alone (``ix_deal_forecast``), without reading the deals' rows."""
    probability = {stage.key: stage.probability for stage in open_stages}
    found: dict[str, dict[str, Amounts]] = defaultdict(dict)
    query = (
        sa.select(
            col(DealTotal.stage_key),
            col(DealTotal.currency),
            func.sum(DealTotal.deals),
            func.sum(DealTotal.cents),
        )
        .where(col(DealTotal.stage_key).in_(list(probability)), *conditions)
        .group_by(col(DealTotal.stage_key), col(DealTotal.currency))
        if totals
        else sa.select(
            col(Deal.stage_key), col(Deal.currency), func.count(), func.sum(_cents(Deal.amount))
        )
        .where(col(Deal.stage_key).in_(list(probability)), *conditions)
        .group_by(col(Deal.stage_key), col(Deal.currency))
    )
    for stage_key, deal_currency, count, value in session.execute(query):
        if not count:
            continue  # a group whose deals all moved on keeps its row at zero
        weighted = _weighted(int(value or 0) * probability[stage_key])
        found[stage_key][deal_currency] = Amounts(int(count), _money(value), weighted)
    rows = []
    for stage in open_stages:
        by_currency = found.get(stage.key, {})
        rows.append(
            StageRow(
                stage_key=stage.key,
                probability=stage.probability,
                main=by_currency.get(currency, Amounts()),
                others={
                    key: value for key, value in sorted(by_currency.items()) if key != currency
                },
            )
        )
    return rows


def _closed(
    session: Session,
    keys: list[str],
    start: datetime,
    end: datetime,
    condition: ColumnElement[bool],
    group: Any,
) -> dict[Any, tuple[int, dict[str, Decimal]]]:
    """Deals closed into ``keys`` from ``start`` to ``end``, per ``group`` value (an owner, or
    one literal for everyone): their count and value per currency."""
    found: dict[Any, tuple[int, dict[str, Decimal]]] = {}
    for key, deal_currency, count, value in session.execute(
        sa.select(group, col(Deal.currency), func.count(), func.sum(_cents(Deal.amount)))
        .where(
            col(Deal.stage_key).in_(keys),
            col(Deal.closed_at) >= start,
            col(Deal.closed_at) < end,
            condition,
        )
        .group_by(group, col(Deal.currency))
    ):
        total, values = found.get(key, (0, {}))
        values[deal_currency] = _money(value)
        found[key] = (total + int(count), values)
    return found


def _period_bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    start, _ = local_day_bounds(period.first, zone)
    _, end = local_day_bounds(period.last, zone)
    return start, end


def funnel(
    session: Session,
    actor: Actor,
    *,
    scope: Scope,
    period: Period,
    currency: str,
) -> Funnel:
    """The open deals per stage now, what is expected to close in the period (by the deal's
    expected close date, weighted by its stage's probability), and what was won and lost in
    the period (in the reader's zone), with the win rate and the average days to close."""
    open_stages, won_keys, lost_keys = _stage_keys(session)
    visible = _in_scope(actor, scope, Deal.owner_id)
    stages = _stage_rows(
        session, open_stages, currency, _in_scope(actor, scope, DealTotal.owner_id), totals=True
    )
    forecast = _stage_rows(
        session,
        open_stages,
        currency,
        visible,
        col(Deal.expected_close) >= period.first,
        col(Deal.expected_close) <= period.last,
    )
    undated = session.execute(
        sa.select(func.count())
        .select_from(Deal)
        .where(
            col(Deal.stage_key).in_([stage.key for stage in open_stages]),
            col(Deal.expected_close).is_(None),
            visible,
        )
    ).scalar_one()
    start, end = _period_bounds(period, actor.timezone)
    everyone = sa.literal(0)
    won = _closed(session, won_keys, start, end, visible, everyone).get(0, (0, {}))
    lost = _closed(session, lost_keys, start, end, visible, everyone).get(0, (0, {}))
    average = session.execute(
        sa.select(func.avg(_days_between(session, Deal.closed_at, Deal.created_at))).where(
            col(Deal.stage_key).in_(won_keys),
            col(Deal.closed_at) >= start,
            col(Deal.closed_at) < end,
            visible,
        )
    ).scalar_one()
    return Funnel(
        scope=scope,
        period=period,
        currency=currency,
        stages=stages,
        forecast=forecast,
        undated=int(undated),
        won=Closed(won[0], dict(sorted(won[1].items()))),
        lost=Closed(lost[0], dict(sorted(lost[1].items()))),
        average_days_to_close=_average_days(average),
    )


@dataclass(frozen=True)
class StageDeal:
    deal_id: int
    title: str
    customer_name: str
    owner_name: str
    amount: Decimal
    currency: str
    probability: int
    expected_close: date | None


@dataclass(frozen=True)
class StagePage:
    stage_key: str
    deals: list[StageDeal]
    page: int
    pages: int
    total: int


def stage_deals(
    session: Session, actor: Actor, *, scope: Scope, stage_key: str, page: int
) -> StagePage:
    """One page of an open stage's deals in the scope, those closing soonest first (no date
    last). A stage that is not an open one is NotFound."""
    open_stages, _, _ = _stage_keys(session)
    if stage_key not in {stage.key for stage in open_stages} or page < 0:
        raise NotFound()
    conditions = (col(Deal.stage_key) == stage_key, _in_scope(actor, scope, Deal.owner_id))
    total = int(
        session.execute(sa.select(func.count()).select_from(Deal).where(*conditions)).scalar_one()
    )
    pages = max(1, -(-total // STAGE_PAGE_SIZE))
    if page >= pages:
        raise NotFound()
    rows = session.execute(
        sa.select(
            col(Deal.id),
            col(Deal.title),
            col(Customer.name),
            col(User.full_name),
            col(Deal.amount),
            col(Deal.currency),
            col(Deal.probability),
            col(Deal.expected_close),
        )
        .join(Customer, col(Deal.customer_id) == col(Customer.id))
        .join(User, col(Deal.owner_id) == col(User.id))
        .where(*conditions)
        .order_by(
            sa.case((col(Deal.expected_close).is_(None), 1), else_=0),
            col(Deal.expected_close),
            col(Deal.id),
        )
        .limit(STAGE_PAGE_SIZE)
        .offset(page * STAGE_PAGE_SIZE)
    )
    return StagePage(
        stage_key=stage_key,
        deals=[
            StageDeal(deal_id or 0, title, customer, owner, amount, currency, probability, close)
            for deal_id, title, customer, owner, amount, currency, probability, close in rows
        ],
        page=page,
        pages=pages,
        total=total,
    )


# -- the team -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NeglectedCustomer:
    """A tier-A customer of the rep and how long since anyone's last touch with them."""

    customer_id: int
    name: str
    last_touch: datetime | None
    days: int | None  # None: never touched


@dataclass(frozen=True)
class RepRow:
    user_id: int
    name: str
    team_name: str | None
    visits: int
    calls: int
    new_deals: int
    won: Closed
    lost: Closed
    average_days_to_close: Decimal | None
    overdue_follow_ups: int
    overdue_money: dict[str, Decimal]  # money they collect that is past due, per currency
    neglected: list[NeglectedCustomer]  # tier A, longest without a touch first

    @property
    def win_rate(self) -> int | None:
        return _win_rate(self.won.count, self.lost.count)


@dataclass(frozen=True)
class TeamReport:
    scope: Scope
    period: Period
    currency: str
    reps: list[RepRow]  # who needs help first (see ``needs_help_first``)


def needs_help_first(row: RepRow, currency: str) -> tuple[Any, ...]:
    """The order of /team: most overdue follow-ups first, then most money overdue (in the
    company currency, then in all currencies together), then the tier-A customer left longest
    without a touch (never touched counts as longest), then the lowest win rate (none last),
    then the name."""
    worst_days = max(
        (10**6 if item.days is None else item.days for item in row.neglected), default=-1
    )
    return (
        -row.overdue_follow_ups,
        -row.overdue_money.get(currency, Decimal(0)),
        -sum(row.overdue_money.values(), Decimal(0)),
        -worst_days,
        row.win_rate if row.win_rate is not None else 101,
        row.name,
        row.user_id,
    )


def team_report(
    session: Session,
    actor: Actor,
    *,
    scope: Scope,
    period: Period,
    now: datetime,
    currency: str,
) -> TeamReport:
    """Per active rep of the scope, for the period: visits, calls, new deals, won and lost,
    win rate, average days to close; and as of now: overdue follow-ups, overdue money they
    collect, and their tier-A customers left longest without a touch. Reps are refused."""
    if actor.role not in TEAM_ROLES:
        raise NotAllowed()
    reps = {
        user.id or 0: user
        for user in session.exec(
            select(User).where(
                User.role == Role.REP,
                col(User.is_active).is_(True),
                _in_scope(actor, scope, User.id),
            )
        )
    }
    teams = {team.id: team.name for team in session.exec(select(Team))}
    start, end = _period_bounds(period, actor.timezone)
    in_scope = _in_scope(actor, scope, Deal.owner_id)

    touches: dict[tuple[int, str], int] = {}
    for author_id, kind, count in session.execute(
        sa.select(col(Touch.author_id), col(Touch.kind), func.count())
        .where(
            col(Touch.created_at) >= start,
            col(Touch.created_at) < end,
            col(Touch.deleted_at).is_(None),
            col(Touch.kind).in_([TouchKind.VISIT.value, TouchKind.CALL.value]),
            _in_scope(actor, scope, Touch.author_id),
        )
        .group_by(col(Touch.author_id), col(Touch.kind))
    ):
        touches[(author_id, kind)] = int(count)

    new_deals: dict[int, int] = {
        owner_id: int(count)
        for owner_id, count in session.execute(
            sa.select(col(Deal.owner_id), func.count())
            .where(col(Deal.created_at) >= start, col(Deal.created_at) < end, in_scope)
            .group_by(col(Deal.owner_id))
        )
    }
    _, won_keys, lost_keys = _stage_keys(session)
    owner = col(Deal.owner_id)
    won = _closed(session, won_keys, start, end, in_scope, owner)
    lost = _closed(session, lost_keys, start, end, in_scope, owner)
    averages: dict[int, Decimal | None] = {
        owner_id: _average_days(average)
        for owner_id, average in session.execute(
            sa.select(owner, func.avg(_days_between(session, Deal.closed_at, Deal.created_at)))
            .where(
                col(Deal.stage_key).in_(won_keys),
                col(Deal.closed_at) >= start,
                col(Deal.closed_at) < end,
                in_scope,
            )
            .group_by(owner)
        )
    }
    follow_ups = _overdue_follow_ups(session, actor, scope, now)
    money = _overdue_money(session, actor, scope, now)
    neglected = _neglected_tier_a(session, actor, scope, now)

    rows = [
        RepRow(
            user_id=user_id,
            name=user.full_name,
            team_name=teams.get(user.team_id) if user.team_id else None,
            visits=touches.get((user_id, TouchKind.VISIT.value), 0),
            calls=touches.get((user_id, TouchKind.CALL.value), 0),
            new_deals=new_deals.get(user_id, 0),
            won=Closed(
                won.get(user_id, (0, {}))[0], dict(sorted(won.get(user_id, (0, {}))[1].items()))
            ),
            lost=Closed(
                lost.get(user_id, (0, {}))[0], dict(sorted(lost.get(user_id, (0, {}))[1].items()))
            ),
            average_days_to_close=averages.get(user_id),
            overdue_follow_ups=follow_ups.get(user_id, 0),
            overdue_money=dict(sorted(money.get(user_id, {}).items())),
            neglected=neglected.get(user_id, []),
        )
        for user_id, user in reps.items()
    ]
    rows.sort(key=lambda row: needs_help_first(row, currency))
    return TeamReport(scope=scope, period=period, currency=currency, reps=rows)


def _overdue_follow_ups(
    session: Session, actor: Actor, scope: Scope, now: datetime
) -> dict[int, int]:
    """Open follow-ups per author as of ``now``: with a time, once it has passed; a date alone,
    from the next day in the author's zone (as the digest counts them). One statement: the
    start of today in each author's zone is picked by a CASE over the few zones people use."""
    zones = [
        zone
        for (zone,) in session.execute(
            sa.select(col(User.timezone))
            .where(_in_scope(actor, scope, User.id))
            .group_by(col(User.timezone))
        )
    ]
    if not zones:
        return {}
    starts = {
        zone: local_day_bounds(now.astimezone(ZoneInfo(zone)).date(), zone)[0] for zone in zones
    }
    instant = UTCDateTime()
    today_starts = sa.case(
        *(
            (col(User.timezone) == zone, sa.literal(start, instant))
            for zone, start in starts.items()
        ),
        else_=sa.literal(now, instant),
    )
    return {
        author_id: int(count)
        for author_id, count in session.execute(
            sa.select(col(Touch.author_id), func.count())
            .join(User, col(Touch.author_id) == col(User.id))
            .where(
                col(Touch.follow_up_done_at).is_(None),
                col(Touch.follow_up_at) < now,
                col(Touch.deleted_at).is_(None),
                _in_scope(actor, scope, Touch.author_id),
                sa.or_(
                    col(Touch.follow_up_has_time).is_(True),
                    col(Touch.follow_up_at) < today_starts,
                ),
            )
            .group_by(col(Touch.author_id))
        )
    }


def _overdue_money(
    session: Session, actor: Actor, scope: Scope, now: datetime
) -> dict[int, dict[str, Decimal]]:
    """Per collector (the order's payment owner) and currency: what was due before today (the
    reader's) and is not paid yet. Payments settle the earliest instalments first, so an order's
    overdue money is what its instalments due so far add up to beyond what was paid."""
    today = now.astimezone(ZoneInfo(actor.timezone)).date()
    paid = _cents(SalesOrder.paid_total)
    per_order = (
        sa.select(
            col(SalesOrder.payment_owner_id).label("collector"),
            col(SalesOrder.currency).label("currency"),
            paid.label("paid"),
            func.sum(_cents(Instalment.amount)).label("due"),
        )
        .join(Instalment, col(Instalment.order_id) == col(SalesOrder.id))
        .where(
            col(SalesOrder.paid_total) < col(SalesOrder.total),
            col(Instalment.due_date) < today,
            _in_scope(actor, scope, SalesOrder.payment_owner_id),
        )
        .group_by(
            col(SalesOrder.id),
            col(SalesOrder.payment_owner_id),
            col(SalesOrder.currency),
            col(SalesOrder.paid_total),
        )
        .subquery()
    )
    late = sa.case(
        (per_order.c.due > per_order.c.paid, per_order.c.due - per_order.c.paid), else_=0
    )
    found: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for collector, order_currency, cents in session.execute(
        sa.select(per_order.c.collector, per_order.c.currency, func.sum(late)).group_by(
            per_order.c.collector, per_order.c.currency
        )
    ):
        if cents:
            found[collector][order_currency] = _money(cents)
    return found


def _neglected_tier_a(
    session: Session, actor: Actor, scope: Scope, now: datetime
) -> dict[int, list[NeglectedCustomer]]:
    """Per owner, their tier-A customers left longest without a live touch (never touched
    first), at most ``NEGLECTED_SHOWN`` each: ranked by the database (a window function)."""
    last = (
        sa.select(
            col(Customer.id).label("customer_id"),
            col(Customer.owner_id).label("owner_id"),
            col(Customer.name).label("name"),
            func.max(col(Touch.created_at)).label("last_touch"),
        )
        .select_from(Customer)
        .outerjoin(
            Touch,
            sa.and_(col(Touch.customer_id) == col(Customer.id), col(Touch.deleted_at).is_(None)),
        )
        .where(col(Customer.tier) == "A", _in_scope(actor, scope, Customer.owner_id))
        .group_by(col(Customer.id), col(Customer.owner_id), col(Customer.name))
        .subquery()
    )
    ranked = sa.select(
        last.c.customer_id,
        last.c.owner_id,
        last.c.name,
        last.c.last_touch,
        func.row_number()
        .over(
            partition_by=last.c.owner_id,
            order_by=(
                sa.case((last.c.last_touch.is_(None), 0), else_=1),
                last.c.last_touch,
                last.c.customer_id,
            ),
        )
        .label("rank"),
    ).subquery()
    today = now.astimezone(ZoneInfo(actor.timezone)).date()
    found: dict[int, list[NeglectedCustomer]] = defaultdict(list)
    for customer_id, owner_id, name, last_touch, _rank in session.execute(
        sa.select(ranked)
        .where(ranked.c.rank <= NEGLECTED_SHOWN)
        .order_by(ranked.c.owner_id, ranked.c.rank)
    ):
        instant = _aware(last_touch)
        days = (
            None
            if instant is None
            else (today - instant.astimezone(ZoneInfo(actor.timezone)).date()).days
        )
        found[owner_id].append(NeglectedCustomer(customer_id, name, instant, days))
    return found


def _aware(value: datetime | str | None) -> datetime | None:
    """An instant read back through a subquery (SQLite may hand back naive UTC or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
