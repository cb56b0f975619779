"""End to end through the emulator: admin bootstrap, invites for every role, refused invites,
strangers and deactivated accounts, /help per role, /cancel, /settings and stray input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from bot.services.access import commands_for
from bot.services.codes import stored_form
from models import Invite, Role, Team, User
from tests.conftest import ADMIN_ID, FakeClock
from tests.flows import (
    ROLE_LABELS,
    admin_of,
    invite,
    invite_code,
    join,
    register,
    texts,
    user_row,
)

NOT_REGISTERED = "Please ask your admin for an invite link"


def chat_scope(telegram_id: int) -> dict[str, object]:
    return {"type": "chat", "chat_id": telegram_id}


def menu_of(emulator: BotAPIEmulator, telegram_id: int) -> list[str]:
    return [command["command"] for command in emulator.commands_for(chat_scope(telegram_id))]


def count(db: Database, model: type[User] | type[Invite] | type[Team]) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def test_configured_admin_is_registered_on_first_contact(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = emulator.user(ADMIN_ID, "Alice", last_name="Admin", username="alice")
    answer = await bot.send(admin, "/start")

    assert len(answer) == 1
    assert "Welcome, Alice Admin! You are registered as admin." in answer[0].text
    assert "/invite — Invite a person to the team" in answer[0].text
    row = user_row(db, ADMIN_ID)
    assert row is not None and row.role == Role.ADMIN and row.is_active
    assert row.timezone == "Asia/Shanghai" and row.username == "alice"
    assert menu_of(emulator, ADMIN_ID) == [
        "invite",
        "users",
        "reassign",
        "pipeline",
        "import",
        "product",
        "outbox",
        "care",
        "templates",
        "customers",
        "export",
        "funnel",
        "team",
        "segments",
        "settings",
        "language",
        "help",
        "cancel",
    ]
    assert [c["command"] for c in emulator.commands_for(None)] == ["start", "help"]


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.DIRECTOR, Role.ADMIN, Role.FINANCE])
async def test_invite_registers_the_person_with_role_and_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, role: Role
) -> None:
    admin = await admin_of(bot, emulator)
    await bot.send(admin, "/invite")
    assert admin.last().button_texts() == list(ROLE_LABELS.values())
    await bot.press(admin, ROLE_LABELS[role])
    needs_team = role in (Role.REP, Role.MANAGER)
    if needs_team:
        assert "There are no teams yet" in admin.last().text
        await bot.press(admin, "➕ New team")
        assert "Send the new team's name" in admin.last().text
        await bot.send(admin, "North")
    created = admin.last()
    assert f"Invite for a {ROLE_LABELS[role].lower()}" in created.text
    assert ("in team North" in created.text) is needs_team
    assert "until 2026-12-02 17:00 (Asia/Shanghai)" in created.text
    assert f"https://t.me/{emulator.bot_username}?start=" in created.text

    person = emulator.user(5001, "Li", last_name="Wei", username="liwei", language_code="zh-hans")
    welcome = await join(bot, person, invite_code(created))

    # Their Telegram app speaks Chinese: so does the bot (the admin still reads English).
    assert "欢迎你，Li Wei！" in welcome[0].text
    assert "<b>" not in welcome[0].text  # plain text, not markup
    assert "/language — 语言：English 或 中文" in welcome[0].text
    row = user_row(db, 5001)
    assert row is not None and row.role == role and row.is_active
    assert row.language == "zh" and row.timezone == "Asia/Shanghai"
    descriptions = [c["description"] for c in emulator.commands_for(chat_scope(5001))]
    assert "我能帮你做什么" in descriptions
    with db.session() as session:
        team = session.get(Team, row.team_id) if row.team_id else None
        used = session.exec(select(Invite)).one()
    assert (team.name if team else None) == ("North" if needs_team else None)
    assert used.used_by_id == row.id and used.used_at == clock()
    assert "Li Wei accepted your invite and joined as" in admin.last().text
    assert ("invite" in menu_of(emulator, 5001)) is (role in (Role.MANAGER, Role.ADMIN))
    assert ("approvals" in menu_of(emulator, 5001)) is (
        role in (Role.MANAGER, Role.DIRECTOR, Role.FINANCE)
    )
    assert ("users" in menu_of(emulator, 5001)) is (role == Role.ADMIN)


async def test_manager_invites_reps_into_their_own_team_only(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    manager = await register(bot, emulator, admin, Role.MANAGER, 5002, "Mei")
    await invite(bot, admin, Role.REP, "South")  # a second team exists

    answer = await bot.send(manager, "/invite")

    assert "Invite for a sales rep in team North" in answer[-1].text
    with db.session() as session:
        newest = session.exec(select(Invite).order_by(Invite.id.desc())).first()  # type: ignore[union-attr]
        north = session.exec(select(Team).where(Team.name == "North")).one()
    assert newest is not None and newest.role == Role.REP and newest.team_id == north.id

    before = count(db, Invite)
    await bot.settle(await manager.press_data("inv:role:admin"))
    assert (
        manager.callback_answers[-1]["text"]
        == "This button no longer works. Send /help to see what you can do."
    )
    assert count(db, Invite) == before


async def test_manager_cannot_forge_an_invite_into_another_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    await invite(bot, admin, Role.REP, "South")
    manager = await register(bot, emulator, admin, Role.MANAGER, 5002, "Mei")
    # A manager who somehow is mid-way in the admin's flow still cannot pick another team.
    with db.session() as session:
        south = session.exec(select(Team).where(Team.name == "South")).one()
    before = count(db, Invite)
    await bot.settle(await manager.press_data(f"inv:team:{south.id}"))
    assert count(db, Invite) == before
    assert manager.callback_answers[-1]["show_alert"] is True


async def test_expired_invite_is_refused(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    admin = await admin_of(bot, emulator)
    code = await invite(bot, admin, Role.REP)
    clock.advance(timedelta(days=7, minutes=1))
    person = emulator.user(5003, "Late")

    answer = await join(bot, person, code)

    assert texts(answer) == "This invite has expired. Please ask your admin for a new one."
    assert user_row(db, 5003) is None
    assert NOT_REGISTERED in texts(await bot.send(person, "/help"))


async def test_invite_just_before_expiry_still_works(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    admin = await admin_of(bot, emulator)
    code = await invite(bot, admin, Role.REP)
    clock.advance(timedelta(days=7) - timedelta(minutes=1))
    await join(bot, emulator.user(5003, "Just"), code)
    assert user_row(db, 5003) is not None


async def test_reused_invite_is_refused(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    code = await invite(bot, admin, Role.REP)
    await join(bot, emulator.user(5004, "First"), code)
    second = emulator.user(5005, "Second")

    answer = await join(bot, second, code)

    assert "This invite has already been used" in texts(answer)
    assert user_row(db, 5005) is None
    first = user_row(db, 5004)
    assert first is not None and first.role == Role.REP


async def test_withdrawn_invite_is_refused(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    code = await invite(bot, admin, Role.REP)
    await bot.press(admin, "Withdraw this invite")
    assert admin.last().text == "This invite was withdrawn: the link no longer works."

    answer = await join(bot, emulator.user(5006, "Nope"), code)

    assert "This invite was withdrawn" in texts(answer)
    assert user_row(db, 5006) is None


async def test_registered_person_opening_another_invite_keeps_their_role(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    rep = await register(bot, emulator, admin, Role.REP, 5007, "Rep")
    code = await invite(bot, admin, Role.ADMIN, None)

    answer = await join(bot, rep, code)

    assert "You are already registered as sales rep, so this invite was not used" in texts(answer)
    row = user_row(db, 5007)
    assert row is not None and row.role == Role.REP
    with db.session() as session:
        assert (
            session.exec(select(Invite).where(Invite.code == stored_form(code))).one().used_at
            is None
        )


async def test_stranger_gets_only_the_invite_hint(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    await admin_of(bot, emulator)
    stranger = emulator.user(6666, "Stranger")
    users_before = count(db, User)

    for text in ["/start", "/help", "/invite", "/users", "/customers", "hello", "/start nonsense"]:
        answer = await bot.send(stranger, text)
        assert len(answer) == 1, text
        expected = "This invite link is not valid" if text == "/start nonsense" else NOT_REGISTERED
        assert expected in answer[0].text, text
        assert answer[0].buttons() == []
    await bot.settle(await stranger.send_location(31.2, 121.4))
    assert NOT_REGISTERED in stranger.last().text
    await bot.settle(await stranger.press_data("usr:view:1:0"))
    assert stranger.callback_answers[-1]["text"] == (
        "I only work for invited people. Please ask your admin for an invite."
    )
    assert count(db, User) == users_before
    assert menu_of(emulator, 6666) == []


async def test_deactivated_person_gets_only_the_hint_until_reactivated(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    rep = await register(bot, emulator, admin, Role.REP, 5008, "Tom", team="North")
    assert menu_of(emulator, 5008) == list(commands_for(Role.REP))

    await bot.send(admin, "/users")
    listing = admin.last()
    assert "People (2)" in listing.text
    assert listing.button_texts() == ["Alice Admin · Admin", "Tom · Sales rep"]
    await bot.press(admin, "Tom · Sales rep")
    assert "Status: active" in admin.last().text
    await bot.press(admin, "Deactivate")
    assert "Status: deactivated" in admin.last().text
    row = user_row(db, 5008)
    assert row is not None and not row.is_active
    assert menu_of(emulator, 5008) == []

    for text in ["/help", "/customers", "anything"]:
        assert NOT_REGISTERED in texts(await bot.send(rep, text))

    await bot.press(admin, "Reactivate")
    assert "Status: active" in admin.last().text
    assert "What you can do" in texts(await bot.send(rep, "/help"))
    assert menu_of(emulator, 5008) == list(commands_for(Role.REP))


async def test_admin_cannot_deactivate_themselves(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    await bot.send(admin, "/users")
    await bot.press(admin, "Alice Admin · Admin")
    answer = await bot.press(admin, "Deactivate")
    assert texts(answer) == "You can't deactivate your own account."
    row = user_row(db, ADMIN_ID)
    assert row is not None and row.is_active


async def test_users_is_for_admins_only(bot: LocalBot, emulator: BotAPIEmulator) -> None:
    admin = await admin_of(bot, emulator)
    rep = await register(bot, emulator, admin, Role.REP, 5009, "Rep")
    assert texts(await bot.send(rep, "/users")) == "You can't do that with your role."
    await bot.settle(await rep.press_data("usr:off:1:0"))
    assert rep.callback_answers[-1]["text"] == "You can't do that with your role."


@pytest.mark.parametrize(
    ("role", "offered", "not_offered"),
    [
        (Role.REP, ["/customers", "/settings", "/cancel"], ["/invite", "/users"]),
        (Role.MANAGER, ["/customers", "/invite"], ["/users"]),
        (Role.DIRECTOR, ["/customers", "/settings"], ["/invite", "/users"]),
        (Role.ADMIN, ["/invite", "/users", "/customers"], []),
    ],
)
async def test_help_lists_what_the_role_can_do(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    role: Role,
    offered: list[str],
    not_offered: list[str],
) -> None:
    admin = await admin_of(bot, emulator)
    person = await register(bot, emulator, admin, role, 5010, "Person")

    answer = texts(await bot.send(person, "/help"))

    assert f"What you can do (as {ROLE_LABELS[role].lower()})" in answer
    for command in offered:
        assert f"{command} — " in answer
    for command in not_offered:
        assert f"{command} — " not in answer


async def test_cancel_leaves_a_conversation_at_any_step(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    await bot.send(admin, "/invite")
    assert texts(await bot.send(admin, "/cancel")) == "Cancelled. Nothing was saved."
    await bot.send(admin, "/invite")
    await bot.press(admin, "Sales rep")
    await bot.press(admin, "➕ New team")
    assert texts(await bot.send(admin, "/cancel")) == "Cancelled. Nothing was saved."
    assert count(db, Invite) == 0 and count(db, Team) == 0
    # The question's old buttons no longer do anything.
    await bot.settle(await admin.press_data("inv:role:rep"))
    assert admin.callback_answers[-1]["text"].startswith("This button no longer works")
    assert count(db, Invite) == 0
    assert texts(await bot.send(admin, "/cancel")).startswith("There is nothing to cancel")


async def test_invite_steps_reask_on_nonsense(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    await invite(bot, admin, Role.REP, "North")
    await bot.send(admin, "/invite")
    assert texts(await bot.send(admin, "asdf")) == (
        "Please choose with the buttons above, or send /cancel."
    )
    assert texts(await bot.send(admin, "/help")).startswith("Let's finish this first")
    await bot.press(admin, "Sales manager")
    assert texts(await bot.send(admin, "??")) == (
        "Please choose with the buttons above, or send /cancel."
    )
    await bot.press(admin, "➕ New team")
    assert "1 to 100 characters" in texts(await bot.send(admin, "x" * 101))
    assert "There is already a team called North" in texts(await bot.send(admin, "  north "))
    await bot.settle(await admin.send_photo(b"\x89PNG fake"))
    assert admin.last().text.startswith("Let's finish this first")
    assert count(db, Team) == 1 and count(db, Invite) == 1
    await bot.send(admin, "South")
    assert "Invite for a sales manager in team South" in admin.last().text
    assert count(db, Team) == 2 and count(db, Invite) == 2


async def test_a_team_name_is_cleaned_and_taken_in_any_case_of_any_script(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Found by tests/test_fuzz_flows.py: control characters were kept in a team's name, and a
    name differing only in the case of a non-ASCII letter crashed on the unique index."""
    admin = await admin_of(bot, emulator)
    await invite(bot, admin, Role.REP, "École\x8b Nord\u200b")
    with db.session() as session:
        assert [team.name for team in session.exec(select(Team))] == ["École Nord"]
    await bot.send(admin, "/invite")
    await bot.press(admin, "Sales rep")
    await bot.press(admin, "➕ New team")
    answer = texts(await bot.send(admin, "ÉCOLE NORD"))
    assert "There is already a team called École Nord" in answer
    assert "1 to 100 characters" in texts(await bot.send(admin, "\x00\u200b"))
    assert count(db, Team) == 1


