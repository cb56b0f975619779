"""/product: add or change one product in a line, with the same checks as the import:
``/product CNC-200, CNC lathe 200, pc, 1500, CNY, 1300`` → preview → one tap."""

from __future__ import annotations

import csv
import io

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
    pick_with_buttons,
)
from bot.handlers.replies import keyboard, label, message_text, reply, show
from bot.services import catalog
from bot.services.errors import NotAllowed
from bot.services.tables import TableRow
from models import Role

NAME = "product"
CONFIRM = 0
HEADER = ["sku", "name", "unit", "list price", "currency", "floor price", "max discount %"]


def _rows(line: str) -> list[TableRow]:
    delimiter = ";" if line.count(";") > line.count(",") else ","
    cells = next(csv.reader(io.StringIO(line), delimiter=delimiter, skipinitialspace=True), [])
    return [TableRow(1, HEADER), TableRow(2, [cell.strip() for cell in cells])]


async def _preview(context: BotContext, line: str) -> catalog.ImportPreview:
    with context.deps.db.session() as session:
        return catalog.preview_import(
            session,
            context.me,
            _rows(line),
            default_currency=context.deps.settings.default_currency,
        )


async def start(update: Update, context: BotContext) -> int:
    if context.me.role != Role.ADMIN:
        raise NotAllowed()
    line = message_text(update).partition(" ")[2].strip()
    if not line:
        await reply(update, context, "catalog/product_usage")
        return END
    preview = await _preview(context, line)
    if preview.problems or not (preview.to_add or preview.to_update):
        await reply(update, context, "catalog/product_preview", preview=preview)
        return END
    clear_conversation_data(context, NAME)
    conversation_data(context, NAME)["line"] = line
    await reply(
        update,
        context,
        "catalog/product_preview",
        markup=keyboard([[(label(update, context, "save"), "prod:yes")]]),
        preview=preview,
    )
    return CONFIRM


async def confirmed(update: Update, context: BotContext) -> int:
    preview = await _preview(context, str(conversation_data(context, NAME)["line"]))
    deps = context.deps
    with deps.db.session() as session:
        added, updated = catalog.apply_import(session, context.me, preview, now=deps.now())
    clear_conversation_data(context, NAME)
    await show(update, context, "catalog/imported", added=added, updated=updated, skipped=0)
    return END


def product_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CommandHandler("product", start)],
        states={
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^prod:yes$"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, pick_with_buttons),
            ]
        },
    )
