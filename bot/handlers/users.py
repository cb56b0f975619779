"""/users (admins): the people registered, a card per person, deactivate and reactivate."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.history import history_button
from bot.handlers.menu import publish_menu
from bot.handlers.replies import callback_parts, int_part, keyboard, label, page_part, pager, show
from bot.services import people
from bot.services.errors import NotFound


async def list_users(update: Update, context: BotContext) -> None:
    parts = callback_parts(update, "usr")
    page_number = page_part(parts, 1) if parts[:1] == ["page"] else 0
    deps = context.deps
    with deps.db.session() as session:
        page = people.list_users(
            session, context.me, page_number or 0, admin_ids=deps.settings.admin_telegram_ids
        )
    rows = [
        [(label(update, context, "user_button", user), f"usr:view:{user.user_id}:{page.page}")]
        for user in page.users
    ]
    pages = pager(update, context, page.page, page.pages, "usr:page")
    await show(update, context, "users/list", markup=keyboard([*rows, pages]), page=page)


async def user_card(update: Update, context: BotContext) -> None:
    """A person's card; ``usr:on:ID:PAGE`` and ``usr:off:ID:PAGE`` change their status first."""
    parts = callback_parts(update, "usr")
    user_id, back_page = int_part(parts, 1), page_part(parts, 2)
    if user_id is None:
        raise NotFound()
    deps = context.deps
    admin_ids = deps.settings.admin_telegram_ids
    with deps.db.session() as session:
        if parts[0] in {"on", "off"}:
            user = people.set_user_active(
                session, context.me, user_id, parts[0] == "on", admin_ids=admin_ids, now=deps.now()
            )
        else:
            user = people.get_user(session, context.me, user_id, admin_ids=admin_ids)
        their_language = people.chat_language(session, user.telegram_id)
    if parts[0] in {"on", "off"}:
        role = user.role if user.is_active else None
        await publish_menu(context, user.telegram_id, role, their_language)
    toggle = (
        (label(update, context, "deactivate"), f"usr:off:{user.user_id}:{back_page}")
        if user.is_active
        else (label(update, context, "reactivate"), f"usr:on:{user.user_id}:{back_page}")
    )
    rows = [
        [toggle],
        [
            (label(update, context, "back"), f"usr:page:{back_page}"),
            history_button(update, context, "usr", user.user_id),
        ],
    ]
    await show(update, context, "users/card", markup=keyboard(rows), user=user)