async def test_settings_changes_the_time_zone(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    admin = await admin_of(bot, emulator)
    rep = await register(bot, emulator, admin, Role.REP, 5011, "Rep")

    await bot.send(rep, "/settings")
    assert "Time zone: Asia/Shanghai (it is 2026-11-25 17:00 there)" in rep.last().text
    await bot.press(rep, "Change time zone")
    assert "Send your time zone" in rep.last().text
    assert "I don't know the time zone “Mars Base”" in texts(await bot.send(rep, "Mars Base"))
    answer = await bot.send(rep, "berlin")

    assert texts(answer) == "Time zone set to Europe/Berlin: it is 2026-11-25 10:00 there."
    row = user_row(db, 5011)
    assert row is not None and row.timezone == "Europe/Berlin"
    assert "Time zone: Europe/Berlin" in texts(await bot.send(rep, "/settings"))


async def test_unknown_commands_and_stray_input_get_a_hint(
    bot: LocalBot, emulator: BotAPIEmulator
) -> None:
    admin = await admin_of(bot, emulator)
    assert texts(await bot.send(admin, "/frobnicate now")) == (
        "I don't know /frobnicate. Send /help to see what you can do."
    )
    assert texts(await bot.send(admin, "hello there")) == (
        "No customer of yours matches “hello there”. Check the spelling, or add it with"
        " /newcustomer."
    )
    # (a voice note, photo or location is offered as a visit: tests/test_capture_as_typed.py)
    await bot.settle(await admin.send_document("notes.bin", b"\x00\x01"))
    assert admin.last().text.startswith("I'm not sure what to do with that")
    await bot.settle(await admin.press_data("zzz:1"))
    assert admin.callback_answers[-1]["text"].startswith("This button no longer works")
