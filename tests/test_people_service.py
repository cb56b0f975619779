"""The people service without Telegram: permissions, invite claims and time zone lookup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.services import people
from bot.services.codes import stored_form
from bot.services.errors import NotAllowed, NotFound
from models import Invite, Role

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ADMINS = frozenset({1})


def profile(telegram_id: int, name: str = "Someone") -> people.Profile:
    return people.Profile(telegram_id, name, None, "en")


def bootstrap_admin(db: Database) -> people.Actor:
    with db.session() as session:
        actor, changed = people.resolve_actor(
            session, profile(1, "Admin"), admin_ids=ADMINS, default_timezone="UTC", now=NOW
        )
    assert actor is not None and changed
    return actor


def registered(
    db: Database, admin: people.Actor, role: Role, telegram_id: int, team: str
) -> people.Actor:
    with db.session() as session:
        teams = {t.name: t.id for t in people.teams_for_invite(session, admin)}
        team_id = teams.get(team) or people.create_team(session, admin, team, now=NOW).id
        needs = people.role_needs_team(role)
        issued = people.create_invite(session, admin, role, team_id if needs else None, now=NOW)
    with db.session() as session:
        actor, _ = people.redeem_invite(
            session, issued.code, profile(telegram_id), now=NOW, default_timezone="UTC"
        )
    return actor


def test_stranger_is_nobody_and_configured_admin_is_bootstrapped_once(db: Database) -> None:
    with db.session() as session:
        actor, _ = people.resolve_actor(
            session, profile(99), admin_ids=ADMINS, default_timezone="UTC", now=NOW
        )
    assert actor is None
    admin = bootstrap_admin(db)
    with db.session() as session:
        again, changed = people.resolve_actor(
            session, profile(1, "Admin"), admin_ids=ADMINS, default_timezone="UTC", now=NOW
        )
    assert again == admin and not changed


def test_who_may_invite_whom(db: Database) -> None:
    admin = bootstrap_admin(db)
    manager = registered(db, admin, Role.MANAGER, 2, "North")
    rep = registered(db, admin, Role.REP, 3, "North")
    director = registered(db, admin, Role.DIRECTOR, 4, "North")
    with db.session() as session:
        south = people.create_team(session, admin, "South", now=NOW)
    assert people.invitable_roles(manager) == [Role.REP]
    assert people.invitable_roles(rep) == [] and people.invitable_roles(director) == []
    with db.session() as session:
        with pytest.raises(NotAllowed):
            people.create_invite(session, manager, Role.REP, south.id, now=NOW)
        with pytest.raises(NotAllowed):
            people.create_invite(session, manager, Role.MANAGER, manager.team_id, now=NOW)
        with pytest.raises(NotAllowed):
            people.create_invite(session, rep, Role.REP, rep.team_id, now=NOW)
        with pytest.raises(NotAllowed):
            people.create_team(session, manager, "East", now=NOW)
        with pytest.raises(NotFound):
            people.create_invite(session, admin, Role.REP, None, now=NOW)
        issued = people.create_invite(session, manager, Role.REP, manager.team_id, now=NOW)
    assert issued.expires_at == NOW + timedelta(days=7) and issued.team_name == "North"


def test_an_invite_is_claimed_once_even_when_read_twice(db: Database) -> None:
    admin = bootstrap_admin(db)
    with db.session() as session:
        issued = people.create_invite(session, admin, Role.DIRECTOR, None, now=NOW)
    # The second claim runs in a session that read the invite before the first one committed.
    with db.session() as first, db.session() as second:
        second.exec(select(Invite).where(Invite.code == stored_form(issued.code))).one()
        people.redeem_invite(first, issued.code, profile(10), now=NOW, default_timezone="UTC")
        first.commit()
        with pytest.raises(people.InviteUsed):
            people.redeem_invite(second, issued.code, profile(11), now=NOW, default_timezone="UTC")


def test_configured_admin_cannot_be_deactivated(db: Database) -> None:
    admin = bootstrap_admin(db)
    other = registered(db, admin, Role.ADMIN, 2, "x")
    with db.session() as session, pytest.raises(people.CannotDeactivate):
        people.set_user_active(session, other, admin.user_id, False, admin_ids=ADMINS, now=NOW)
    with db.session() as session:
        summary = people.set_user_active(
            session, admin, other.user_id, False, admin_ids=ADMINS, now=NOW
        )
    assert not summary.is_active


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        ("asia/shanghai", "Asia/Shanghai"),
        ("Shanghai", "Asia/Shanghai"),
        ("new york", "America/New_York"),
        ("  Berlin ", "Europe/Berlin"),
        ("utc", "UTC"),
        ("Mars", None),
        ("", None),
        ("上海", None),
    ],
)
def test_find_timezone(typed: str, zone: str | None) -> None:
    assert people.find_timezone(typed) == zone
