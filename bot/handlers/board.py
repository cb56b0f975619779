"""/board: a button that opens the pipeline board, a Telegram Mini App served by the bot's own
web server (``bot.board_web``); without PUBLIC_URL (https) it says what is missing."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo

from bot.context import BotContext
from bot.handlers.replies import label, reply
from bot.services import board


async def open_board(update: Update, context: BotContext) -> None:
    url = board.board_link(context.me, context.deps.settings.public_url)
    if url is None:
        await reply(update, context, "board/no_public_url")
        return
    button = InlineKeyboardButton(label(update, context, "open_board"), web_app=WebAppInfo(url))
    await reply(update, context, "board/open", markup=InlineKeyboardMarkup([[button]]))
