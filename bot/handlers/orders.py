"""The order card (delivered / paid / due and the schedule) and marking an order delivered."""

from __future__ import annotations

from decimal import Decimal

from telegram import Update

from bot.context import BotContext
from bot.handlers.history import history_button
from bot.handlers.replies import callback_parts, int_part, keyboard, label, reply, show
from bot.services import orders
from bot.services.access import may_change_records
from bot.services.errors import NotFound


async def send_order_card(
    update: Update,
    context: BotContext,
    order_id: int,
    *,
    edit: bool,
    logged: Decimal | None = None,
) -> None:
    with context.deps.db.session() as session:
        order = orders.order_view(session, context.me, order_id, today=context.local_today())
    rows = []
    if order.delivered_at is None and may_change_records(context.me.role):  # not finance
        rows.append([(label(update, context, "mark_delivered"), f"ord:dlv:{order_id}")])
    if order.due > 0:
        rows.append([(label(update, context, "log_payment"), f"pay:ord:{order_id}")])
    rows.append(
        [
            (label(update, context, "open_customer"), f"cus:open:{order.customer_id}"),
            history_button(update, context, "ord", order_id),
        ]
    )
    await (show if edit else reply)(
        update,
        context,
        "orders/card",
        markup=keyboard(rows),
        order=order,
        logged=logged,
        timezone=context.me.timezone,
    )


def _order_id(update: Update) -> int:
    order_id = int_part(callback_parts(update, "ord"), 1)
    if order_id is None:
        raise NotFound()
    return order_id


async def open_order(update: Update, context: BotContext) -> None:
    await send_order_card(update, context, _order_id(update), edit=True)


async def delivered(update: Update, context: BotContext) -> None:
    order_id = _order_id(update)
    deps = context.deps
    with deps.db.session() as session:
        orders.mark_delivered(session, context.me, order_id, now=deps.now())
    await send_order_card(update, context, order_id, edit=True)
