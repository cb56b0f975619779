"""/pipeline (admins): the stages in order, each a button to its card — *✏️ Rename*, *⬆️ Up*,
*⬇️ Down*, *🎯 Probability*, *🕸 Gone quiet after* — and *➕ Add stage* (a name, then a
probability). Only the typed answers are a conversation; the lists and cards are plain buttons.
``/pipeline quoted 40`` still sets a probability in one line. The rules are
``bot.services.pipeline``."""

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
from bot.handlers.replies import callback_parts, keyboard, label, message_text, reply, show
from bot.services import pipeline
from bot.services.errors import NotFound, ServiceError
from bot.services.pipeline import StageLine

NAME = "pipeline"
TYPED = 0
ASKS = {"rn": "pipeline/ask_name", "pr": "pipeline/ask_probability", "st": "pipeline/ask_stale"}


def _data(context: BotContext) -> dict[str, Any]:
    return conversation_data(context, NAME)


def _forget_names(context: BotContext) -> None:
    context.deps.renderer.stage_names.forget()  # this process shows a new name at once


async def _show_list(update: Update, context: BotContext, *, changed: bool = False) -> None:
    with context.deps.db.session() as session:
        lines = pipeline.stages(session, context.me)
    rows = [
        [(label(update, context, "pipeline_stage", line.key, line.probability), f"pl:s:{line.key}")]
        for line in lines
    ]
    rows.append([(label(update, context, "pipeline_add"), "pl:add")])
    await show(
        update,
        context,
        "pipeline/show",
        markup=keyboard(rows),
        stages=lines,
        default_stale=context.deps.settings.stale_deal_days,
        changed=changed,
    )


async def _show_stage(
    update: Update, context: BotContext, line: StageLine, *, saved: bool = False
) -> None:
    rows = [[(label(update, context, "pipeline_rename"), f"pl:rn:{line.key}")]]
    if line.is_open:
        rows[0] += [
            (label(update, context, "pipeline_up"), f"pl:up:{line.key}"),
            (label(update, context, "pipeline_down"), f"pl:dn:{line.key}"),
        ]
        rows.append(
            [
                (label(update, context, "pipeline_probability"), f"pl:pr:{line.key}"),
                (label(update, context, "pipeline_stale"), f"pl:st:{line.key}"),
            ]
        )
    rows.append([(label(update, context, "pipeline_back"), "pl:home")])
    await show(
        update,
        context,
        "pipeline/stage",
        markup=keyboard(rows),
        line=line,
        default_stale=context.deps.settings.stale_deal_days,
        saved=saved,
    )


async def start(update: Update, context: BotContext) -> int:
    """/pipeline, or /pipeline STAGE PERCENT."""
    clear_conversation_data(context, NAME)
    words = message_text(update).split()[1:]
    if not words:
        await _show_list(update, context)
        return END
    if len(words) != 2:
        with context.deps.db.session() as session:
            keys = [line.key for line in pipeline.stages(session, context.me)]
        await reply(update, context, "pipeline/usage", stages=keys)
        return END
    with context.deps.db.session() as session:
        keys = [line.key for line in pipeline.stages(session, context.me)]
        if words[0].lower() not in keys:
            await reply(update, context, "pipeline/usage", stages=keys)
            return END
        try:
            pipeline.set_probability(session, context.me, words[0].lower(), words[1])
        except (pipeline.StageNumberInvalid, pipeline.StageFixed):
            await reply(update, context, "pipeline/usage", stages=keys)
            return END
    await _show_list(update, context, changed=True)
    return END


def _key(update: Update, index: int = 1) -> str:
    parts = callback_parts(update, "pl")
    if len(parts) <= index or not parts[index]:
        raise NotFound()
    return parts[index]


async def home(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    await _show_list(update, context)
    return END


async def open_stage(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    with context.deps.db.session() as session:
        line = pipeline.stage(session, context.me, _key(update))
    await _show_stage(update, context, line)
    return END


async def shifted(update: Update, context: BotContext) -> int:
    clear_conversation_data(context, NAME)
    direction, key = callback_parts(update, "pl")[0], _key(update)
    with context.deps.db.session() as session:
        pipeline.shift(session, context.me, key, -1 if direction == "up" else 1)
    await _show_list(update, context, changed=True)
    return END


async def ask(update: Update, context: BotContext) -> int:
    """✏️ Rename, 🎯 Probability or 🕸 Gone quiet after: ask for the value."""
    what, key = callback_parts(update, "pl")[0], _key(update)
    with context.deps.db.session() as session:
        line = pipeline.stage(session, context.me, key)
    if what != "rn" and not line.is_open:
        raise pipeline.StageFixed()
    clear_conversation_data(context, NAME)
    _data(context).update(what=what, key=key)
    await show(
        update,
        context,
        ASKS[what],
        line=line,
        default_stale=context.deps.settings.stale_deal_days,
    )
    return TYPED


async def ask_new(update: Update, context: BotContext) -> int:
    with context.deps.db.session() as session:
        pipeline.stages(session, context.me)  # admins only
    clear_conversation_data(context, NAME)
    _data(context)["what"] = "add"
    await show(update, context, "pipeline/ask_new_name")
    return TYPED


async def typed(update: Update, context: BotContext) -> int | None:
    data, text = _data(context), message_text(update)
    what, key = data.get("what"), data.get("key", "")
    try:
        with context.deps.db.session() as session:
            if what == "rn":
                line = pipeline.rename(session, context.me, key, text)
            elif what == "pr":
                line = pipeline.set_probability(session, context.me, key, text)
            elif what == "st":
                line = pipeline.set_stale_days(session, context.me, key, text)
            elif what == "add" and "name" not in data:
                data["name"] = pipeline.check_new_name(session, context.me, text)
                await reply(update, context, "pipeline/ask_new_probability", name=data["name"])
                return None
            elif what == "add":
                line = pipeline.add(session, context.me, data["name"], text)
            else:
                raise NotFound()
    except (pipeline.StageNameInvalid, pipeline.StageNumberInvalid) as invalid:
        await reply(update, context, invalid.template, **invalid.details)
        return None
    except ServiceError:
        clear_conversation_data(context, NAME)
        raise
    clear_conversation_data(context, NAME)
    _forget_names(context)
    await _show_stage(update, context, line, saved=True)
    return END


def pipeline_conversation() -> ConversationHandler[BotContext]:
    buttons = [
        CallbackQueryHandler(home, pattern=r"^pl:home$"),
        CallbackQueryHandler(open_stage, pattern=r"^pl:s:\w+$"),
        CallbackQueryHandler(shifted, pattern=r"^pl:(up|dn):\w+$"),
        CallbackQueryHandler(ask, pattern=r"^pl:(rn|pr|st):\w+$"),
        CallbackQueryHandler(ask_new, pattern=r"^pl:add$"),
    ]
    return make_conversation(
        NAME,
        entry_points=[CommandHandler("pipeline", start), *buttons],
        states={TYPED: [MessageHandler(filters.TEXT & ~filters.COMMAND, typed), *buttons]},
    )
