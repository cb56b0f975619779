"""/calendar: the person's private calendar feed link (made the first time; only its hash is
kept, so later it can only be reset), and *🔄 Reset link* (``cal:reset``), which makes a new one
and stops the old."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.replies import keyboard, label, reply, show
from bot.services import calendar_feed


def _reset_button(update: Update, context: BotContext) -> list[list[tuple[str, str]]]:
    return [[(label(update, context, "calendar_reset"), "cal:reset")]]


async def calendar_link(update: Update, context: BotContext) -> None:
    deps = context.deps
    public_url = deps.settings.public_url
    if public_url is None:
        await reply(update, context, "calendar/no_public_url")
        return
    with deps.db.session() as session:
        link = calendar_feed.feed_link(session, context.me.user_id, deps.now())
    markup = keyboard(_reset_button(update, context))
    if link.token is None:
        await reply(
            update,
            context,
            "calendar/existing",
            markup=markup,
            created_at=link.created_at,
            timezone=context.me.timezone,
        )
        return
    await reply(
        update,
        context,
        "calendar/link",
        markup=markup,
        url=calendar_feed.feed_url(public_url, link.token),
        reset=False,
        timezone=context.me.timezone,
    )


async def reset_link(update: Update, context: BotContext) -> None:
    deps = context.deps
    public_url = deps.settings.public_url
    if public_url is None:
        await show(update, context, "calendar/no_public_url")
        return
    with deps.db.session() as session:
        token = calendar_feed.issue_token(session, context.me.user_id, deps.now())
    await show(
        update,
        context,
        "calendar/link",
        markup=keyboard(_reset_button(update, context)),
        url=calendar_feed.feed_url(public_url, token),
        reset=True,
        timezone=context.me.timezone,
    )
