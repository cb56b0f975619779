"""The command menu Telegram shows: a public one for everybody, and one per registered person's
chat with what their role may do (setMyCommands with a chat scope)."""

from __future__ import annotations

import logging

from sqlmodel import col, select
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.app import SalesbotApplication
from bot.services.access import PUBLIC_COMMANDS, commands_for
from bot.services.people import LANGUAGES
from models import Role, User

logger = logging.getLogger(__name__)


def _commands(
    app: SalesbotApplication, names: tuple[str, ...], language: str | None
) -> list[BotCommand]:
    renderer = app.deps.renderer
    return [BotCommand(name, renderer.label(language, "command", name)) for name in names]


async def publish_menu(
    app: SalesbotApplication, telegram_id: int, role: Role | None, language: str | None
) -> None:
    """Show ``role``'s commands in one person's chat; None (deactivated) falls back to public."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    try:
        if role is None:
            await app.bot.delete_my_commands(scope=scope)
        else:
            await app.bot.set_my_commands(_commands(app, commands_for(role), language), scope=scope)
    except TelegramError as error:  # a person who blocked the bot keeps no menu; not fatal
        logger.warning("could not set the command menu of chat %s: %s", telegram_id, error)


async def publish_all_menus(app: SalesbotApplication) -> None:
    """At start-up: the public menu (in English, and in each other language for people whose
    Telegram app is set to it), and each active person's role menu (commands may change)."""
    await app.bot.set_my_commands(
        _commands(app, PUBLIC_COMMANDS, None), scope=BotCommandScopeDefault()
    )
    for language in LANGUAGES:
        if language != "en":
            await app.bot.set_my_commands(
                _commands(app, PUBLIC_COMMANDS, language),
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
    with app.deps.db.session() as session:
        people = [
            (user.telegram_id, Role(user.role), user.language)
            for user in session.exec(select(User).where(col(User.is_active)))
        ]
    for telegram_id, role, language in people:
        await publish_menu(app, telegram_id, role, language)
