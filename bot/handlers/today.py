"""/today: the person's day, each item a button to its record."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import keyboard, label, reply
from bot.services import agenda


async def my_day(update: Update, context: BotContext) -> None:
    with context.deps.db.session() as session:
        day = agenda.my_day(session, context.me, now=context.deps.now())
    rows = [
        *[
            [(label(update, context, "follow_up_button", item), f"cus:open:{item.customer_id}")]
            for item in day.follow_ups[:15]
        ],
        *[
            [(label(update, context, "late_deal_button", item), f"deal:open:{item.deal_id}")]
            for item in day.late_deals[:10]
        ],
        *[
            [(label(update, context, "birthday_button", item), f"cus:open:{item.customer_id}")]
            for item in day.birthdays[:10]
        ],
    ]
    await reply(
        update,
        context,
        "agenda/today",
        markup=keyboard(rows) if rows else None,
        day=day,
        timezone=context.me.timezone,
    )
