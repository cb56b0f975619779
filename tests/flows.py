"""Steps that many end-to-end tests share: a person inviting another, registering, and so on."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from models import Role, User
from tests.conftest import ADMIN_ID

ROLE_LABELS = {
    Role.REP: "Sales rep",
    Role.MANAGER: "Sales manager",
    Role.DIRECTOR: "Director",
    Role.ADMIN: "Admin",
}
LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")


def texts(messages: list[BotMessage]) -> str:
    return "\n".join(message.text for message in messages)


def invite_code(message: BotMessage) -> str:
    found = LINK.search(message.text)
    assert found, f"no invite link in {message.text!r}"
    return found.group(2)


async def admin_of(bot: LocalBot, emulator: BotAPIEmulator) -> SimUser:
    admin = emulator.user(ADMIN_ID, "Alice", last_name="Admin")
    await bot.send(admin, "/start")
    return admin


async def invite(bot: LocalBot, inviter: SimUser, role: Role, team: str | None = "North") -> str:
    """``inviter`` runs /invite for ``role`` in ``team`` (created if new); returns the code."""
    answer = await bot.send(inviter, "/invite")
    if "Whom are you inviting" not in answer[-1].text:
        return invite_code(answer[-1])
    await bot.press(inviter, ROLE_LABELS[role])
    if team is not None:
        if team not in inviter.last().button_texts():
            await bot.press(inviter, "➕ New team")
            await bot.send(inviter, team)
        else:
            await bot.press(inviter, team)
    return invite_code(inviter.last())


async def join(bot: LocalBot, person: SimUser, code: str) -> list[BotMessage]:
    return await bot.send(person, f"/start {code}")


async def register(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    inviter: SimUser,
    role: Role,
    user_id: int,
    name: str,
    team: str | None = "North",
) -> SimUser:
    code = await invite(bot, inviter, role, team if role in (Role.REP, Role.MANAGER) else None)
    person = emulator.user(user_id, name)
    await join(bot, person, code)
    return person


def user_row(db: Database, telegram_id: int) -> User | None:
    with db.session() as session:
        return session.exec(select(User).where(User.telegram_id == telegram_id)).first()
