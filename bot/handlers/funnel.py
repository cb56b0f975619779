"""/funnel: the open deals per stage and the forecast of the period, as a chart picture with the
numbers in the message; the period buttons, a director's team picker, a stage's deals (paged)
and from there a deal's card (``deal:open``). What is counted is ``bot.services.analytics``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Update

from bot.charts import PipelineBar, PipelineChart, PipelineWords, pipeline_chart
from bot.context import BotContext
from bot.handlers.periods import fits, period_row, show_team_picker, teams_row, view_parts
from bot.handlers.replies import (
    Button,
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    label,
    page_part,
    pager,
    reader_language,
    render,
    show,
)
from bot.rendering import Renderer
from bot.services import analytics
from bot.services.analytics import Funnel, Period, PeriodKind
from bot.services.errors import NotFound

VIEW = "fun"
PERIODS = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.RANGE)
DEFAULT_PERIOD = PeriodKind.MONTH


def chart_of(
    renderer: Renderer, language: str | None, funnel: Funnel, font: Path | None
) -> PipelineChart:
    """The funnel's chart in the company currency: a bar per open stage, then the forecast."""
    stages = [
        PipelineBar(
            renderer.label(language, "stage", row.stage_key),
            row.main.count,
            row.main.value,
            row.main.weighted,
        )
        for row in funnel.stages
    ]
    total, _ = funnel.forecast_total
    forecast = PipelineBar(
        renderer.label(language, "funnel_forecast_bar", funnel.period),
        total.count,
        total.value,
        total.weighted,
    )
    words = PipelineWords(
        title=renderer.label(language, "funnel_chart_title", funnel.scope, funnel.period),
        subtitle=renderer.label(language, "funnel_chart_subtitle", funnel.currency),
        label=lambda bar: renderer.label(language, "funnel_chart_bar", bar, funnel.currency),
    )
    return pipeline_chart(stages, forecast, words=words, font=font)


def _funnel(context: BotContext, scope_token: str, period_token: str) -> Funnel:
    deps = context.deps
    with deps.db.session() as session:
        scope = analytics.resolve_scope(session, context.me, scope_token)
        period = analytics.period_from_token(
            period_token, context.local_today(), frozenset(PERIODS)
        )
        return analytics.funnel(
            session, context.me, scope=scope, period=period, currency=deps.settings.default_currency
        )


def _rows(update: Update, context: BotContext, funnel: Funnel) -> list[list[Button]]:
    period = funnel.period.token
    stage_buttons = [
        (
            label(update, context, "funnel_stage_button", row.stage_key, row.count),
            data,
        )
        for row in funnel.stages
        if row.count and fits(data := f"{VIEW}:s:{funnel.scope.token}:{period}:{row.stage_key}:0")
    ]
    rows = [stage_buttons[i : i + 2] for i in range(0, len(stage_buttons), 2)]
    rows.append(period_row(update, context, VIEW, funnel.scope, funnel.period, PERIODS))
    teams = teams_row(update, context, VIEW, funnel.scope, funnel.period)
    if teams:
        rows.append(teams)
    return rows


async def send_funnel(
    update: Update, context: BotContext, scope_token: str, period_token: str
) -> None:
    """The chart (a photo), then the numbers with the buttons (a new message each time)."""
    funnel = _funnel(context, scope_token, period_token)
    chat = update.effective_chat
    if update.callback_query is not None:
        await answer_query(update)
    if chat is None:
        return
    language = reader_language(update, context)
    chart = await asyncio.to_thread(
        chart_of, context.deps.renderer, language, funnel, context.deps.documents.font
    )
    caption = render(update, context, "funnel/chart_caption", funnel=funnel)
    await context.bot.send_photo(chat.id, chart.png, caption=caption)
    text = render(update, context, "funnel/view", funnel=funnel)
    await context.bot.send_message(
        chat.id, text, reply_markup=keyboard(_rows(update, context, funnel))
    )


async def funnel_command(update: Update, context: BotContext) -> None:
    """/funnel: this month, for the person's own scope (their deals, team, or every team)."""
    await send_funnel(update, context, "my", DEFAULT_PERIOD.value)


async def funnel_button(update: Update, context: BotContext) -> None:
    """``fun:v:<scope>:<period>``: another period or team: a new chart and numbers."""
    scope_token, period_token = view_parts(update, VIEW)
    await send_funnel(update, context, scope_token, period_token)


async def back_to_funnel(update: Update, context: BotContext) -> None:
    """``fun:b:<scope>:<period>``: the numbers again in place of a stage's list (no new chart)."""
    parts = callback_parts(update, VIEW)
    if len(parts) != 3:
        raise NotFound()
    funnel = _funnel(context, parts[1], parts[2])
    await show(
        update,
        context,
        "funnel/view",
        markup=keyboard(_rows(update, context, funnel)),
        funnel=funnel,
    )


async def stage_deals(update: Update, context: BotContext) -> None:
    """``fun:s:<scope>:<period>:<stage>:<page>``: one page of a stage's open deals."""
    parts = callback_parts(update, VIEW)
    page_number = page_part(parts, 4)
    if len(parts) != 5 or int_part(parts, 4) is None:
        raise NotFound()
    _, scope_token, period_token, stage_key, _ = parts
    with context.deps.db.session() as session:
        scope = analytics.resolve_scope(session, context.me, scope_token)
        period: Period = analytics.period_from_token(
            period_token, context.local_today(), frozenset(PERIODS)
        )
        page = analytics.stage_deals(
            session, context.me, scope=scope, stage_key=stage_key, page=page_number
        )
    rows: list[list[Button]] = [
        [(label(update, context, "deal_button", deal), f"deal:open:{deal.deal_id}")]
        for deal in page.deals
    ]
    prefix = f"{VIEW}:s:{scope.token}:{period.token}:{stage_key}"
    paging = pager(update, context, page.page, page.pages, prefix)
    if paging:
        rows.append(paging)
    rows.append(
        [(label(update, context, "back_to_funnel"), f"{VIEW}:b:{scope.token}:{period.token}")]
    )
    await show(
        update,
        context,
        "funnel/stage",
        markup=keyboard(rows),
        page=page,
        scope=scope,
        show_owner=not scope.own_only,
    )


async def pick_team(update: Update, context: BotContext) -> None:
    """``fun:teams:<period>``: a director's or an admin's choice of team."""
    await show_team_picker(update, context, VIEW)
