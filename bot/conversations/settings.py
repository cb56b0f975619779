"""/settings: a person's profile, changing their time zone (typed as a city or zone), and
/language (or 🌐 Language in /settings): the language the bot speaks to them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import END, make_conversation
from bot.handlers.menu import publish_menu
from bot.handlers.replies import callback_parts, keyboard, label, message_text, reply, show
from bot.services import people
from bot.services.errors import NotFound
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
        markup=keyboard(
            [
                [
                    (label(update, context, "change_timezone"), "set:tz"),
                    (label(update, context, "change_language"), "set:lang"),
                ]
            ]
        ),
        actor=actor,
        team_name=team_name,
        now=context.deps.now(),
    )


async def choose_language(update: Update, context: BotContext) -> None:
    """/language or 🌐 Language: a button per language, each named in its own language."""
    buttons = [
        (label(update, context, "language_name", language), f"set:lang:{language}")
        for language in people.LANGUAGES
    ]
    await show(update, context, "settings/ask_language", markup=keyboard([buttons]))


async def language_chosen(update: Update, context: BotContext) -> None:
    language = callback_parts(update, "set")[1:2]
    if not language:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        context.actor = people.set_language(session, context.me, language[0], now=deps.now())
    await publish_menu(context, context.me.telegram_id, context.me.role, context.me.language)
    await show(update, context, "settings/language_set")


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
