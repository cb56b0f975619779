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
)

COMMANDS_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.REP: (*SELLING, "settings", "language", "help", "cancel"),
    Role.MANAGER: (*SELLING, "digest", "invite", "settings", "language", "help", "cancel"),
    Role.DIRECTOR: (
        "today",
        "customers",
        "deals",
        "segments",
        "digest",
        "settings",
        "language",
        "help",
        "cancel",
    ),
    Role.ADMIN: (
        "invite",
        "users",
        "pipeline",
        "import",
        "product",
        "outbox",
        "care",
        "customers",
        "segments",
        "settings",
        "language",
        "help",
        "cancel",
    ),
}


def commands_for(role: Role | None) -> tuple[str, ...]:
    """The commands a person with ``role`` is offered; strangers get only the public ones."""
    if role is None:
        return PUBLIC_COMMANDS
    return COMMANDS_BY_ROLE[role]
