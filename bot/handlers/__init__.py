"""Commands and buttons: each handler parses the update, calls one service, renders one template.

``register_handlers`` wires them in order: the access gate first (group -1), then conversations,
commands and buttons, then the answers for anything nobody took.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BusinessConnectionHandler,
    BusinessMessagesDeletedHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.conversations.answer import answer_conversation
from bot.conversations.care import care_conversation
from bot.conversations.catalog_import import import_conversation
from bot.conversations.customer_location import customer_location_conversation
from bot.conversations.deal import deal_conversation
from bot.conversations.invite import invite_conversation, revoke_handler
from bot.conversations.lost import lost_note_conversation
from bot.conversations.newcustomer import newcustomer_conversation
from bot.conversations.order import order_conversation
from bot.conversations.pay import pay_conversation
from bot.conversations.period_range import period_range_conversation
from bot.conversations.pipeline import pipeline_conversation
from bot.conversations.product import product_conversation
from bot.conversations.quote import quote_conversation
from bot.conversations.quote_reject import quote_reject_conversation
from bot.conversations.reassign import reassign_conversation
from bot.conversations.record_edit import record_edit_conversation
from bot.conversations.settings import (
    choose_language,
    language_chosen,
    settings_conversation,
    show_company,
    show_settings,
)
from bot.conversations.snooze import snooze_conversation, snooze_now
from bot.conversations.templates import templates_conversation
from bot.conversations.terms import terms_conversation
from bot.conversations.terms_request import terms_request_conversation
from bot.conversations.ticket import ticket_conversation
from bot.conversations.visit import media_offer_handler, undo_handler, visit_conversation
from bot.conversations.visit_edit import visit_edit_conversation
from bot.handlers import (
    basics,
    board,
    business,
    calendar,
    customers,
    deals,
    funnel,
    gate,
    history,
    nearby,
    orders,
    quotes,
    segments,
    team,
    tickets,
    today,
    users,
)
from bot.handlers import contacts as contact_handlers
from bot.handlers.approvals import decide_request, inbox, open_waiting
from bot.handlers.digest import send_digest
from bot.handlers.export import export_chosen, export_command
from bot.handlers.outbox import show_outbox

private = filters.ChatType.PRIVATE


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # A rep's own customer chats (Telegram Business) come before the gate: their chat is the
    # rep's chat with a customer, which nothing may answer into (bot.handlers.business).
    app.add_handlers(
        [
            BusinessConnectionHandler(business.connection_changed),
            MessageHandler(filters.UpdateType.BUSINESS_MESSAGES, business.chat_message),
            BusinessMessagesDeletedHandler(business.messages_deleted),
        ],
        group=-2,
    )
    app.add_handler(TypeHandler(Update, gate.identify), group=-1)
    app.add_handlers(
        [
            visit_conversation(),
            visit_edit_conversation(),
            deal_conversation(),
            lost_note_conversation(),
            order_conversation(),
            pay_conversation(),
            import_conversation(),
            product_conversation(),
            ticket_conversation(),
            terms_conversation(),
            terms_request_conversation(),
            record_edit_conversation(),
            snooze_conversation(),
            answer_conversation(),
            care_conversation(),
            quote_conversation(),
            quote_reject_conversation(),
            newcustomer_conversation(),
            invite_conversation(),
            reassign_conversation(),
            settings_conversation(),
            pipeline_conversation(),
            templates_conversation(),
            period_range_conversation(),
            customer_location_conversation(),
            CommandHandler("start", basics.start, filters=private),
            CommandHandler("help", basics.help_command, filters=private),
            CommandHandler("cancel", basics.cancel_outside, filters=private),
            CommandHandler("settings", show_settings, filters=private),
            CommandHandler("language", choose_language, filters=private),
            CommandHandler("users", users.list_users, filters=private),
            CommandHandler("customers", customers.list_customers, filters=private),
            CommandHandler("deals", deals.board, filters=private),
            CommandHandler("board", board.open_board, filters=private),
            CommandHandler("today", today.my_day, filters=private),
            CommandHandler("tickets", tickets.list_open, filters=private),
            CommandHandler("outbox", show_outbox, filters=private),
            CommandHandler("digest", send_digest, filters=private),
            CommandHandler("export", export_command, filters=private),
            CommandHandler("approvals", inbox, filters=private),
            CommandHandler("funnel", funnel.funnel_command, filters=private),
            CommandHandler("team", team.team_command, filters=private),
            CommandHandler("segments", segments.overview, filters=private),
            CommandHandler("near", nearby.near_command, filters=private),
            CommandHandler("calendar", calendar.calendar_link, filters=private),
            revoke_handler(),
            undo_handler(),
            CallbackQueryHandler(users.list_users, pattern=r"^usr:page:\d+$"),
            CallbackQueryHandler(users.user_card, pattern=r"^usr:(view|on|off):\d+:\d+$"),
            CallbackQueryHandler(customers.list_customers, pattern=r"^cus:page:\d+$"),
            CallbackQueryHandler(customers.open_card, pattern=r"^cus:open:\d+$"),
            CallbackQueryHandler(customers.timeline_page, pattern=r"^tl:\d+:\d+$"),
            CallbackQueryHandler(
                history.history_page, pattern=r"^hist:(cus|ct|deal|q|ord|usr):\d+:\d+$"
            ),
            CallbackQueryHandler(deals.open_deal, pattern=r"^deal:open:\d+$"),
            CallbackQueryHandler(deals.move, pattern=r"^deal:mv:\d+:\w+(:\d+)?$"),
            CallbackQueryHandler(deals.ask_lost_reason, pattern=r"^deal:lost:\d+(:\d+)?$"),
            CallbackQueryHandler(deals.lost_with_reason, pattern=r"^deal:lr:\d+:\w+(:\d+)?$"),
            CallbackQueryHandler(orders.open_order, pattern=r"^ord:open:\d+$"),
            CallbackQueryHandler(orders.delivered, pattern=r"^ord:dlv:\d+$"),
            CallbackQueryHandler(quotes.approve, pattern=r"^qa:yes:\d+$"),
            CallbackQueryHandler(inbox, pattern=r"^apv:list$"),
            CallbackQueryHandler(open_waiting, pattern=r"^apv:[qt]:\d+$"),
            CallbackQueryHandler(decide_request, pattern=r"^tr:(yes|no):\d+$"),
            CallbackQueryHandler(quotes.send_to_customer, pattern=r"^qs:\d+:\d+$"),
            CallbackQueryHandler(tickets.open_card, pattern=r"^tk:open:\d+$"),
            CallbackQueryHandler(contact_handlers.list_contacts, pattern=r"^ct:list:\d+$"),
            CallbackQueryHandler(contact_handlers.make_link, pattern=r"^ct:mk:\d+$"),
            CallbackQueryHandler(tickets.move, pattern=r"^tk:mv:\d+:\w+$"),
            CallbackQueryHandler(snooze_now, pattern=r"^fu:snz:\d+:[hd]$"),
            CallbackQueryHandler(segments.overview, pattern=r"^seg:home$"),
            CallbackQueryHandler(segments.list_segment, pattern=r"^seg:[ts]:\w+:\d+$"),
            CallbackQueryHandler(business.choices_page, pattern=r"^bz:pg:\d+:\d+$"),
            CallbackQueryHandler(business.link_chat, pattern=r"^bz:ln:\d+:\d+$"),
            CallbackQueryHandler(business.not_customer, pattern=r"^bz:no:\d+$"),
            CallbackQueryHandler(business.follow_up, pattern=r"^bz:fu:\d+$"),
            CallbackQueryHandler(choose_language, pattern=r"^set:lang$"),
            CallbackQueryHandler(show_company, pattern=r"^set:company$"),
            CallbackQueryHandler(export_chosen, pattern=r"^exp:\w+$"),
            CallbackQueryHandler(funnel.funnel_button, pattern=r"^fun:v:"),
            CallbackQueryHandler(funnel.back_to_funnel, pattern=r"^fun:b:"),
            CallbackQueryHandler(funnel.stage_deals, pattern=r"^fun:s:"),
            CallbackQueryHandler(funnel.pick_team, pattern=r"^fun:teams:"),
            CallbackQueryHandler(team.team_button, pattern=r"^team:v:"),
            CallbackQueryHandler(team.pick_team, pattern=r"^team:teams:"),
            CallbackQueryHandler(language_chosen, pattern=r"^set:lang:\w+$"),
            CallbackQueryHandler(nearby.keep_check_in, pattern=r"^loc:keep:\d+$"),
            CallbackQueryHandler(calendar.reset_link, pattern=r"^cal:reset$"),
            media_offer_handler(),
            MessageHandler(filters.COMMAND, basics.unknown_command),
            MessageHandler(filters.TEXT, customers.search_typed),
            MessageHandler(filters.ALL, basics.stray_input),
            CallbackQueryHandler(basics.stale_button),
        ]
    )
    app.add_error_handler(basics.on_error)
