"""/import customers: an admin or a manager sends a CSV or XLSX list of customers (a trade
show's business cards typed into a sheet), sees what would be added, merged and refused, and
imports it with one tap. The steps live in the /import conversation (``catalog_import``)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    pick_with_buttons,
)
from bot.handlers.replies import keyboard, label, reply, show
from bot.services import customer_import
from bot.services.errors import NotAllowed

NAME = "import"  # the /import conversation's
CUSTOMER_FILE, CUSTOMER_CONFIRM = 2, 3


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


async def start(update: Update, context: BotContext) -> int:
    if not customer_import.may_import(context.me):
        raise NotAllowed()
    clear_conversation_data(context, NAME)
    await reply(update, context, "customer_import/ask_file")
    return CUSTOMER_FILE


async def _preview(
    context: BotContext, file_id: str, filename: str
) -> customer_import.CustomerImportPreview:
    telegram_file = await context.bot.get_file(file_id)
    content = bytes(await telegram_file.download_as_bytearray())
    rows = customer_import.read_customer_table(filename, content)
    deps = context.deps
    with deps.db.session() as session:
        return customer_import.preview_customer_import(session, context.me, rows, now=deps.now())


async def _show_preview(
    update: Update,
    context: BotContext,
    preview: customer_import.CustomerImportPreview,
    *,
    changed: bool = False,
) -> int:
    buttons = [
        [
            (label(update, context, "import_customers_yes"), "cimp:yes"),
            (label(update, context, "import_customers_no"), "cimp:no"),
        ]
    ]
    await show(
        update,
        context,
        "customer_import/preview",
        markup=keyboard(buttons) if preview.count else None,
        preview=preview,
        me=context.me.full_name,
        changed=changed,
    )
    if not preview.count:
        clear_conversation_data(context, NAME)
        return END
    _data(context)["fingerprint"] = preview.fingerprint()
    return CUSTOMER_CONFIRM


async def file_sent(update: Update, context: BotContext) -> int | None:
    document = update.message.document if update.message else None
    if document is None:
        return None
    filename = document.file_name or "customers.csv"
    preview = await _preview(context, document.file_id, filename)
    _data(context).update(file_id=document.file_id, filename=filename)
    return await _show_preview(update, context, preview)


async def not_a_file(update: Update, context: BotContext) -> int | None:
    await reply(update, context, "customer_import/ask_file")
    return None


async def confirmed(update: Update, context: BotContext) -> int:
    data = _data(context)
    preview = await _preview(context, data["file_id"], data["filename"])
    if preview.fingerprint() != data.get("fingerprint"):
        # The customers changed since the preview (someone added or edited one): show what
        # the import would do now, and import only after another tap.
        return await _show_preview(update, context, preview, changed=True)
    deps = context.deps
    with deps.db.session() as session:
        result = customer_import.apply_customer_import(
            session, context.me, preview, source=data["filename"], now=deps.now()
        )
    clear_conversation_data(context, NAME)
    await show(update, context, "customer_import/imported", result=result)
    return END


async def cancelled(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await show(update, context, "customer_import/cancelled")
    return END


def customer_states() -> dict[object, list[BaseHandler[Update, BotContext, Any]]]:
    """The steps of /import customers, for the /import conversation."""
    return {
        CUSTOMER_FILE: [
            MessageHandler(filters.Document.ALL, file_sent),
            MessageHandler(~filters.COMMAND, not_a_file),
        ],
        CUSTOMER_CONFIRM: [
            CallbackQueryHandler(confirmed, pattern=r"^cimp:yes$"),
            CallbackQueryHandler(cancelled, pattern=r"^cimp:no$"),
            MessageHandler(filters.TEXT & ~filters.COMMAND, pick_with_buttons),
        ],
    }
