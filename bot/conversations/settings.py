"""/settings: a person's profile, changing their time zone (typed as a city or zone), their own
morning brief and digest time (⏰ Brief time, 📊 Digest time, within the admin's windows), and
/language (or 🌐 Language in /settings): the language the bot speaks to them. Admins also get
🏢 Company settings: quiet hours, quote discount limits and the brief/digest windows
(``bot.services.company``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    make_conversation,
)
from bot.handlers.menu import publish_menu
from bot.handlers.replies import Button, callback_parts, keyboard, label, message_text, reply, show
from bot.services import company, people
from bot.services.errors import NotFound, ServiceError
from models import Team

NAME = "settings"
TIMEZONE, COMPANY_VALUE, PERSONAL_TIME = range(3)
TEXT = filters.TEXT & ~filters.COMMAND


async def show_settings(update: Update, context: BotContext) -> None:
    actor = context.me
    deps = context.deps
    with deps.db.session() as session:
        team = session.get(Team, actor.team_id) if actor.team_id else None
        team_name = team.name if team else None
        times = company.personal_times(session, actor, deps.settings)
    rows: list[list[Button]] = [
        [
            (label(update, context, "change_timezone"), "set:tz"),
            (label(update, context, "change_language"), "set:lang"),
        ]
    ]
    own = [(label(update, context, "brief_time"), "set:my:brief")] if times.gets_brief else []
    if times.gets_digest:
        own.append((label(update, context, "digest_time"), "set:my:digest"))
    if own:
        rows.append(own)
    if times.is_admin:
        rows.append([(label(update, context, "company_settings"), "set:company")])
    await reply(
        update,
        context,
        "settings/show",
        markup=keyboard(rows),
        actor=actor,
        team_name=team_name,
        times=times,
        now=deps.now(),
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


# -- the person's own brief and digest time ---------------------------------------------------


async def ask_personal_time(update: Update, context: BotContext) -> int:
    which = callback_parts(update, "set")[1:2]
    if not which or which[0] not in company.PERSONAL:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        window = company.time_window(session, context.me, which[0], deps.settings)
        times = company.personal_times(session, context.me, deps.settings)
    conversation_data(context, NAME)["which"] = which[0]
    await show(
        update, context, "settings/ask_time", which=which[0], window=window.text, times=times
    )
    return PERSONAL_TIME


async def personal_time_given(update: Update, context: BotContext) -> int | None:
    which = str(conversation_data(context, NAME).get("which", ""))
    deps = context.deps
    try:
        with deps.db.session() as session:
            chosen = company.set_personal_time(
                session, context.me, which, message_text(update), deps.settings, now=deps.now()
            )
            times = company.personal_times(session, context.me, deps.settings)
    except company.AskAgain as refused:
        await reply(update, context, refused.template, **refused.details)
        return None
    clear_conversation_data(context, NAME)
    await reply(update, context, "settings/time_set", which=which, chosen=chosen, times=times)
    return END


# -- company settings (admins) ----------------------------------------------------------------


def _company_buttons(update: Update, context: BotContext) -> list[list[Button]]:
    return [
        [(label(update, context, "company_setting", key), f"set:co:{key}")] for key in company.KEYS
    ]


async def show_company(update: Update, context: BotContext) -> None:
    """🏢 Company settings: each setting with its value, a button to change it."""
    deps = context.deps
    with deps.db.session() as session:
        lines = company.company_lines(session, context.me, deps.settings)
    await show(
        update,
        context,
        "settings/company",
        markup=keyboard(_company_buttons(update, context)),
        lines=lines,
        saved=None,
    )


async def ask_company_value(update: Update, context: BotContext) -> int:
    key = callback_parts(update, "set")[1:2]
    if not key:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        line = company.company_line(session, context.me, key[0], deps.settings)
    conversation_data(context, NAME)["key"] = line.key
    await show(update, context, "settings/ask_company_value", line=line)
    return COMPANY_VALUE


async def company_value_given(update: Update, context: BotContext) -> int | None:
    key = str(conversation_data(context, NAME).get("key", ""))
    deps = context.deps
    try:
        with deps.db.session() as session:
            saved = company.change_setting(
                session, context.me, key, message_text(update), deps.settings, now=deps.now()
            )
            lines = company.company_lines(session, context.me, deps.settings)
    except company.AskAgain as refused:
        await reply(update, context, refused.template, **refused.details)
        return None
    except ServiceError:
        clear_conversation_data(context, NAME)
        raise
    clear_conversation_data(context, NAME)
    await reply(
        update,
        context,
        "settings/company",
        markup=keyboard(_company_buttons(update, context)),
        lines=lines,
        saved=saved,
    )
    return END


def settings_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[
            CallbackQueryHandler(ask_timezone, pattern=r"^set:tz$"),
            CallbackQueryHandler(ask_personal_time, pattern=r"^set:my:\w+$"),
            CallbackQueryHandler(ask_company_value, pattern=r"^set:co:\w+$"),
        ],
        states={
            TIMEZONE: [MessageHandler(TEXT, timezone_given)],
            PERSONAL_TIME: [MessageHandler(TEXT, personal_time_given)],
            COMPANY_VALUE: [MessageHandler(TEXT, company_value_given)],
        },
    )
