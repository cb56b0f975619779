"""/customers: the customers a person may see, a page at a time."""

from __future__ import annotations

from telegram import Update

from bot.app import BotContext
from bot.handlers.replies import callback_parts, int_part, keyboard, pager, show
from bot.services import customers
from models import Role


async def list_customers(update: Update, context: BotContext) -> None:
    page_number = int_part(callback_parts(update, "cus"), 1) or 0
    with context.deps.db.session() as session:
        page = customers.list_customers(session, context.me, page_number)
    pages = pager(update, context, page.page, page.pages, "cus:page")
    await show(
        update,
        context,
        "customers/list",
        markup=keyboard([pages]) if pages else None,
        page=page,
        show_owner=context.me.role != Role.REP,
    )
