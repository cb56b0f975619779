"""/templates (admins): the texts customers get from the bot on its own that may be rewritten —
the birthday greeting and the check-in after delivery, in English and Chinese. A text's card
shows it as written and the values it may use, with *✏️ Edit* and, once edited, *↩️ Restore
built-in*. An edit is previewed on a sample contact before *✅ Save*; one with an error is shown
with the error and asked again. The rules are ``bot.services.templates``."""

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
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
)
from bot.handlers.replies import (
    answer_query,
    callback_parts,
    keyboard,
    label,
    message_text,
    reply,
    show,
)
from bot.services import templates
from bot.services.errors import NotFound

NAME = "templates"
TEXT, CONFIRM = range(2)


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _which(update: Update) -> tuple[str, str]:
    parts = callback_parts(update, "tpl")
    if len(parts) < 3 or parts[1] not in templates.EDITABLE or parts[2] not in templates.LANGUAGES:
        raise NotFound()
    return parts[1], parts[2]


async def overview(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    with context.deps.db.session() as session:
        texts = templates.overview(session, context.me)
    rows = [
        [
            (
                label(update, context, "template_button", item.name, item.language, item.edited),
                f"tpl:o:{item.name}:{item.language}",
            )
        ]
        for item in texts
    ]
    await show(update, context, "templates/list", markup=keyboard(rows), texts=texts)
    return END


async def open_text(update: Update, context: BotContext, *, restored: bool = False) -> int:
    name, language = _which(update)
    clear_conversation_data(context, NAME)
    with context.deps.db.session() as session:
        item = templates.text(session, context.me, name, language)
    row = [(label(update, context, "template_edit"), f"tpl:e:{name}:{language}")]
    if item.edited:
        row.append((label(update, context, "template_restore"), f"tpl:r:{name}:{language}"))
    rows = [row, [(label(update, context, "template_back"), "tpl:home")]]
    await show(
        update, context, "templates/card", markup=keyboard(rows), item=item, restored=restored
    )
    return END


async def ask_text(update: Update, context: BotContext) -> int:
    name, language = _which(update)
    with context.deps.db.session() as session:
        templates.text(session, context.me, name, language)  # admins only
    clear_conversation_data(context, NAME)
    _data(context).update(name=name, language=language)
    await reply(update, context, "templates/ask_text", name=name, language=language)
    if update.callback_query is not None:
        await answer_query(update)
    return TEXT


async def text_given(update: Update, context: BotContext) -> int | None:
    data = _data(context)
    source = message_text(update)
    try:
        shown = templates.preview(context.me, data["name"], data["language"], source)
    except templates.TemplateInvalid as invalid:
        await reply(update, context, invalid.template, **invalid.details)
        return None
    data["source"] = source
    await reply(update, context, "templates/preview_intro")
    await reply(
        update,
        context,
        "templates/preview",
        markup=keyboard(
            [
                [
                    (label(update, context, "template_save"), "tpl:save"),
                    (label(update, context, "template_cancel"), "tpl:cancel"),
                ]
            ]
        ),
        text=shown,
    )
    return CONFIRM


async def saved(update: Update, context: BotContext) -> int:
    data = _data(context)
    deps = context.deps
    with deps.db.session() as session:
        templates.save(
            session, context.me, data["name"], data["language"], data["source"], now=deps.now()
        )
    clear_conversation_data(context, NAME)
    await show(update, context, "templates/saved", name=data["name"], language=data["language"])
    return END


async def cancelled(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await show(update, context, "templates/not_saved")
    return END


async def restore(update: Update, context: BotContext) -> int:
    name, language = _which(update)
    with context.deps.db.session() as session:
        templates.restore(session, context.me, name, language)
    return await open_text(update, context, restored=True)


def templates_conversation() -> ConversationHandler[BotContext]:
    buttons = [
        CallbackQueryHandler(overview, pattern=r"^tpl:home$"),
        CallbackQueryHandler(open_text, pattern=r"^tpl:o:\w+:\w+$"),
        CallbackQueryHandler(ask_text, pattern=r"^tpl:e:\w+:\w+$"),
        CallbackQueryHandler(restore, pattern=r"^tpl:r:\w+:\w+$"),
    ]
    return make_conversation(
        NAME,
        entry_points=[CommandHandler("templates", overview), *buttons],
        states={
            TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, text_given), *buttons],
            CONFIRM: [
                CallbackQueryHandler(saved, pattern=r"^tpl:save$"),
                CallbackQueryHandler(cancelled, pattern=r"^tpl:cancel$"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, text_given),
                *buttons,
            ],
        },
    )
