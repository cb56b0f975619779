"""The command menu Telegram shows: a public one for everybody, and one per registered person's
chat with what their role may do (setMyCommands with a chat scope).

Each person's menu is published when their role or language changes; at start-up only the
menus whose commands or texts changed since they were last published (a fingerprint kept per
person) are published again."""

from __future__ import annotations

import hashlib
import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.context import Host
from bot.rendering import Renderer
from bot.services import people
from bot.services.access import PUBLIC_COMMANDS, commands_for
from bot.services.people import LANGUAGES
from models import Role

logger = logging.getLogger(__name__)


def _commands(renderer: Renderer, names: tuple[str, ...], language: str | None) -> list[BotCommand]:
    return [BotCommand(name, renderer.label(language, "command", name)) for name in names]


def _digest(commands: list[BotCommand]) -> str:
    text = "\n".join(f"{command.command}\t{command.description}" for command in commands)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def publish_menu(
    host: Host, telegram_id: int, role: Role | None, language: str | None
) -> None:
    """Show ``role``'s commands in one person's chat; None (deactivated) falls back to public."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    digest = None
    try:
        if role is None:
            await host.bot.delete_my_commands(scope=scope)
        else:
            commands = _commands(host.deps.renderer, commands_for(role), language)
            await host.bot.set_my_commands(commands, scope=scope)
            digest = _digest(commands)
    except TelegramError as error:  # a person who blocked the bot keeps no menu; not fatal
        logger.warning("could not set the command menu of chat %s: %s", telegram_id, error)
    with host.deps.db.session() as session:
        people.mark_menu_published(session, telegram_id, digest)


async def publish_all_menus(host: Host) -> None:
    """At start-up: the public menu (in English, and in each other language for people whose
    Telegram app is set to it), and each active person's role menu where it changed."""
    renderer = host.deps.renderer
    await host.bot.set_my_commands(
        _commands(renderer, PUBLIC_COMMANDS, None), scope=BotCommandScopeDefault()
    )
    for language in LANGUAGES:
        if language != "en":
            await host.bot.set_my_commands(
                _commands(renderer, PUBLIC_COMMANDS, language),
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
    with host.deps.db.session() as session:
        holders = people.menu_holders(session)
    wanted: dict[tuple[Role, str], str] = {}
    for holder in holders:
        key = (holder.role, holder.language)
        if key not in wanted:
            wanted[key] = _digest(_commands(renderer, commands_for(holder.role), holder.language))
        if holder.menu_digest != wanted[key]:
            await publish_menu(host, holder.telegram_id, holder.role, holder.language)
