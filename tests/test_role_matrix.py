"""The role matrix of issue 14's commands and buttons, as one table: each action × rep, rep of
another team, manager, manager of another team, finance, director, admin, a customer's linked
contact and a stranger. The records are team North's (Tom's customer Acme Machinery, its
contact, deal, quote waiting for approval, terms request and order). Outcomes:

- ``allow``: the action's own answer (its words are in ``MARKS``), or its file;
- ``deny``: "You can't do that with your role." (the role lacks it);
- ``gone``: "Not found." — exactly what a button for a record that does not exist answers, so
  nobody outside North can tell whether a North record exists;
- ``guest``: a linked contact or a stranger gets what they get for anything they may not use
  (the contact's own help or "Not found.", a stranger the invite hint), nothing of the staff's.

Admins may not approve quotes or terms requests: approving stays with the sales line and
finance, so the person who sets the limits is not the one who waives them (README, Roles)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import Contact, Role, SalesOrder, TermsRequest
from tests.conftest import FakeClock
from tests.flows import actor_of, add_customer, link_contact, make_order, register, sales_team
from tests.test_approvals import ask_terms
from tests.test_deals import create_deal
from tests.test_quotes import add_products, build_quote

SENDERS = ("rep", "other_rep", "manager", "other_manager", "finance", "director", "admin")
GUESTS = ("contact", "stranger")
DENIED = "You can't do that with your role."
# A refusal in a command's own words, naming who may (the same meaning as DENIED).
REFUSALS = (DENIED, "Moving customers from one rep to another is for managers")
GONE = "Not found."
INVITE_HINT = "I only work for invited people"
PROBE = bool(os.environ.get("MATRIX_PROBE"))

# action → the outcome per sender, in the order of SENDERS (contact and stranger are always
# "guest"). Read across: who may do what.
# fmt: off
TABLE: dict[str, str] = {
    #                       rep   other  mgr   other  fin   dir   admin
    #                             rep          mgr
    "/funnel":              "allow allow allow allow allow allow allow",
    "/team":                "deny  deny  allow allow allow allow allow",
    "/approvals":           "allow allow allow allow allow allow allow",
    "/reassign":            "deny  deny  allow allow deny  allow allow",
    "/segments":            "allow allow allow allow allow allow allow",
    "/segments recompute":  "deny  deny  deny  deny  deny  deny  allow",
    "/import customers":    "deny  deny  allow allow deny  deny  allow",
    "/export customers":    "allow allow allow allow allow allow allow",
    "/pipeline":            "deny  deny  deny  deny  deny  deny  allow",
    "/templates":           "deny  deny  deny  deny  deny  deny  allow",
    "history of customer":  "allow gone  allow gone  allow allow allow",
    "history of contact":   "allow gone  allow gone  allow allow allow",
    "history of deal":      "allow gone  allow gone  allow allow allow",
    "history of order":     "allow gone  allow gone  allow allow allow",
    "history of quote":     "allow gone  allow gone  allow allow allow",
    "history of a person":  "gone  gone  gone  gone  gone  gone  allow",
    "ask for terms":        "allow gone  allow gone  deny  deny  deny",
    "open terms request":   "deny  gone  allow gone  deny  allow deny",
    "open quote approval":  "deny  gone  allow gone  deny  allow deny",
    "approve terms":        "deny  gone  allow gone  deny  allow deny",
    "approve quote":        "deny  gone  allow gone  deny  allow deny",
}
# fmt: on


@dataclass
class World:
    people: dict[str, SimUser]
    buttons: dict[str, str]  # action → callback data naming North's record


async def _world(bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock) -> World:
    team = await sales_team(bot, emulator)
    nina = await register(bot, emulator, team.admin, Role.MANAGER, 5211, "Nina", team="South")
    finance = await register(bot, emulator, team.admin, Role.FINANCE, 5401, "Fiona")
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dave")
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    await ask_terms(bot, team.tom, "Acme Machinery", "Allowed discount", "12", "Framework deal")
    clock.advance(timedelta(hours=1))
    await build_quote(bot, team.tom, "CNC-100", "10", "15")
    await bot.press(team.tom, "📤 Submit")
    orbit = add_customer(db, team.tom, "Orbit Pumps")
    order_id, _ = make_order(db, team.tom, team.tom, orbit, "Pumps", [("5000", clock().date())])
    li_na = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7001)
    with db.session() as session:
        contact = session.exec(select(Contact).where(Contact.name == "Li Na")).one()
        request = session.exec(select(TermsRequest)).one()
        order = session.get(SalesOrder, order_id)
        assert order is not None
        deal_id = order.deal_id
    from models import Deal, Quote

    with db.session() as session:
        lathes = session.exec(select(Deal).where(Deal.title == "Lathes")).one()
        quote = session.exec(select(Quote)).one()
    tom_id = actor_of(db, team.tom.id).user_id
    stranger = emulator.user(9999, "Stranger")
    await bot.send(stranger, "/start")  # a message of the bot's for their presses to be on
    del deal_id
    return World(
        people={
            "rep": team.tom,
            "other_rep": team.ken,
            "manager": team.manager,
            "other_manager": nina,
            "finance": finance,
            "director": director,
            "admin": team.admin,
            "contact": li_na,
            "stranger": stranger,
        },
        buttons={
            "history of customer": f"hist:cus:{acme}:0",
            "history of contact": f"hist:ct:{contact.id}:0",
            "history of deal": f"hist:deal:{lathes.id}:0",
            "history of order": f"hist:ord:{order_id}:0",
            "history of quote": f"hist:q:{quote.id}:0",
            "history of a person": f"hist:usr:{tom_id}:0",
            "ask for terms": f"tq:{acme}",
            "open terms request": f"apv:t:{request.id}",
            "open quote approval": f"apv:q:{quote.id}",
            "approve terms": f"tr:yes:{request.id}",
            "approve quote": f"qa:yes:{quote.id}",
        },
    )


async def _outcome(bot: LocalBot, person: SimUser, action: str, world: World) -> str:
    before, answered = len(person.messages), len(person.callback_answers)
    target = person.messages[-1] if person.messages else None
    shown = (target.text, target.edit_date) if target else None
    if action.startswith("/"):
        await bot.settle(await person.send(action))
    else:
        await bot.settle(await person.press_data(world.buttons[action]))
    said = [m.text for m in person.messages[before:]] + [
        str(a.get("text") or "") for a in person.callback_answers[answered:]
    ]
    if target is not None and (target.text, target.edit_date) != shown:
        said.append(target.text)  # the button's own message, edited into the answer
    files = [m for m in person.messages[before:] if m.kind in ("document", "photo")]
    if PROBE:
        print(f"{action} · {person.first_name}: {said!r}"[:300])
    await bot.settle(await person.send("/cancel"))  # leave any flow the action started
    if any(INVITE_HINT in text for text in said):
        return "stranger"
    if any(text.startswith(REFUSALS) for text in said):
        return "deny"
    if any(text.startswith("This quote was already decided by") for text in said):
        return "allow"  # another approver at the same step was first
    if GONE in said:
        return "gone"
    assert any(text.strip() for text in said) or files, f"{action}: no answer"
    return "allow"


def _expected(action: str) -> dict[str, str]:
    return dict(zip(SENDERS, TABLE[action].split(), strict=True))


@pytest.mark.parametrize("action", list(TABLE))
async def test_role_matrix(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, action: str
) -> None:
    world = await _world(bot, emulator, db, clock)
    expected = _expected(action)
    # Whoever may change something goes last, so the others see the record as it was.
    order = sorted(SENDERS, key=lambda sender: expected[sender] == "allow")
    found = {sender: await _outcome(bot, world.people[sender], action, world) for sender in order}
    assert found == expected
    guest = await _outcome(bot, world.people["contact"], action, world)
    assert guest in ("allow", "gone"), guest  # the contact's own answer, never staff's
    assert await _outcome(bot, world.people["stranger"], action, world) == "stranger"


@pytest.mark.parametrize("action", [a for a in TABLE if not a.startswith("/")])
async def test_a_forged_button_answers_like_one_for_a_missing_record(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, action: str
) -> None:
    world = await _world(bot, emulator, db, clock)
    ken = world.people["other_rep"]
    data = world.buttons[action]
    missing = ":".join(
        "99999999" if part.isdigit() and index == data.split(":").index(part) else part
        for index, part in enumerate(data.split(":"))
    )
    await bot.settle(await ken.press_data(data))
    forged = ken.callback_answers[-1].get("text")
    await bot.settle(await ken.press_data(missing))
    assert forged == ken.callback_answers[-1].get("text") in (GONE, DENIED)
