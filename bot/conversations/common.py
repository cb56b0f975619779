"""What every conversation shares: /cancel at any step, a re-ask for input that does not fit
the step (another command, a sticker, text where a button is expected), and a last step whose
record and the flow's end commit together (``finishing``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotContext
from bot.handlers.replies import alert, reply
from bot.metrics import CONVERSATION_TIMEOUTS
from bot.persistence import DatabasePersistence

END = ConversationHandler.END
IDLE_TIMEOUT = timedelta(minutes=30)


def conversation_data(context: BotContext, name: str) -> dict[str, Any]:
    """The scratch values of conversation ``name`` for this person (cleared when it ends)."""
    data = context.user_data
    assert data is not None
    return data.setdefault(f"conversation:{name}", {})  # type: ignore[no-any-return]


def clear_conversation_data(context: BotContext, name: str) -> None:
    if context.user_data is not None:
        context.user_data.pop(f"conversation:{name}", None)


@contextmanager
def finishing(update: Update, context: BotContext, name: str) -> Iterator[Session]:
    """The unit of work of a flow's last step: the record it saves and the end of conversation
    ``name`` (its state and scratch values) commit together. A crash right after the commit
    then leaves no flow at a step whose button would save the record a second time."""
    persistence = context.application.persistence
    chat, user = update.effective_chat, update.effective_user
    with context.deps.db.session() as session:
        yield session
        if isinstance(persistence, DatabasePersistence) and chat and user:
            left = {
                key: value
                for key, value in (context.user_data or {}).items()
                if key != f"conversation:{name}"
            }
            persistence.end_in(session, name, (chat.id, user.id), user.id, left)
    clear_conversation_data(context, name)


async def pick_with_buttons(update: Update, context: BotContext) -> int | None:
    """Text where a button is expected: ask again, staying at the same step."""
    await reply(update, context, "invites/pick_with_buttons")
    return None


async def _still_here(update: Update, context: BotContext) -> None:
    if update.callback_query is not None:
        await alert(update, context, "stale_button")
        return
    await reply(update, context, "still_in_conversation")


def make_conversation(
    name: str,
    entry_points: Sequence[BaseHandler[Update, BotContext, Any]],
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]],
) -> ConversationHandler[BotContext]:
    """A conversation with the shared fallbacks: /cancel, then a re-ask for anything else."""

    async def cancel(update: Update, context: BotContext) -> int:
        clear_conversation_data(context, name)
        await reply(update, context, "cancelled")
        return END

    async def timed_out(update: Update, context: BotContext) -> None:
        CONVERSATION_TIMEOUTS.inc()
        clear_conversation_data(context, name)
        await reply(update, context, "timed_out")

    return ConversationHandler(
        entry_points=list(entry_points),
        states={
            **states,
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            MessageHandler(filters.ALL, _still_here),
            CallbackQueryHandler(_still_here),
        ],
        name=name,
        persistent=True,
        allow_reentry=True,
        conversation_timeout=IDLE_TIMEOUT,
    )
