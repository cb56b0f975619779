"""/start (with or without an invite code, or a link to a record), /help, /cancel outside a
conversation, and the answers to anything no other handler took: unknown commands, stray text,
stale buttons, errors."""

from __future__ import annotations

import logging
import re

from telegram import Update

from bot import failures
from bot.context import BotContext
from bot.handlers.customers import send_card
from bot.handlers.menu import publish_menu
from bot.handlers.orders import send_order_card
from bot.handlers.replies import (
    alert,
    answer_query,
    int_part,
    label,
    language_of_chat,
    profile_of,
    reply,
)
from bot.reminders import notices
from bot.services import people
from bot.services.access import commands_for
from bot.services.errors import NotAllowed, NotFound, ServiceError
from models import Team

logger = logging.getLogger(__name__)
# ``/start cus_12`` or ``/start ord_7``: a link back to a record (the calendar feed's events),
# opened for a registered person who may see it.
RECORD_LINK = re.compile(r"^(cus|ord)_(\d+)$")


def _command_lines(update: Update, context: BotContext) -> list[tuple[str, str]]:
    role = context.actor.role if context.actor else None
    return [(name, label(update, context, "command", name)) for name in commands_for(role)]


def _team_name(context: BotContext, team_id: int | None) -> str | None:
    if team_id is None:
        return None
    with context.deps.db.session() as session:
        team = session.get(Team, team_id)
        return team.name if team else None


async def _welcome(update: Update, context: BotContext) -> None:
    actor = context.me
    await reply(
        update,
        context,
        "welcome",
        name=actor.full_name,
        role=actor.role,
        team_name=_team_name(context, actor.team_id),
        commands=_command_lines(update, context),
    )


async def start(update: Update, context: BotContext) -> None:
    """/start: welcome a registered person, or register the holder of an invite code."""
    code = context.args[0] if context.args else None
    if code is None:
        await _welcome(update, context)
        return
    record = RECORD_LINK.match(code)
    if record is not None and context.actor is not None:
        kind, record_id = record.group(1), int_part([record.group(2)], 0)
        if record_id is None:  # more than any row id: like a record that does not exist
            raise NotFound()
        if kind == "cus":
            await send_card(update, context, record_id, edit=False)
        else:
            await send_order_card(update, context, record_id, edit=False)
        return
    profile = profile_of(update)
    assert profile is not None
    deps = context.deps
    with deps.db.session() as session:
        actor, inviter_chat = people.redeem_invite(
            session,
            code,
            profile,
            now=deps.now(),
            default_timezone=deps.settings.default_timezone,
        )
    context.actor = actor
    await publish_menu(context, actor.telegram_id, actor.role, actor.language)
    await _welcome(update, context)
    if inviter_chat is not None and inviter_chat != actor.telegram_id:
        text = deps.renderer.message(
            language_of_chat(context, inviter_chat),
            "invites/joined_notice",
            name=actor.full_name,
            role=actor.role,
            team_name=_team_name(context, actor.team_id),
        )
        await context.bot.send_message(inviter_chat, text)


async def help_command(update: Update, context: BotContext) -> None:
    await reply(
        update, context, "help", role=context.me.role, commands=_command_lines(update, context)
    )


async def cancel_outside(update: Update, context: BotContext) -> None:
    await reply(update, context, "nothing_to_cancel")


async def unknown_command(update: Update, context: BotContext) -> None:
    text = update.message.text if update.message and update.message.text else "/"
    await reply(update, context, "unknown_command", command=text.split()[0][:64])


async def stray_input(update: Update, context: BotContext) -> None:
    await reply(update, context, "stray_text")


async def stale_button(update: Update, context: BotContext) -> None:
    await alert(update, context, "stale_button")


async def on_error(update: object, context: BotContext) -> None:
    """A refusal from a service becomes its message; anything else is logged and apologised for."""
    error = context.error
    if not isinstance(update, Update):
        logger.error("error outside an update", exc_info=error)
        return
    if isinstance(error, NotFound | NotAllowed) and update.callback_query is not None:
        name = "not_found_alert" if isinstance(error, NotFound) else "not_allowed_alert"
        await alert(update, context, name)
        return
    if isinstance(error, ServiceError):
        if update.callback_query is not None:
            await answer_query(update)
        await reply(update, context, error.template, **error.details)
        return
    if error is None:
        return
    failure = failures.describe(error)
    saved = failures.saved_in_this_update()
    logger.error(
        "update %s failed [%s] %s", update.update_id, failure.error_id, failure.kind, exc_info=error
    )
    context.record_error(error)
    deps = context.deps
    try:
        with deps.db.session() as session:
            notices.error_alert(session, deps, failure, now=deps.now())
    except Exception:  # the database may be what failed: the log has it all the same
        logger.exception("could not write the admins' alert for %s", failure.error_id)
    if update.callback_query is not None:
        await answer_query(update)
    await reply(
        update,
        context,
        "errors/unexpected_saved" if saved else "errors/unexpected",
        error_id=failure.error_id,
    )
