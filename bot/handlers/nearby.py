"""Customers near me: /near asks for the person's location; a location (or venue) shared outside
any flow answers with the visible customers within a few kilometres, nearest first, as buttons
to their cards, and a map pin of the nearest. 📍 Keep as its place, under a saved visit with the
first check-in at a customer, makes that check-in the customer's place."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.replies import (
    answer_query,
    callback_parts,
    int_part,
    keyboard,
    label,
    reply,
    send_with_reply_keyboard,
)
from bot.services import nearby, segments
from bot.services.errors import NotFound


def cadence_days(context: BotContext) -> dict[str, int]:
    settings = context.deps.settings
    return {tier: settings.cadence_days(tier) for tier in segments.TIERS}


async def near_command(update: Update, context: BotContext) -> None:
    """/near: ask for the location, with a button that shares it."""
    share = KeyboardButton(label(update, context, "share_location"), request_location=True)
    markup = ReplyKeyboardMarkup([[share]], resize_keyboard=True, one_time_keyboard=True)
    await send_with_reply_keyboard(update, context, "nearby/ask", markup)


async def answer_location(
    update: Update,
    context: BotContext,
    latitude: float,
    longitude: float,
    *,
    offer_button: tuple[str, str] | None,
) -> None:
    """The customers near the shared point (``offer_button``: 📝 Log a visit with this, last),
    then a pin of the nearest."""
    deps = context.deps
    with deps.db.session() as session:
        found = nearby.near(
            session,
            context.me,
            latitude,
            longitude,
            now=deps.now(),
            cadence_days=cadence_days(context),
        )
    rows = [
        [(label(update, context, "near_customer", customer), f"cus:open:{customer.customer_id}")]
        for customer in found
    ]
    if offer_button is not None:
        rows.append([offer_button])
    await reply(
        update,
        context,
        "nearby/near",
        markup=keyboard(rows) if rows else None,
        customers=found,
        km=nearby.NEAR_KM,
        offer=offer_button is not None,
    )
    chat = update.effective_chat
    if found and chat is not None:
        nearest = found[0]
        await context.bot.send_venue(
            chat.id,
            nearest.latitude,
            nearest.longitude,
            title=nearest.name,
            address=nearest.address or label(update, context, "near_pin_address", nearest.km),
        )


async def keep_check_in(update: Update, context: BotContext) -> None:
    """📍 Keep as its place under a saved visit."""
    touch_id = int_part(callback_parts(update, "loc"), 1)
    if touch_id is None:
        raise NotFound()
    deps = context.deps
    with deps.db.session() as session:
        kept = nearby.keep_check_in(session, context.me, touch_id, now=deps.now())
    await answer_query(update)
    await reply(update, context, "nearby/place_set", place=kept)
