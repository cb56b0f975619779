"""What each role may do: the commands offered in the menu and in /help."""

from __future__ import annotations

from models import Role

PUBLIC_COMMANDS: tuple[str, ...] = ("start", "help")

SELLING = (
    "today",
    "visit",
    "customers",
    "newcustomer",
    "deal",
    "deals",
    "quote",
    "pay",
    "ticket",
    "tickets",
    "segments",
    "near",
)

COMMANDS_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.REP: (
        *SELLING,
        "board",
        "calendar",
        "funnel",
        "export",
        "settings",
        "language",
        "help",
        "cancel",
    ),
    Role.MANAGER: (
        *SELLING,
        "board",
        "calendar",
        "approvals",
        "digest",
        "funnel",
        "team",
        "invite",
        "import",
        "export",
        "reassign",
        "settings",
        "language",
        "help",
        "cancel",
    ),
    Role.DIRECTOR: (
        "today",
        "calendar",
        "approvals",
        "customers",
        "near",
        "deals",
        "board",
        "segments",
        "digest",
        "reassign",
        "funnel",
        "team",
        "export",
        "settings",
        "language",
        "help",
        "cancel",
    ),
    # Finance reads every customer, order and payment, logs payments and decides terms requests.
    Role.FINANCE: (
        "approvals",
        "customers",
        "deals",
        "board",
        "tickets",
        "segments",
        "pay",
        "calendar",
        "funnel",
        "team",
        "export",
        "settings",
        "language",
        "help",
        "cancel",
    ),
    Role.ADMIN: (
        "invite",
        "users",
        "reassign",
        "pipeline",
        "import",
        "product",
        "outbox",
        "care",
        "templates",
        "customers",
        "export",
        "funnel",
        "team",
        "segments",
        "settings",
        "language",
        "help",
        "cancel",
    ),
}


# Roles whose chat menu button opens the pipeline board (with PUBLIC_URL set).
BOARD_MENU_ROLES = frozenset({Role.MANAGER, Role.DIRECTOR})


def may_open_board(role: Role) -> bool:
    """Whether ``role`` may open the pipeline board (/board, the Mini App): whoever sees deals."""
    return "board" in COMMANDS_BY_ROLE[role]


# Roles that see records without changing them (a button or forged press gets "not allowed").
READ_ONLY_ROLES = frozenset({Role.FINANCE})


def may_change_records(role: Role) -> bool:
    """Whether ``role`` may log touches, create or move deals, edit customers and contacts, open
    tickets and orders, and build quotes (finance only reads them, and logs payments)."""
    return role not in READ_ONLY_ROLES


# Who may connect the bot to their Telegram Business account, so that their own chats with
# customers are kept on the timeline (bot.services.business_chats): those who sell.
BUSINESS_CHAT_ROLES = frozenset({Role.REP, Role.MANAGER})


def may_keep_business_chats(role: Role) -> bool:
    """Whether a person with ``role`` may connect their Telegram Business account."""
    return role in BUSINESS_CHAT_ROLES


# Buttons that start changing a record (a touch, a deal, a quote, an edit, a contact's link, a
# terms request, an order, a ticket's move): a read-only role is refused before any question.
WRITE_BUTTONS = (
    "vis:",
    "dl:",
    "q:",
    "ed:",
    "ct:mk:",
    "ct:list:",
    "tq:",
    "deal:mv:",
    "deal:lost:",
    "deal:lr:",
    "ord:new:",
    "ord:dlv:",
    "tk:mv:",
    "fu:",
    "nc:",
    "ra:",
    "loc:",
    "bz:",
)


def refused_up_front(role: Role, command: str | None, button: str | None) -> bool:
    """Whether a read-only role's command (one not on its menu) or button (one that starts a
    change) is refused at once, rather than after the questions of a flow it may not finish."""
    if role not in READ_ONLY_ROLES:
        return False
    if command is not None:
        return command not in COMMANDS_BY_ROLE[role] and command not in PUBLIC_COMMANDS
    return button is not None and button.startswith(WRITE_BUTTONS)


def commands_for(role: Role | None) -> tuple[str, ...]:
    """The commands a person with ``role`` is offered; strangers get only the public ones."""
    if role is None:
        return PUBLIC_COMMANDS
    return COMMANDS_BY_ROLE[role]
