"""/invite: choose a role (and a team, possibly a new one) with buttons, get a one-time link.

Managers may invite reps into their own team only, so for them there is nothing to choose.
"""

from __future__ import annotations

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
    pick_with_buttons,
)
from bot.handlers.replies import (
    callback_parts,
    int_part,
    keyboard,
    label,
    message_text,
    reply,
    show,
)
from bot.services import people
from bot.services.errors import NotAllowed, NotFound
from models import Role

NAME = "invite"
CHOOSE_ROLE, CHOOSE_TEAM, TEAM_NAME = range(3)


async def _issue(update: Update, context: BotContext, role: Role, team_id: int | None) -> int:
    deps = context.deps
    actor = context.me
    with deps.db.session() as session:
        invite = people.create_invite(session, actor, role, team_id, now=deps.now())
    clear_conversation_data(context, NAME)
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    await show(
        update,
        context,
        "invites/created",
        markup=keyboard([[(label(update, context, "revoke"), f"inv:revoke:{invite.invite_id}")]]),
        invite=invite,
        link=link,
        timezone=actor.timezone,
    )
    return END


async def start_invite(update: Update, context: BotContext) -> int:
    actor = context.me
    roles = people.invitable_roles(actor)
    if not roles:
        raise NotAllowed()
    if roles == [Role.REP] and actor.role == Role.MANAGER:
        return await _issue(update, context, Role.REP, actor.team_id)
    buttons = [
        (label(update, context, "role", role.value), f"inv:role:{role.value}") for role in roles
    ]
    rows = [buttons[:2], buttons[2:4], buttons[4:]]
    await reply(update, context, "invites/choose_role", markup=keyboard(rows))
    return CHOOSE_ROLE


async def _ask_team(update: Update, context: BotContext, role: Role) -> int:
    deps = context.deps
    with deps.db.session() as session:
        teams = [(team.id, team.name) for team in people.teams_for_invite(session, context.me)]
    rows = [[(name, f"inv:team:{team_id}")] for team_id, name in teams]
    if context.me.role == Role.ADMIN:
        rows.append([(label(update, context, "team_new"), "inv:team:new")])
    await show(
        update,
        context,
        "invites/choose_team",
        markup=keyboard(rows),
        role=role,
        has_teams=bool(teams),
    )
    return CHOOSE_TEAM


async def role_chosen(update: Update, context: BotContext) -> int:
    parts = callback_parts(update, "inv")
    try:
        role = Role(parts[1])
    except (IndexError, ValueError):
        raise NotFound() from None
    if role not in people.invitable_roles(context.me):
        raise NotAllowed()
    conversation_data(context, NAME)["role"] = role.value
    if not people.role_needs_team(role):
        return await _issue(update, context, role, None)
    return await _ask_team(update, context, role)


def _chosen_role(context: BotContext) -> Role:
    value = conversation_data(context, NAME).get("role")
    if value is None:
        raise NotFound()
    return Role(value)


async def team_chosen(update: Update, context: BotContext) -> int:
    parts = callback_parts(update, "inv")
    role = _chosen_role(context)
    if parts[1:2] == ["new"]:
        if context.me.role != Role.ADMIN:
            raise NotAllowed()
        await show(update, context, "invites/ask_team_name")
        return TEAM_NAME
    return await _issue(update, context, role, int_part(parts, 1))


async def team_named(update: Update, context: BotContext) -> int:
    role = _chosen_role(context)
    text = message_text(update)
    deps = context.deps
    with deps.db.session() as session:
        team = people.create_team(session, context.me, text, now=deps.now())
        team_id = team.id
    return await _issue(update, context, role, team_id)


async def revoke(update: Update, context: BotContext) -> None:
    invite_id = int_part(callback_parts(update, "inv"), 1)
    if invite_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        people.revoke_invite(session, context.me, invite_id, now=deps.now())
    await show(update, context, "invites/withdrawn")


def invite_conversation() -> ConversationHandler[BotContext]:
    text_not_command = filters.TEXT & ~filters.COMMAND
    return make_conversation(
        NAME,
        entry_points=[CommandHandler("invite", start_invite)],
        states={
            CHOOSE_ROLE: [
                CallbackQueryHandler(role_chosen, pattern=r"^inv:role:"),
                MessageHandler(text_not_command, pick_with_buttons),
            ],
            CHOOSE_TEAM: [
                CallbackQueryHandler(team_chosen, pattern=r"^inv:team:"),
                MessageHandler(text_not_command, pick_with_buttons),
            ],
            TEAM_NAME: [MessageHandler(text_not_command, team_named)],
        },
    )


def revoke_handler() -> CallbackQueryHandler[BotContext, None]:
    return CallbackQueryHandler(revoke, pattern=r"^inv:revoke:\d+$")
