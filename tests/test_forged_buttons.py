"""Forged and malformed buttons (issue 15): an id out of any row's range, with a sign, spaces or
underscores, or a button cut short, answers exactly like a button for a missing record — never
"something went wrong" — for every kind of button that names a record."""

from __future__ import annotations

import pytest

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from tests.flows import SalesTeam, add_customer, sales_team

HUGE = "99999999999999999999999"
NOT_FOUND = "Not found."
# Every button that names a record, with ``{}`` where its id goes.
BUTTONS = (
    "cus:open:{}",
    "tl:{}:0",
    "ct:list:{}",
    "ct:mk:{}",
    "deal:open:{}",
    "deal:mv:{}:won",
    "deal:lost:{}",
    "deal:lr:{}:price",
    "dl:new:{}",
    "vis:new:{}",
    "vis:edit:{}",
    "vis:undo:{}",
    "ed:cus:{}",
    "ed:f:{}:phone",
    "ed:ct:{}",
    "ed:cf:{}:phone",
    "ed:add:{}",
    "fu:pick:{}",
    "fu:snz:{}:d",
    "ord:open:{}",
    "ord:new:{}",
    "ord:dlv:{}",
    "pay:ord:{}",
    "q:deal:{}",
    "qa:yes:{}",
    "qa:no:{}",
    "tr:yes:{}",
    "tr:no:{}",
    "apv:q:{}",
    "apv:t:{}",
    "tk:open:{}",
    "tk:mv:{}:resolved",
    "trm:{}",
    "tq:{}",
    "hist:cus:{}:0",
    "hist:deal:{}:0",
    "hist:ord:{}:0",
    "hist:q:{}:0",
    "usr:view:{}:0",
    "usr:off:{}:0",
    "inv:revoke:{}",
    "rr:{}",
    "bz:pg:{}:0",
    "bz:ln:{}:1",
    "bz:ln:1:{}",
    "bz:no:{}",
    "bz:fu:{}",
)
STALE = "This button no longer works. Send /help to see what you can do."
# Ids no row can have: beyond a signed 64-bit integer, or digits of another script.
IMPOSSIBLE_IDS = (HUGE, "9223372036854775808", "٣")
# Text that Python's int() would take but a button never holds: no button matches it.
MALFORMED_IDS = ("-1", "1_0", " 7", "0x10")


async def _seeded(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    return team


async def _answer(bot: LocalBot, person: SimUser, data: str) -> str:
    await bot.settle(await person.press_data(data))
    answers = person.callback_answers
    return str(answers[-1].get("text")) if answers else ""


@pytest.mark.parametrize(
    ("bad", "expected"),
    [(bad, NOT_FOUND) for bad in IMPOSSIBLE_IDS] + [(bad, STALE) for bad in MALFORMED_IDS],
)
async def test_a_button_with_an_impossible_id_is_not_found(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, bad: str, expected: str
) -> None:
    team = await _seeded(bot, emulator, db)
    wrong = {
        (person_name, pattern): answer
        for person_name, person in (("admin", team.admin), ("tom", team.tom))
        for pattern in BUTTONS
        if (answer := await _answer(bot, person, pattern.format(bad))) != expected
    }
    assert wrong == {}


async def test_a_button_cut_short_is_stale(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await _seeded(bot, emulator, db)
    cut_short = ["ed:f:1", "ed:cf:1", "deal:mv:1", "tk:mv:1", "deal:lr:1", "qs:1", "hist:cus"]
    wrong = {
        data: answer
        for data in cut_short
        if (answer := await _answer(bot, team.tom, data)) != STALE
    }
    assert wrong == {}


async def test_a_page_far_beyond_the_last_shows_an_empty_page_or_the_last(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """A page number no list reaches is read as the largest page any list could have: the
    answer is a page (empty, with a way back), never an error from the database."""
    team = await _seeded(bot, emulator, db)
    customer_id = add_customer(db, team.tom, "Brightway Tools")
    for data in (
        f"tl:{customer_id}:{HUGE}",
        f"tl:{customer_id}:9223372036854775807",
        f"hist:cus:{customer_id}:9223372036854775807",
        "cus:page:9223372036854775807",
        "seg:t:A:9223372036854775807",
    ):
        await bot.settle(await team.tom.press_data(data))
        assert team.tom.callback_answers[-1].get("text") in (None, ""), data
    await bot.settle(await team.admin.press_data("usr:page:9223372036854775807"))
    assert team.admin.callback_answers[-1].get("text") in (None, "")


async def test_a_second_tap_on_the_same_button_is_answered_without_an_edit(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Double taps: each tap is answered, and a tap that would show what the message already
    shows edits nothing, so the Bot API refuses nothing ("message is not modified")."""
    team = await _seeded(bot, emulator, db)
    customer_id = add_customer(db, team.tom, "Brightway Tools", contact="Wang Wei")
    card = (await bot.send(team.tom, "/customers Brightway"))[-1]
    for _ in range(2):
        await bot.settle(await team.tom.press_data(f"tl:{customer_id}:0", card))
    timeline = team.tom.last()
    assert timeline.message_id == card.message_id and "timeline" in timeline.text
    users = (await bot.send(team.admin, "/users"))[-1]
    before, answered = users.text, len(team.admin.callback_answers)
    for _ in range(2):
        await bot.settle(await team.admin.press_data("usr:page:0", users))
    assert team.admin.last().text == before
    assert len(team.tom.callback_answers) == 2
    assert len(team.admin.callback_answers) == answered + 2
    assert emulator.rejections == []
