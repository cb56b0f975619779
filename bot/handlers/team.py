"""/team (managers, directors, admins): per rep for a period, who needs help first (the order is
``bot.services.analytics.needs_help_first``); the period buttons and a director's team picker.
Reps are refused. What is counted is ``bot.services.analytics``."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.periods import period_row, show_team_picker, teams_row, view_parts
from bot.handlers.replies import Button, keyboard, render, show
from bot.services import analytics
from bot.services.analytics import PeriodKind, TeamReport

VIEW = "team"
PERIODS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.RANGE)
DEFAULT_PERIOD = PeriodKind.WEEK
# Reps shown, most in need first: the first number that keeps the text within one message wins.
REP_LIMITS = (30, 15, 8, 4)


def _report(context: BotContext, scope_token: str, period_token: str) -> TeamReport:
    deps = context.deps
    with deps.db.session() as session:
        scope = analytics.resolve_scope(session, context.me, scope_token)
        period = analytics.period_from_token(
            period_token, context.local_today(), frozenset(PERIODS)
        )
        return analytics.team_report(
            session,
            context.me,
            scope=scope,
            period=period,
            now=deps.now(),
            currency=deps.settings.default_currency,
        )


def report_text(update: Update, context: BotContext, report: TeamReport) -> tuple[str, int]:
    """The report with as many reps as fit one message, and that number."""
    for limit in REP_LIMITS[:-1]:
        try:
            return render(update, context, "team/report", report=report, limit=limit), limit
        except ValueError:
            continue
    limit = REP_LIMITS[-1]
    return render(update, context, "team/report", report=report, limit=limit), limit


async def send_team(
    update: Update, context: BotContext, scope_token: str, period_token: str
) -> None:
    """The report (a new message for the command, in place for a button)."""
    report = _report(context, scope_token, period_token)
    _, limit = report_text(update, context, report)
    rows: list[list[Button]] = [
        period_row(update, context, VIEW, report.scope, report.period, PERIODS)
    ]
    teams = teams_row(update, context, VIEW, report.scope, report.period)
    if teams:
        rows.append(teams)
    await show(
        update,
        context,
        "team/report",
        markup=keyboard(rows),
        report=report,
        limit=limit,
    )


async def team_command(update: Update, context: BotContext) -> None:
    """/team: this week, for the manager's team (every team for a director, finance or an admin)."""
    await send_team(update, context, "my", DEFAULT_PERIOD.value)


async def team_button(update: Update, context: BotContext) -> None:
    """``team:v:<scope>:<period>``: another period or team."""
    scope_token, period_token = view_parts(update, VIEW)
    await send_team(update, context, scope_token, period_token)


async def pick_team(update: Update, context: BotContext) -> None:
    """``team:teams:<period>``: a director's or an admin's choice of team."""
    await show_team_picker(update, context, VIEW)
