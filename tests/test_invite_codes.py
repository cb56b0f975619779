"""An invite's code can never be taken for a customer contact's link (``c_…``), whatever random
token it is made of; both kinds of code are kept only as their hash (issue 15)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from bot.db import Database, alembic_config
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.services.codes import stored_form
from bot.services.people import Profile, redeem_invite
from models import Contact, ContactLink, Invite, Role
from tests.flows import add_customer, admin_of, invite, join, sales_team, texts, user_row


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


async def test_codes_are_kept_only_as_their_hash(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """The invite's and the contact link's codes are in the links people get, never in the
    database: each row holds the code's SHA-256, and the links still open."""
    team = await sales_team(bot, emulator)
    code = await invite(bot, team.admin, Role.REP, "North")
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    await bot.send(team.tom, "/customers Acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🔗 Link a contact")
    await bot.press(team.tom, "Li Na")
    link = team.tom.last().text.split("?start=")[1].split()[0]
    with db.session() as session:
        invites = [row.code for row in session.exec(select(Invite))]
        links = [row.code for row in session.exec(select(ContactLink))]
    assert stored_form(code) in invites and code not in invites
    assert links == [stored_form(link)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in invites + links)

    assert "Welcome, Rob!" in texts(await join(bot, emulator.user(5301, "Rob"), code))
    li_na = emulator.user(5302, "Na", last_name="Li")
    await bot.send(li_na, f"/start {link}")
    await bot.press(li_na, "✅ Yes, message me")
    with db.session() as session:
        contact = session.exec(select(Contact).where(Contact.name == "Li Na")).one()
    assert contact.telegram_chat_id == 5302


def test_codes_issued_before_the_upgrade_are_hashed_and_still_open(database_url: str) -> None:
    """Migration 0030 replaces each code already in the database by its hash."""
    database = Database(database_url)
    config = alembic_config(database.engine)
    command.upgrade(config, "0029")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with database.session() as session:
        session.execute(
            text(
                'INSERT INTO "user" (telegram_id, full_name, language, timezone, role, '
                "is_active, created_at, updated_at) VALUES (1, 'Alice', 'en', 'UTC', 'admin', "
                "true, :now, :now)"
            ),
            {"now": now},
        )
        session.execute(
            text(
                "INSERT INTO invite (code, role, created_by_id, created_at, expires_at) "
                "VALUES ('i_issued-before', 'rep', 1, :now, :later)"
            ),
            {"now": now, "later": now + timedelta(days=7)},
        )
    command.upgrade(config, "head")
    with database.session() as session:
        assert session.exec(select(Invite.code)).one() == stored_form("i_issued-before")
        profile = Profile(telegram_id=2, full_name="Rob", username=None, language_code="en")
        actor, _ = redeem_invite(
            session, "i_issued-before", profile, now=now, default_timezone="UTC"
        )
    assert actor.role == Role.REP
    database.dispose()
