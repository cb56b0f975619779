"""/segments: the customers a person may see, counted per tier and per lifecycle stage, as
buttons; a tap lists that segment a page at a time (each customer opens its card); an admin's
``/segments recompute`` works every customer out again now."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.context import BotContext
from bot.conversations.pick import customer_buttons
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    page_part,
    pager,
    reply,
    show,
)
from bot.services import segments
from bot.services.errors import NotFound
from models import Role

KINDS = {"t": "tier", "s": "stage"}
RECOMPUTE_WORDS = {"recompute", "重新计算", "计算"}


def _segment_buttons(
    update: Update, context: BotContext, counts: segments.Counts
) -> list[list[tuple[str, str]]]:
    tiers = [
        (label(update, context, "segment_tier", tier, count), f"seg:t:{tier}:0")
        for tier, count in counts.tiers.items()
    ]
    stages = [
        (label(update, context, "segment_stage", stage, count), f"seg:s:{stage}:0")
        for stage, count in counts.stages.items()
    ]
    return [tiers, *(stages[start : start + 2] for start in range(0, len(stages), 2))]


async def overview(update: Update, context: BotContext) -> None:
    """/segments (or ◀ Segments): the counts; ``/segments recompute`` for an admin."""
    deps, me = context.deps, context.me
    words = message_text(update).split()[1:] if update.callback_query is None else []
    may_recompute = segments.may_recompute(me)
    recomputed = False
    if words:
        if len(words) != 1 or words[0].lower() not in RECOMPUTE_WORDS:
            await reply(update, context, "segments/usage", may_recompute=may_recompute)
            return
        rules = segments.Rules.of(deps.settings)

        def run() -> segments.Counts:
            with deps.db.session() as session:
                return segments.recompute_now(session, me, rules, now=deps.now())

        counts = await asyncio.to_thread(run)
        recomputed = True
    else:
        with deps.db.session() as session:
            counts = segments.segment_counts(session, me)
    await show(
        update,
        context,
        "segments/overview",
        markup=keyboard(_segment_buttons(update, context, counts)),
        counts=counts,
        own=me.role == Role.REP,
        may_recompute=may_recompute,
        recomputed=recomputed,
    )


async def list_segment(update: Update, context: BotContext) -> None:
    """A tapped segment: its customers by name, a page at a time."""
    parts = callback_parts(update, "seg")
    kind = KINDS.get(parts[0]) if parts else None
    page_number = page_part(parts, 2)
    if kind is None or int_part(parts, 2) is None:
        raise NotFound()
    with context.deps.db.session() as session:
        page = segments.segment_page(session, context.me, kind, parts[1], page_number)
    rows = customer_buttons(update, context, "cus:open:", page.customers)  # type: ignore[arg-type]
    rows.append(pager(update, context, page.page, page.pages, f"seg:{parts[0]}:{page.value}"))
    rows.append([(label(update, context, "back_to_segments"), "seg:home")])
    await show(
        update,
        context,
        "segments/list",
        markup=keyboard(rows),
        page=page,
        show_owner=context.me.role != Role.REP,
    )
