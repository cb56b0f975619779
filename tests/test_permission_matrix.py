"""The permission matrix of every other command and every kind of record button (issue 15), as
one table like ``tests/test_role_matrix.py`` (issue 14's commands and buttons): each action ×
rep, rep of another team, manager, manager of another team, finance, director, admin; a linked
contact, a deactivated person and a stranger get nothing of the staff's. The actions here only
show or start something (a flow is left with /cancel), so one world serves the whole table.

Outcomes: ``allow`` (the action's own answer), ``deny`` ("You can't do that with your role."),
``gone`` ("Not found.", the same as for a record that does not exist)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Deal, User
from tests.conftest import FakeClock
from tests.test_role_matrix import SENDERS, World, _outcome, _world

# fmt: off
TABLE: dict[str, str] = {
    #                       rep   other  mgr   other  fin   dir   admin
    #                             rep          mgr
    "/today":               "allow allow allow allow deny  allow allow",
    "/customers":           "allow allow allow allow allow allow allow",
    "/newcustomer":         "allow allow allow allow deny  allow allow",
    "/visit":               "allow allow allow allow deny  allow allow",
    "/deal":                "allow allow allow allow deny  allow allow",
    "/deals":               "allow allow allow allow allow allow allow",
    "/board":               "allow allow allow allow allow allow deny ",
    "/quote":               "allow allow allow allow deny  allow allow",
    "/pay":                 "allow allow allow allow allow allow allow",
    "/ticket":              "allow allow allow allow deny  allow allow",
    "/tickets":             "allow allow allow allow allow allow allow",
    "/digest":              "deny  deny  allow allow deny  allow allow",
    "/invite":              "deny  deny  allow allow deny  deny  allow",
    "/users":               "deny  deny  deny  deny  deny  deny  allow",
    "/outbox":              "deny  deny  deny  deny  deny  deny  allow",
    "/care":                "deny  deny  deny  deny  deny  deny  allow",
    "/product":             "deny  deny  deny  deny  deny  deny  allow",
    "/import products":     "deny  deny  deny  deny  deny  deny  allow",
    "/settings":            "allow allow allow allow allow allow allow",
    "/language":            "allow allow allow allow allow allow allow",
    "/help":                "allow allow allow allow allow allow allow",
    "/near":                "allow allow allow allow deny  allow allow",
    "/calendar":            "allow allow allow allow allow allow allow",
    "reset calendar link":  "allow allow allow allow allow allow allow",
    "customer card":        "allow gone  allow gone  allow allow allow",
    "timeline":             "allow gone  allow gone  allow allow allow",
    "contacts of customer": "allow gone  allow gone  deny  allow allow",
    "edit customer":        "allow gone  allow gone  deny  allow allow",
    "log a visit on it":    "allow gone  allow gone  deny  allow allow",
    "new deal on it":       "allow gone  allow gone  deny  allow allow",
    "deal card":            "allow gone  allow gone  allow allow allow",
    "quote on deal":        "allow gone  allow gone  deny  allow allow",
    "order card":           "allow gone  allow gone  allow allow allow",
    "pay on order":         "allow gone  allow gone  allow allow allow",
    "set terms":            "deny  deny  deny  deny  allow allow allow",
    "set its location":     "allow gone  allow gone  deny  allow allow",
}
# fmt: on
GUESTS = ("contact", "deactivated", "stranger")


def _buttons(world: World, db: Database) -> dict[str, str]:
    acme = world.buttons["history of customer"].split(":")[2]
    order = world.buttons["history of order"].split(":")[2]
    with db.session() as session:
        deal = session.exec(select(Deal).where(Deal.title == "Lathes")).one()
    return {
        "customer card": f"cus:open:{acme}",
        "timeline": f"tl:{acme}:0",
        "contacts of customer": f"ct:list:{acme}",
        "edit customer": f"ed:cus:{acme}",
        "log a visit on it": f"vis:new:{acme}",
        "new deal on it": f"dl:new:{acme}",
        "deal card": f"deal:open:{deal.id}",
        "quote on deal": f"q:deal:{deal.id}",
        "order card": f"ord:open:{order}",
        "pay on order": f"pay:ord:{order}",
        "set terms": f"trm:{acme}",
        "set its location": f"loc:set:{acme}",
        "reset calendar link": "cal:reset",
    }


@pytest.mark.timeout(240)
async def test_permission_matrix(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    world = await _world(bot, emulator, db, clock)
    world.buttons.update(_buttons(world, db))
    sara = emulator.user(5203, "Sara")  # a rep of North, deactivated
    with db.session() as session:
        row = session.exec(select(User).where(User.telegram_id == 5203)).one()
        row.is_active = False
    world.people["deactivated"] = sara
    wrong: dict[tuple[str, str], str] = {}
    for action, cells in TABLE.items():
        expected = dict(zip(SENDERS, cells.split(), strict=True))
        for sender in SENDERS:
            found = await _outcome(bot, world.people[sender], action, world)
            if found != expected[sender]:
                wrong[action, sender] = f"{found}, table says {expected[sender]}"
        contact = await _outcome(bot, world.people["contact"], action, world)
        if contact not in ("allow", "gone"):  # the contact's own answer, never the staff's
            wrong[action, "contact"] = contact
        for guest in ("deactivated", "stranger"):
            found = await _outcome(bot, world.people[guest], action, world)
            if found != "stranger":
                wrong[action, guest] = f"{found}, not the invite hint"
    assert wrong == {}, "\n".join(f"{a} · {who}: {what}" for (a, who), what in wrong.items())
