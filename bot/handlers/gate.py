"""The access gate: runs before every other handler, finds the registered person behind the
update, and stops strangers and deactivated accounts with the invite hint and nothing else."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.handlers import contacts as contact_handlers
from bot.handlers.basics import on_error
from bot.handlers.business import is_business_update
from bot.handlers.menu import publish_menu
from bot.handlers.replies import alert, profile_of, reply
from bot.services import contacts, history, people
from bot.services.access import refused_up_front
from bot.services.actor_cache import actor_cache
from bot.services.errors import NotAllowed


def _start_code(update: Update) -> str | None:
    """The code of a deep link (``/start CODE``), if that is what the update is."""
    message = update.message
    text = message.text if message and message.text else ""
    parts = text.split()
    if len(parts) == 2 and parts[0].split("@")[0] == "/start":
        return parts[1]
    return None


def _command(update: Update) -> str | None:
    text = update.message.text if update.message and update.message.text else ""
    if not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].lower()


def _button(update: Update) -> str | None:
    return update.callback_query.data if update.callback_query else None


async def identify(update: Update, context: BotContext) -> None:
    """Let a registered person's update through; answer and stop everything else here.

    An error while deciding also stops the update here (after the usual error answer), so no
    update ever reaches the staff handlers unchecked.
    """
    try:
        await _identify(update, context)
    except ApplicationHandlerStop:
        raise
    except Exception as error:
        context.error = error
        await on_error(update, context)
        raise ApplicationHandlerStop from None


async def _identify(update: Update, context: BotContext) -> None:
    if is_business_update(update):
        raise ApplicationHandlerStop  # bot.handlers.business took it (group -2), or nobody may
    profile = profile_of(update)
    if profile is None or update.effective_chat is None or update.effective_chat.type != "private":
        raise ApplicationHandlerStop
    deps = context.deps
    known = actor_cache(deps.db.engine)
    actor, changed = known.get(profile), False
    if actor is None:
        with deps.db.session() as session:
            actor, changed = people.resolve_actor(
                session,
                profile,
                admin_ids=deps.settings.admin_telegram_ids,
                default_timezone=deps.settings.default_timezone,
                now=deps.now(),
            )
        if actor is not None:
            known.put(profile, actor)
    context.actor = actor
    # Every change this update makes is recorded under this person (the system for strangers).
    history.act_as(actor.user_id if actor is not None else None)
    if actor is not None:
        if refused_up_front(actor.role, _command(update), _button(update)):
            raise NotAllowed()
        if changed:
            await publish_menu(context, actor.telegram_id, actor.role, actor.language)
        return
    with deps.db.session() as session:
        person = contacts.contact_by_chat(session, profile.telegram_id)
    if person is not None:
        history.act_as(contact_id=person.contact_id)
        context.contact_language = person.language
        await contact_handlers.dispatch(update, context, person)
        raise ApplicationHandlerStop
    code = _start_code(update)
    if code is not None and code.startswith("c_"):
        await contact_handlers.link(update, context, code)
        raise ApplicationHandlerStop
    if code is not None:
        return
    if update.callback_query is not None:
        await alert(update, context, "not_registered_alert")
    else:
        await reply(update, context, "not_registered")
    raise ApplicationHandlerStop
