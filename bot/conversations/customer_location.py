"""📍 Set location on a customer's card: asks for the place as a Telegram location or venue
(📎 → Location, a point picked on the map, or where the person stands now) and keeps it as
the customer's place, for "customers near me"."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversations.common import (
    END,
    clear_conversation_data,
    conversation_data,
    finishing,
    make_conversation,
)
from bot.handlers.replies import (
    answer_query,
    callback_parts,
    int_part,
    label,
    send_with_reply_keyboard,
)
from bot.services import nearby
from bot.services.errors import NotFound

NAME = "customer_location"
PLACE = 0


def _markup(update: Update, context: BotContext) -> ReplyKeyboardMarkup:
    here = KeyboardButton(label(update, context, "place_here"), request_location=True)
    return ReplyKeyboardMarkup([[here]], resize_keyboard=True, one_time_keyboard=True)


async def ask(update: Update, context: BotContext) -> int:
    customer_id = int_part(callback_parts(update, "loc"), 1)
    if customer_id is None:
        raise NotFound()
    with context.deps.db.session() as session:
        place = nearby.place_of(session, context.me, customer_id)
    clear_conversation_data(context, NAME)
    conversation_data(context, NAME).update(customer_id=customer_id, name=place.name)
    await answer_query(update)
    await send_with_reply_keyboard(
        update, context, "nearby/set_ask", _markup(update, context), place=place
    )
    return PLACE


async def place_shared(update: Update, context: BotContext) -> int | None:
    message = update.message
    if message is None or message.location is None:
        await reask(update, context)
        return None
    data = conversation_data(context, NAME)
    latitude, longitude = message.location.latitude, message.location.longitude
    if not nearby.valid_point(latitude, longitude):
        await reask(update, context)
        return None
    with finishing(update, context, NAME) as session:
        place = nearby.set_location(
            session,
            context.me,
            int(data["customer_id"]),
            latitude,
            longitude,
            now=context.deps.now(),
        )
    await send_with_reply_keyboard(
        update, context, "nearby/place_set", ReplyKeyboardRemove(), place=place
    )
    return END


async def reask(update: Update, context: BotContext) -> None:
    """Anything but a location: say again what is wanted, with the button."""
    name = conversation_data(context, NAME).get("name", "")
    await send_with_reply_keyboard(
        update, context, "nearby/set_reask", _markup(update, context), name=name
    )


def customer_location_conversation() -> ConversationHandler[BotContext]:
    return make_conversation(
        NAME,
        entry_points=[CallbackQueryHandler(ask, pattern=r"^loc:set:\d+$")],
        states={
            PLACE: [
                MessageHandler(filters.LOCATION, place_shared),
                MessageHandler(~filters.COMMAND, reask),
            ]
        },
    )
