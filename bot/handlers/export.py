"""/export customers | contacts | deals | visits | orders | payments: an XLSX file of what the
person may see, with the header row in their language; without a word, a button per kind."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.context import BotContext
from bot.handlers.replies import (
    answer_query,
    callback_parts,
    keyboard,
    label,
    message_text,
    render,
    show,
)
from bot.services import export
from bot.services.errors import NotAllowed


async def export_command(update: Update, context: BotContext) -> None:
    """/export WHAT sends the file; /export alone (or an unknown word) offers the kinds."""
    if not export.may_export(context.me):
        raise NotAllowed()
    word = message_text(update).partition(" ")[2]
    what = export.dataset_of(word) if word.strip() else None
    if what is None:
        buttons = [
            [(label(update, context, "export_choice", name), f"exp:{name}")]
            for name in export.DATASETS
        ]
        await show(update, context, "export/choose", markup=keyboard(buttons), typed=word.strip())
        return
    await send_export(update, context, what)


async def export_chosen(update: Update, context: BotContext) -> None:
    """A button of the /export list."""
    parts = callback_parts(update, "exp")
    what = export.dataset_of(parts[0]) if parts else None
    if what is None:
        raise NotAllowed()
    if update.callback_query is not None:
        await answer_query(update)
    await send_export(update, context, what)


async def send_export(update: Update, context: BotContext, what: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    me = context.me
    with context.deps.db.session() as session:
        book = export.export_workbook(
            session,
            me,
            what,
            headers=lambda key: label(update, context, "export_column", key),
            labels=lambda kind, key: label(update, context, f"export_{kind}", key),
            sheet_title=label(update, context, "export_sheet", what),
        )
    today = context.local_today()
    await context.bot.send_document(
        chat.id,
        InputFile(book.content, filename=f"{what}-{today.isoformat()}.xlsx"),
        caption=render(update, context, "export/caption", what=what, rows=book.rows, today=today),
    )
