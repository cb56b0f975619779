"""A crash right after a flow's last step committed its record (issue 15): the record and the
flow's end are one transaction, so the restarted bot does not sit at the last step, and the same
last input again makes no second record.

The crash is the bot stopping without python-telegram-bot's own write of the update's
conversation state (what a SIGKILL after the commit leaves); the real process is killed at
random in tests/test_crash_restart.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlmodel import SQLModel, func, select

from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from models import CareCampaign, Customer, Quote, TermsRequest, Ticket
from tests.flows import SalesTeam, add_customer, link_contact, sales_team
from tests.test_deals import create_deal
from tests.test_quotes import add_products


@dataclass(frozen=True)
class LastStep:
    """How to walk a flow up to its last step, and the last input (sent again after the
    restart); the table that gets one row."""

    table: type[SQLModel]
    who: str
    walk: Callable[[LocalBot, SalesTeam], Awaitable[None]]
    last: tuple[str, str]  # ("send", text) or ("press", button)


async def _newcustomer(bot: LocalBot, team: SalesTeam) -> None:
    await bot.send(team.tom, "/newcustomer")
    await bot.send(team.tom, "Kite Works")
    await bot.press(team.tom, "Skip")


async def _ticket(bot: LocalBot, team: SalesTeam) -> None:
    await bot.send(team.tom, "/ticket")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "😠 Complaint")


async def _quote(bot: LocalBot, team: SalesTeam) -> None:
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    await bot.send(team.tom, "/quote")
    await bot.press(team.tom, "Lathes · Acme Machinery")
    await bot.send(team.tom, "CNC-100")
    await bot.press(team.tom, "CNC-100 · CNC lathe 100")
    await bot.send(team.tom, "2")
    await bot.press(team.tom, "5%")


async def _care(bot: LocalBot, team: SalesTeam) -> None:
    await bot.send(team.admin, "/care")
    await bot.press(team.admin, team.admin.last().buttons()[0].text)
    await bot.send(team.admin, "Happy new year!")
    await bot.send(team.admin, "tomorrow 10am")


async def _terms_request(bot: LocalBot, team: SalesTeam) -> None:
    await bot.send(team.tom, "Acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "⚙️ Ask for terms")
    await bot.press(team.tom, "Payment terms")
    await bot.send(team.tom, "60")


FLOWS = {
    "newcustomer": LastStep(Customer, "tom", _newcustomer, ("press", "Skip")),
    "ticket": LastStep(Ticket, "tom", _ticket, ("send", "Lathe #3 leaks oil")),
    "quote": LastStep(Quote, "tom", _quote, ("press", "📤 Submit")),
    "care": LastStep(CareCampaign, "admin", _care, ("press", "care:send")),
    "terms request": LastStep(TermsRequest, "tom", _terms_request, ("send", "pays early")),
}


def _count(db: Database, table: type[SQLModel]) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(table)).one()


async def _do(bot: LocalBot, person: SimUser, step: tuple[str, str]) -> None:
    kind, value = step
    if kind == "send":
        await bot.send(person, value)
    else:
        await bot.press(person, value)  # the newest message holding that button


def _without_own_writes(bot: LocalBot) -> None:
    """From now on python-telegram-bot writes nothing of its own, as after a SIGKILL."""
    app = bot.app
    assert app is not None

    async def nothing() -> None:
        return None

    app.update_persistence = nothing  # type: ignore[method-assign]


@pytest.mark.parametrize("name", list(FLOWS))
async def test_a_crash_after_the_last_step_leaves_one_record_and_no_flow(
    deps: Deps, emulator: BotAPIEmulator, db: Database, name: str
) -> None:
    flow = FLOWS[name]
    bot = LocalBot(deps, emulator)
    await bot.start()
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_products(db)
    await link_contact(bot, emulator, team.tom, "Acme", "Acme Machinery", "Li Na", 7100)
    person = team.tom if flow.who == "tom" else team.admin
    await flow.walk(bot, team)
    before = _count(db, flow.table)
    kind, value = flow.last
    # The message whose button is pressed last (pressed again, stale, after the restart).
    last = next(
        message
        for message in reversed(person.messages)
        if kind == "send" or any(value in (b.text, b.callback_data) for b in message.buttons())
    )
    data = next((b.callback_data for b in last.buttons() if value in (b.text, b.callback_data)), "")

    # The last step's update is handled and committed; then the process dies.
    _without_own_writes(bot)
    await _do(bot, person, flow.last)
    await bot.stop()
    assert _count(db, flow.table) == before + 1

    restarted = LocalBot(deps, emulator)
    await restarted.start()
    try:
        if kind == "send":
            await restarted.send(person, value)
        else:
            await restarted.settle(await person.press_data(data or "", last))
        assert _count(db, flow.table) == before + 1, person.transcript()
    finally:
        await restarted.stop()
