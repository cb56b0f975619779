"""Commands and buttons: each handler parses the update, calls one service, renders one template.

``register_handlers`` wires them in order: the access gate first (group -1), then conversations,
commands and buttons, then the answers for anything nobody took.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot.app import SalesbotApplication
from bot.conversations.invite import invite_conversation, revoke_handler
from bot.conversations.settings import settings_conversation, show_settings
from bot.handlers import basics, customers, gate, users

private = filters.ChatType.PRIVATE


def register_handlers(app: SalesbotApplication) -> None:
    app.add_handler(TypeHandler(Update, gate.identify), group=-1)
    app.add_handlers(
        [
            invite_conversation(),
            settings_conversation(),
            CommandHandler("start", basics.start, filters=private),
            CommandHandler("help", basics.help_command, filters=private),
            CommandHandler("cancel", basics.cancel_outside, filters=private),
            CommandHandler("settings", show_settings, filters=private),
            CommandHandler("users", users.list_users, filters=private),
            CommandHandler("customers", customers.list_customers, filters=private),
            revoke_handler(),
            CallbackQueryHandler(users.list_users, pattern=r"^usr:page:\d+$"),
            CallbackQueryHandler(users.user_card, pattern=r"^usr:(view|on|off):\d+:\d+$"),
            CallbackQueryHandler(customers.list_customers, pattern=r"^cus:page:\d+$"),
            MessageHandler(filters.COMMAND, basics.unknown_command),
            MessageHandler(filters.ALL, basics.stray_input),
            CallbackQueryHandler(basics.stale_button),
        ]
    )
    app.add_error_handler(basics.on_error)
