"""The command menu Telegram shows: a public one for everybody, and one per registered person's
chat with what their role may do (setMyCommands with a chat scope).

Managers and directors also get the chat's menu button opening the pipeline board (a Mini App,
``MenuButtonWebApp``) when PUBLIC_URL is an https address; everybody else keeps the default.

Each person's menu is published when their role or language changes; at start-up only the
menus whose commands, texts or board button changed since they were last published (a
fingerprint kept per person) are published again."""

from __future__ import annotations

import hashlib
import logging

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButton,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.context import Host
from bot.rendering import Renderer
from bot.services import board, people
from bot.services.access import BOARD_MENU_ROLES, PUBLIC_COMMANDS, commands_for
from bot.services.people import LANGUAGES
from models import Role

logger = logging.getLogger(__name__)


def _commands(renderer: Renderer, names: tuple[str, ...], language: str | None) -> list[BotCommand]:
    return [BotCommand(name, renderer.label(language, "command", name)) for name in names]


def _menu_button(
    renderer: Renderer, role: Role | None, language: str | None, public_url: str | None
) -> MenuButton:
    """The board's Mini App for managers and directors (with an https PUBLIC_URL), else the
    default button."""
    url = (
        board.page_url(public_url, renderer.language_for(language))
        if role in BOARD_MENU_ROLES
        else None
    )
    if url is None:
        return MenuButtonDefault()
    return MenuButtonWebApp(renderer.label(language, "board_menu_button"), WebAppInfo(url))


def _digest(commands: list[BotCommand], button: MenuButton | None = None) -> str:
    text = "\n".join(f"{command.command}\t{command.description}" for command in commands)
    if isinstance(button, MenuButtonWebApp):  # people without the board keep their fingerprint
        text += f"\nmenu\t{button.text}\t{button.web_app.url}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def publish_menu(
    host: Host, telegram_id: int, role: Role | None, language: str | None
) -> None:
    """Show ``role``'s commands in one person's chat; None (deactivated) falls back to public."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    digest = None
    public_url = host.deps.settings.public_url
    button = _menu_button(host.deps.renderer, role, language, public_url)
    try:
        if role is None:
            await host.bot.delete_my_commands(scope=scope)
        else:
            commands = _commands(host.deps.renderer, commands_for(role), language)
            await host.bot.set_my_commands(commands, scope=scope)
            digest = _digest(commands, button)
        if public_url is not None or role in BOARD_MENU_ROLES:
            await host.bot.set_chat_menu_button(chat_id=telegram_id, menu_button=button)
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
    public_url = host.deps.settings.public_url
    for holder in holders:
        key = (holder.role, holder.language)
        if key not in wanted:
            wanted[key] = _digest(
                _commands(renderer, commands_for(holder.role), holder.language),
                _menu_button(renderer, holder.role, holder.language, public_url),
            )
        if holder.menu_digest != wanted[key]:
            await publish_menu(host, holder.telegram_id, holder.role, holder.language)
