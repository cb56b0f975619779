"""*📜 History* on a card: the record's changes, newest first, a page at a time
(``hist:<kind>:<id>:<page>``; kinds as ``bot.services.history_pages.CARD_KINDS``)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import (
    Button,
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    label,
    page_part,
    reply,
    show,
)
from bot.services import history_pages
from bot.services.errors import NotFound

# Where "back" goes from each kind's history: its card.
BACK = {
    "cus": ("back_to_card", "cus:open:{}"),
    "ct": ("back_to_record", "ed:ct:{}"),
    "deal": ("back_to_deal", "deal:open:{}"),
    "ord": ("back_to_record", "ord:open:{}"),
    "usr": ("back_to_record", "usr:view:{}:0"),
}


def history_button(update: Update, context: BotContext, kind: str, record_id: int) -> Button:
    """The card's *📜 History* button."""
    return (label(update, context, "history"), f"hist:{kind}:{record_id}:0")


async def history_page(update: Update, context: BotContext) -> None:
    parts = callback_parts(update, "hist")
    short = parts[0] if parts else ""
    kind = history_pages.CARD_KINDS.get(short)
    record_id, page_number = int_part(parts, 1), page_part(parts, 2)
    if kind is None or record_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        page = history_pages.record_history(
            session,
            context.me,
            kind,
            record_id,
            page_number,
            default_currency=deps.settings.default_currency,
            today=context.local_today(),
        )
    pages: list[Button] = []
    if page.page > 0:
        pages.append((label(update, context, "newer"), f"hist:{short}:{record_id}:{page.page - 1}"))
    if page.has_more:
        pages.append((label(update, context, "older"), f"hist:{short}:{record_id}:{page.page + 1}"))
    rows = [pages]
    if short in BACK:
        name, data = BACK[short]
        rows.append([(label(update, context, name), data.format(record_id))])
    message = update.callback_query.message if update.callback_query else None
    # A quote's card is its PDF: the history comes as a message of its own under it.
    answer = show if message is not None and getattr(message, "text", None) else reply
    if answer is reply and update.callback_query is not None:
        await answer_query(update)
    await answer(
        update,
        context,
        "history/page",
        markup=keyboard(rows),
        page=page,
        timezone=context.me.timezone,
    )
