"""Secrets and privacy in the real process's log (issue 15): while a rep adds a customer with a
phone and a contact, logs a visit with notes and presses a forged button, the log (INFO and up)
carries neither the bot's token nor the phone number, the customer's or the contact's name, nor
what the rep typed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from models import Customer, Role, Touch, User
from tests.test_process import running_bot, stop

PRIVATE = ("Discreet Pumps", "139 1234 5678", "13912345678", "Zhao Min", "confidential")


def _said(person: SimUser, words: str) -> bool:
    return bool(person.messages) and words in person.last().text.lower()


async def test_the_log_keeps_no_token_and_nothing_a_customer_said(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> None:
    database = Database(database_url)
    database.upgrade()
    with database.session() as session:
        session.add(User(telegram_id=910020, full_name="Tom", timezone="UTC", role=Role.REP))
    tom = emulator.user(910020, "Tom")
    async with running_bot(tmp_path, emulator, database_url) as process:
        await tom.send("/newcustomer Discreet Pumps")
        await tom.wait_until(lambda: _said(tom, "phone"), what="phone question")
        await tom.send("+86 139 1234 5678")
        await tom.wait_until(lambda: _said(tom, "contact"), what="contact question")
        await tom.send("Zhao Min")
        await tom.wait_until(lambda: _said(tom, "discreet pumps"), what="the card")
        await tom.send("/visit Discreet Pumps: the confidential pump order, next: call fri")
        await tom.wait_until(
            lambda: bool(tom.messages) and "✅ Save" in tom.last().button_texts(), what="summary"
        )
        await tom.press("✅ Save")
        await tom.wait_until(lambda: _said(tom, "saved"), what="saved")
        await tom.press_data("cus:open:99999999999999999999999")
        await tom.wait_for_callback_answers(1)
        await stop(process)
        assert process.stderr is not None
        log = (await asyncio.wait_for(process.stderr.read(), 10)).decode()
    with database.session() as session:
        customer = session.exec(select(Customer)).one()
        touch = session.exec(select(Touch)).one()
    database.dispose()
    assert customer.name == "Discreet Pumps" and "1234" in (customer.phone or "")
    assert "confidential" in (touch.notes or "")
    assert "salesbot stopped" in log  # the log was read to its end
    assert emulator.token not in log
    assert emulator.token.partition(":")[2] not in log
    leaked = [value for value in PRIVATE if value in log]
    assert leaked == [], log
