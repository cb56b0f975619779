"""/settings: a person's profile, and changing their time zone (typed as a city or zone)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.app import BotContext
from bot.conversations.common import END, make_conversation
from bot.handlers.replies import keyboard, label, message_text, reply, show
from bot.services import people
from models import Team

NAME = "settings"
TIMEZONE = 0


async def show_settings(update: Update, context: BotContext) -> None:
    actor = context.me
    with context.deps.db.session() as session:
        team = session.get(Team, actor.team_id) if actor.team_id else None
        team_name = team.name if team else None
    await reply(
        update,
        context,
        "settings/show",
        markup=keyboard([[(label(update, context, "change_timezone"), "set:tz")]]),
        actor=actor,
        team_name=team_name,
        now=context.deps.now(),
    )


async def ask_timezone(update: Update, context: BotContext) -> int:
    await show(update, context, "settings/ask_timezone")
    return TIMEZONE


async def timezone_given(update: Update, context: BotContext) -> int | None:
    text = message_text(update)
    zone = people.find_timezone(text)
    if zone is None:
        await reply(update, context, "settings/timezone_unknown", text=text)
        return None
    deps = context.deps
    with deps.db.session() as session:
        context.actor = people.set_timezone(session, context.me, zone, now=deps.now())
    await reply(update, context, "settings/timezone_set", zone=zone, now=deps.now())
    return END


def settings_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(ask_timezone, pattern=r"^set:tz$")],
        states={TIMEZONE: [MessageHandler(filters.TEXT & ~filters.COMMAND, timezone_given)]},
    )
