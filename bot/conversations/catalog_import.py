"""/import products: the admin sends a CSV or XLSX price list, sees a preview (rows to add, to
update, and each bad row with its number and reason) and imports with one confirming tap.
/import customers shares the command and the conversation; its steps are in
``customer_import``."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.conversations import customer_import
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
    pick_with_buttons,
)
from bot.handlers.replies import keyboard, label, message_text, reply, show
from bot.services import catalog
from bot.services.customer_import import may_import
from bot.services.errors import NotAllowed
from models import Role

NAME = "import"
FILE, CONFIRM = range(2)


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


async def start(update: Update, context: BotContext) -> int:
    what = message_text(update).partition(" ")[2].strip().lower()
    if what in ("customers", "customer", "客户"):
        return await customer_import.start(update, context)
    if not may_import(context.me) or (what == "products" and context.me.role != Role.ADMIN):
        raise NotAllowed()
    if what != "products":
        await reply(update, context, "catalog/usage", products=context.me.role == Role.ADMIN)
        return END
    clear_conversation_data(context, NAME)
    await reply(update, context, "catalog/ask_file")
    return FILE


async def _preview(context: BotContext, file_id: str, filename: str) -> catalog.ImportPreview:
    telegram_file = await context.bot.get_file(file_id)
    content = bytes(await telegram_file.download_as_bytearray())
    rows = catalog.read_table(filename, content)
    with context.deps.db.session() as session:
        return catalog.preview_import(
            session, context.me, rows, default_currency=context.deps.settings.default_currency
        )


async def file_sent(update: Update, context: BotContext) -> int | None:
    document = update.message.document if update.message else None
    if document is None:
        return None
    filename = document.file_name or "products.csv"
    preview = await _preview(context, document.file_id, filename)
    _data(context).update(file_id=document.file_id, filename=filename)
    count = len(preview.to_add) + len(preview.to_update)
    buttons = [[(label(update, context, "import_rows", count), "imp:yes")]] if count else []
    await reply(
        update,
        context,
        "catalog/preview",
        markup=keyboard(buttons) if buttons else None,
        preview=preview,
    )
    return CONFIRM if count else END


async def not_a_file(update: Update, context: BotContext) -> int | None:
    await reply(update, context, "catalog/ask_file")
    return None


async def confirmed(update: Update, context: BotContext) -> int:
    data = _data(context)
    preview = await _preview(context, data["file_id"], data["filename"])
    deps = context.deps
    with deps.db.session() as session:
        added, updated = catalog.apply_import(session, context.me, preview, now=deps.now())
    clear_conversation_data(context, NAME)
    await show(
        update,
        context,
        "catalog/imported",
        added=added,
        updated=updated,
        skipped=len(preview.problems),
    )
    return END


def import_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CommandHandler("import", start)],
        states={
            FILE: [
                MessageHandler(filters.Document.ALL, file_sent),
                MessageHandler(filters.TEXT & ~filters.COMMAND, not_a_file),
            ],
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^imp:yes$"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, pick_with_buttons),
            ],
            **customer_import.customer_states(),
        },
    )
