"""Local Telegram Bot API emulator: serve the Bot API to a real PTB bot and simulate users."""

from bot.emulator.server import (
    SENDING_METHODS,
    BotAPIEmulator,
    BotAPIError,
    BotMessage,
    InlineButton,
    SimUser,
    StoredFile,
    UploadedFile,
)
from bot.emulator.telegram_html import TelegramHTMLError, parse_html, utf16_len

__all__ = [
    "SENDING_METHODS",
    "BotAPIEmulator",
    "BotAPIError",
    "BotMessage",
    "InlineButton",
    "SimUser",
    "StoredFile",
    "TelegramHTMLError",
    "UploadedFile",
    "parse_html",
    "utf16_len",
]
