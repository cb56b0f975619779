"""Steps that many end-to-end tests share: a person inviting another, registering, and so on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.services import orders
from bot.services.customers import create_customer
from bot.services.deals import DealDraft, move_stage
from bot.services.deals import create_deal as new_deal
from bot.services.people import Actor
from models import Contact, Instalment, Role, User
from tests.conftest import ADMIN_ID

ROLE_LABELS = {
    Role.REP: "Sales rep",
    Role.MANAGER: "Sales manager",
    Role.DIRECTOR: "Director",
    Role.ADMIN: "Admin",
    Role.FINANCE: "Finance",
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


@dataclass
class SalesTeam:
    admin: SimUser
    manager: SimUser
    tom: SimUser
    sara: SimUser
    ken: SimUser  # a rep of another team


async def sales_team(bot: LocalBot, emulator: BotAPIEmulator) -> SalesTeam:
    """Admin, a manager and two reps in team North, one rep in team South."""
    admin = await admin_of(bot, emulator)
    manager = await register(bot, emulator, admin, Role.MANAGER, 5201, "Mei", team="North")
    tom = await register(bot, emulator, admin, Role.REP, 5202, "Tom", team="North")
    sara = await register(bot, emulator, admin, Role.REP, 5203, "Sara", team="North")
    ken = await register(bot, emulator, admin, Role.REP, 5204, "Ken", team="South")
    return SalesTeam(admin=admin, manager=manager, tom=tom, sara=sara, ken=ken)


def actor_of(db: Database, telegram_id: int) -> Actor:
    row = user_row(db, telegram_id)
    assert row is not None
    return Actor.of(row)


def add_customer(
    db: Database,
    owner: SimUser,
    name: str,
    *,
    phone: str | None = None,
    contact: str | None = None,
    birthday: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> int:
    """A customer owned by ``owner`` (and a contact), straight through the service."""
    with db.session() as session:
        customer = create_customer(
            session,
            actor_of(db, owner.id),
            name=name,
            phone=phone,
            contact_name=contact,
            allow_duplicate=True,
            now=now or datetime(2026, 11, 1, tzinfo=UTC),
        )
        assert customer.id is not None
        if birthday is not None:
            for person in session.exec(select(Contact).where(Contact.customer_id == customer.id)):
                person.birth_month, person.birth_day = birthday
        return customer.id


async def link_contact(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    rep: SimUser,
    search: str,
    customer: str,
    contact: str,
    user_id: int,
) -> SimUser:
    """The rep hands ``contact`` their one-time link; they open it and agree to messages."""
    await bot.send(rep, search)
    await bot.press(rep, customer)
    await bot.press(rep, "🔗 Link a contact")
    await bot.press(rep, contact)
    code = rep.last().text.split("?start=")[1].split()[0]
    first, _, last = contact.partition(" ")
    person = emulator.user(user_id, last or first, last_name=first if last else None)
    await bot.send(person, f"/start {code}")
    await bot.press(person, "✅ Yes, message me")
    return person


def set_zone(db: Database, person: SimUser, zone: str) -> None:
    """Move a person to another time zone (as /settings would)."""
    with db.session() as session:
        user = session.exec(select(User).where(User.telegram_id == person.id)).one()
        user.timezone = zone


def make_order(
    db: Database,
    rep: SimUser,
    collector: SimUser,
    customer_id: int,
    title: str,
    schedule: list[tuple[str, date]],
    *,
    delivery_date: date = date(2026, 12, 1),
    ordered: datetime = datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
) -> tuple[int, list[int]]:
    """A won deal of ``rep`` and its order collected by ``collector``: (order id, instalment
    ids in due order)."""
    actor = actor_of(db, rep.id)
    collector_id = actor_of(db, collector.id).user_id
    total = sum((Decimal(amount) for amount, _ in schedule), Decimal(0))
    with db.session() as session:
        deal = new_deal(session, actor, DealDraft(customer_id, title, total, "CNY"), now=ordered)
        assert deal.id is not None
        move_stage(session, actor, deal.id, "won", now=ordered)
        order = orders.create_order(
            session,
            actor,
            orders.OrderDraft(
                deal_id=deal.id,
                delivery_date=delivery_date,
                delivery_owner_id=actor.user_id,
                payment_owner_id=collector_id,
                instalments=[orders.InstalmentDraft(Decimal(a), due) for a, due in schedule],
            ),
            now=ordered,
        )
        assert order.id is not None
        plan = session.exec(
            select(Instalment).where(Instalment.order_id == order.id).order_by(Instalment.sequence)  # type: ignore[arg-type]
        ).all()
        return order.id, [item.id or 0 for item in plan]
