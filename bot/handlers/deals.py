"""/deals (open deals by stage), the deal card with its stage buttons, and marking a deal lost
with a reason (``other`` asks for a few words, see ``bot.conversations.lost``)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.history import history_button
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    reply,
    show,
)
from bot.services import deals, orders
from bot.services.access import may_change_records
from bot.services.deals import DealView
from bot.services.errors import NotFound
from models import LostReason, Role


def _stage_rows(
    update: Update, context: BotContext, deal: DealView, order_id: int | None
) -> list[list[tuple[str, str]]]:
    with context.deps.db.session() as session:
        keys = [stage.key for stage in deals.stages(session)]
    # Each move carries when the deal last moved, so a move pressed on a card someone else
    # has since overtaken is refused (bot.services.deals.DealChanged).
    buttons = [
        (
            label(update, context, "move_to", key),
            f"deal:lost:{deal.deal_id}:{deal.seen}"
            if key == "lost"
            else f"deal:mv:{deal.deal_id}:{key}:{deal.seen}",
        )
        for key in keys
        if key != deal.stage_key
    ]
    writes = may_change_records(context.me.role)  # finance reads the deal, its order, customer
    # A won deal with an order stays won (bot.services.deals.refuse_if_ordered).
    movable = writes and order_id is None
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)] if movable else []
    if deal.is_open and writes:
        rows.insert(0, [(label(update, context, "quote"), f"q:deal:{deal.deal_id}")])
    if deal.stage_key == "won" and (order_id or writes):
        order_button = (
            (label(update, context, "open_order"), f"ord:open:{order_id}")
            if order_id
            else (label(update, context, "create_order"), f"ord:new:{deal.deal_id}")
        )
        rows.insert(0, [order_button])
    rows.append(
        [
            (label(update, context, "open_customer"), f"cus:open:{deal.customer_id}"),
            history_button(update, context, "deal", deal.deal_id),
        ]
    )
    return rows


async def send_deal_card(
    update: Update,
    context: BotContext,
    deal_id: int,
    *,
    edit: bool,
    moved: bool = False,
    changed: bool = False,
) -> None:
    with context.deps.db.session() as session:
        deal = deals.deal_view(session, context.me, deal_id)
        order_id = orders.order_of_deal(session, context.me, deal_id)
    show_or_reply = show if edit else reply
    await show_or_reply(
        update,
        context,
        "deals/card",
        markup=keyboard(_stage_rows(update, context, deal, order_id)),
        deal=deal,
        moved=moved,
        changed=changed,
        show_owner=context.me.role != Role.REP,
    )


def _deal_id(update: Update, index: int = 1) -> int:
    deal_id = int_part(callback_parts(update, "deal"), index)
    if deal_id is None:
        raise NotFound()
    return deal_id


async def open_deal(update: Update, context: BotContext) -> None:
    await send_deal_card(update, context, _deal_id(update), edit=True)


def _seen(parts: list[str], index: int) -> str | None:
    """When the pressed card showed the deal last moved (None on a button from before that)."""
    return parts[index] if len(parts) > index else None


async def move(update: Update, context: BotContext) -> None:
    parts = callback_parts(update, "deal")
    deal_id = _deal_id(update)
    deps = context.deps
    try:
        with deps.db.session() as session:
            deals.move_stage(
                session, context.me, deal_id, parts[2], seen=_seen(parts, 3), now=deps.now()
            )
    except deals.DealChanged:
        await send_deal_card(update, context, deal_id, edit=True, changed=True)
        return
    await send_deal_card(update, context, deal_id, edit=True, moved=True)


async def ask_lost_reason(update: Update, context: BotContext) -> None:
    deal_id = _deal_id(update)
    try:
        with context.deps.db.session() as session:
            deals.check_may_leave(
                session, context.me, deal_id, seen=_seen(callback_parts(update, "deal"), 2)
            )
            deal = deals.deal_view(session, context.me, deal_id)
    except deals.DealChanged:
        await send_deal_card(update, context, deal_id, edit=True, changed=True)
        return
    buttons = [
        (
            label(update, context, "lost_reason", reason.value),
            f"deal:lr:{deal_id}:{reason.value}:{deal.seen}",
        )
        for reason in LostReason
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(label(update, context, "back_to_deal"), f"deal:open:{deal_id}")])
    await show(update, context, "deals/ask_lost_reason", markup=keyboard(rows), deal=deal)


async def lost_with_reason(update: Update, context: BotContext) -> None:
    parts = callback_parts(update, "deal")
    deal_id = _deal_id(update)
    try:
        reason = LostReason(parts[2])
    except (IndexError, ValueError):
        raise NotFound() from None
    deps = context.deps
    try:
        with deps.db.session() as session:
            deals.move_stage(
                session,
                context.me,
                deal_id,
                "lost",
                lost_reason=reason,
                seen=_seen(parts, 3),
                now=deps.now(),
            )
    except deals.DealChanged:
        await send_deal_card(update, context, deal_id, edit=True, changed=True)
        return
    await send_deal_card(update, context, deal_id, edit=True, moved=True)


async def board(update: Update, context: BotContext) -> None:
    """/deals: open deals by stage; a rep's own, a manager's team's, everyone's for directors."""
    with context.deps.db.session() as session:
        view = deals.open_deals(session, context.me, mine_only=context.me.role == Role.REP)
    rows = [
        [(label(update, context, "deal_button", deal), f"deal:open:{deal.deal_id}")]
        for group in view.groups
        for deal in group.deals[:10]
    ][:30]
    await reply(
        update,
        context,
        "deals/board",
        markup=keyboard(rows) if rows else None,
        board=view,
        show_owner=context.me.role != Role.REP,
    )
