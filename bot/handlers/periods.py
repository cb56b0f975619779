"""What /funnel and /team share: the period buttons (this week, this month, this quarter, a
typed range), the team picker of directors and admins, and reading those buttons back.

Callback data: ``<view>:v:<scope>:<period>`` shows a view, ``<view>:teams:<period>`` lists the
teams, ``<view>:range:<scope>`` asks for days (``bot.conversations.period_range``). ``<scope>``
is ``my`` or ``t<team id>``; ``<period>`` is ``week``, ``month``, ``quarter`` or
``r20261101-20261130``. Every press is checked again by the services (``resolve_scope``)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import Button, callback_parts, keyboard, label, show
from bot.services import analytics
from bot.services.analytics import Period, PeriodKind, Scope

CALLBACK_LIMIT = 64  # bytes of callback data Telegram accepts


def fits(data: str) -> bool:
    return len(data.encode()) <= CALLBACK_LIMIT


def period_row(
    update: Update,
    context: BotContext,
    view: str,
    scope: Scope,
    period: Period,
    kinds: tuple[PeriodKind, ...],
) -> list[Button]:
    """The period choices, the one shown ticked; the last asks for typed days."""
    row = [
        (
            label(update, context, "period_button", kind.value, kind == period.kind),
            f"{view}:v:{scope.token}:{kind.value}",
        )
        for kind in kinds
        if kind != PeriodKind.RANGE
    ]
    row.append(
        (
            label(update, context, "period_range", period.kind == PeriodKind.RANGE),
            f"{view}:range:{scope.token}",
        )
    )
    return row


def teams_row(
    update: Update, context: BotContext, view: str, scope: Scope, period: Period
) -> list[Button]:
    if not scope.can_pick_team:
        return []
    return [(label(update, context, "pick_team"), f"{view}:teams:{period.token}")]


def view_parts(update: Update, view: str) -> tuple[str, str]:
    """(scope token, period token) of a ``<view>:v:<scope>:<period>`` button ("" if missing)."""
    parts = callback_parts(update, view)
    if len(parts) != 3:
        return "", ""
    return parts[1], parts[2]


async def show_team_picker(update: Update, context: BotContext, view: str) -> None:
    """``<view>:teams:<period>``: every team, and all teams, for a director, finance or an admin."""
    parts = callback_parts(update, view)
    period_token = parts[1] if len(parts) == 2 else ""
    with context.deps.db.session() as session:
        teams = analytics.team_choices(session, context.me)
        analytics.period_from_token(
            period_token, context.local_today(), frozenset(PeriodKind)
        )  # a forged period is refused here, not after a pick
    rows: list[list[Button]] = [
        [(label(update, context, "all_teams"), f"{view}:v:my:{period_token}")]
    ]
    rows += [
        [(label(update, context, "team_button", team.name), data)]
        for team in teams
        if fits(data := f"{view}:v:t{team.team_id}:{period_token}")
    ]
    await show(update, context, "periods/pick_team", markup=keyboard(rows), view=view)
