"""An invite's code can never be taken for a customer contact's link (``c_…``), whatever random
token it is made of."""

from __future__ import annotations

import secrets

import pytest

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Role
from tests.flows import admin_of, invite, join, user_row


async def test_an_invite_whose_token_starts_like_a_contact_link_still_registers(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await admin_of(bot, emulator)
    # One token in 4,096 starts with "c_"; make this one do so.
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes=None: "c_" + "x" * 20)
    code = await invite(bot, admin, Role.REP, "North")
    person = emulator.user(5301, "Tom")
    welcome = await join(bot, person, code)
    assert "Welcome, Tom!" in welcome[0].text
    row = user_row(db, 5301)
    assert row is not None and row.role == Role.REP
