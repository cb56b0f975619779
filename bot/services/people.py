"""People and access: who is registered, admin bootstrap, teams, invites, activation, time zone."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from bot.parsing.text import one_line
from bot.services.codes import new_code, stored_form
from bot.services.errors import NotAllowed, NotFound, ServiceError
from models import CalendarFeed, Contact, Customer, Invite, Role, Team, User

INVITE_VALIDITY = timedelta(days=7)
ROLES_WITH_TEAM = frozenset({Role.REP, Role.MANAGER})
USERS_PAGE_SIZE = 8


LANGUAGES = ("en", "zh")
CHINESE_CODES = ("zh", "zh-hans", "zh-hant", "zh-cn", "zh-tw", "zh-hk", "zh-sg", "zh-mo")


def language_of_code(code: str | None) -> str:
    """The bot's language for a Telegram ``language_code``: Chinese for any Chinese variant,
    English otherwise."""
    flat = (code or "").strip().lower().replace("_", "-")
    if flat in CHINESE_CODES or flat.startswith("zh-"):
        return "zh"
    return "en"


def _is_cjk(text: str) -> bool:
    return bool(text) and all(
        "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch in "·・" for ch in text
    )


def person_name(first_name: str, last_name: str | None) -> str:
    """A name as its people write it: Chinese family name first without a space (王伟 from
    first name 伟 and last name 王), others given name first (Tom Chen)."""
    first, last = one_line(first_name), one_line(last_name or "")
    if first and last and _is_cjk(first) and _is_cjk(last):
        return last + first
    return " ".join(part for part in (first, last) if part)


@dataclass(frozen=True)
class Profile:
    """What Telegram tells about a person."""

    telegram_id: int
    full_name: str
    username: str | None
    language_code: str | None

    @classmethod
    def from_telegram(
        cls,
        telegram_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> Profile:
        return cls(telegram_id, person_name(first_name, last_name), username, language_code)


@dataclass(frozen=True)
class Actor:
    """A registered, active user as the services see them."""

    user_id: int
    telegram_id: int
    full_name: str
    role: Role
    team_id: int | None
    language: str
    timezone: str

    @classmethod
    def of(cls, user: User) -> Actor:
        assert user.id is not None
        return cls(
            user_id=user.id,
            telegram_id=user.telegram_id,
            full_name=user.full_name,
            role=Role(user.role),
            team_id=user.team_id,
            language=user.language,
            timezone=user.timezone,
        )


@dataclass(frozen=True)
class UserSummary:
    user_id: int
    telegram_id: int
    full_name: str
    username: str | None
    role: Role
    team_name: str | None
    timezone: str
    is_active: bool
    configured_admin: bool


@dataclass(frozen=True)
class UserPage:
    users: list[UserSummary]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class IssuedInvite:
    invite_id: int
    code: str
    role: Role
    team_name: str | None
    expires_at: datetime


class InviteNotFound(ServiceError):
    template = "invites/not_found"


class InviteExpired(ServiceError):
    template = "invites/expired"


class InviteUsed(ServiceError):
    template = "invites/used"


class InviteRevoked(ServiceError):
    template = "invites/revoked"


class AlreadyRegistered(ServiceError):
    template = "invites/already_registered"


class TeamNameInvalid(ServiceError):
    template = "invites/team_name_invalid"


class CannotDeactivate(ServiceError):
    template = "users/cannot_deactivate"


def _new_user(profile: Profile, *, role: Role, team_id: int | None, timezone: str) -> User:
    return User(
        telegram_id=profile.telegram_id,
        full_name=one_line(profile.full_name)[:200] or str(profile.telegram_id),
        username=profile.username,
        language=language_of_code(profile.language_code),
        timezone=timezone,
        role=role,
        team_id=team_id,
    )


def _user_by_telegram_id(session: Session, telegram_id: int) -> User | None:
    return session.exec(select(User).where(User.telegram_id == telegram_id)).first()


def _refresh_profile(user: User, profile: Profile, now: datetime) -> None:
    """Keep the name and username in step with the Telegram profile; someone who writes to the
    bot has not blocked it (any more)."""
    if user.unreachable_at is not None:
        user.unreachable_at, user.updated_at = None, now
    name = profile.full_name[:200] or user.full_name
    if user.full_name != name or user.username != profile.username:
        user.full_name = name
        user.username = profile.username
        user.updated_at = now


def resolve_actor(
    session: Session,
    profile: Profile,
    *,
    admin_ids: Collection[int],
    default_timezone: str,
    now: datetime,
) -> tuple[Actor | None, bool]:
    """The active user behind ``profile``, or None for a stranger or a deactivated account.

    The people listed in ADMIN_TELEGRAM_IDS are registered as admins on first contact (and stay
    admins). The second value says whether the user was created or changed role just now, so the
    caller can refresh their command menu.
    """
    user = _user_by_telegram_id(session, profile.telegram_id)
    if profile.telegram_id in admin_ids:
        changed = False
        if user is None:
            user = _new_user(profile, role=Role.ADMIN, team_id=None, timezone=default_timezone)
            session.add(user)
            changed = True
        elif user.role != Role.ADMIN or not user.is_active:
            user.role, user.is_active, user.updated_at = Role.ADMIN, True, now
            changed = True
        _refresh_profile(user, profile, now)
        session.flush()
        return Actor.of(user), changed
    if user is None or not user.is_active:
        return None, False
    _refresh_profile(user, profile, now)
    return Actor.of(user), False


def invitable_roles(actor: Actor) -> list[Role]:
    """The roles ``actor`` may invite people into."""
    if actor.role == Role.ADMIN:
        return [Role.REP, Role.MANAGER, Role.DIRECTOR, Role.ADMIN, Role.FINANCE]
    if actor.role == Role.MANAGER and actor.team_id is not None:
        return [Role.REP]
    return []


def role_needs_team(role: Role) -> bool:
    return role in ROLES_WITH_TEAM


def teams_for_invite(session: Session, actor: Actor) -> list[Team]:
    """The teams ``actor`` may invite people into, by name."""
    if actor.role == Role.ADMIN:
        return list(session.exec(select(Team).order_by(col(Team.name))))
    if actor.role == Role.MANAGER and actor.team_id is not None:
        team = session.get(Team, actor.team_id)
        return [team] if team else []
    return []


def create_team(session: Session, actor: Actor, name: str, *, now: datetime) -> Team:
    """A new team (admins only); the name must be 1–100 characters and not taken."""
    if actor.role != Role.ADMIN:
        raise NotAllowed()
    clean = one_line(name)
    if not clean or len(clean) > 100 or clean.startswith("/"):
        raise TeamNameInvalid(reason="length")
    # Compared in Python: the database's lower() knows only ASCII letters ("É" ≠ "é" in SQLite),
    # and a company has a handful of teams.
    wanted = clean.casefold()
    taken = next((t for t in session.exec(select(Team)) if t.name.casefold() == wanted), None)
    if taken is not None:
        raise TeamNameInvalid(reason="taken", name=taken.name)
    team = Team(name=clean, created_at=now)
    session.add(team)
    session.flush()
    return team


def create_invite(
    session: Session, actor: Actor, role: Role, team_id: int | None, *, now: datetime
) -> IssuedInvite:
    """A single-use invite code for ``role`` (and ``team_id``), valid for seven days."""
    if role not in invitable_roles(actor):
        raise NotAllowed()
    team: Team | None = None
    if role_needs_team(role):
        if team_id is None:
            raise NotFound()
        if actor.role == Role.MANAGER and team_id != actor.team_id:
            raise NotAllowed()
        team = session.get(Team, team_id)
        if team is None:
            raise NotFound()
    # The prefix keeps an invite apart from a contact's link ("c_…") whatever the token.
    code = new_code("i_", 16)
    invite = Invite(
        code=stored_form(code),
        role=role,
        team_id=team.id if team else None,
        created_by_id=actor.user_id,
        created_at=now,
        expires_at=now + INVITE_VALIDITY,
    )
    session.add(invite)
    session.flush()
    assert invite.id is not None
    return IssuedInvite(
        invite_id=invite.id,
        code=code,
        role=role,
        team_name=team.name if team else None,
        expires_at=invite.expires_at,
    )


def revoke_invite(session: Session, actor: Actor, invite_id: int, *, now: datetime) -> None:
    """Withdraw an unused invite; only its author or an admin may."""
    invite = session.get(Invite, invite_id)
    if invite is None or (invite.created_by_id != actor.user_id and actor.role != Role.ADMIN):
        raise NotFound()
    if invite.used_at is not None:
        raise InviteUsed()
    if invite.revoked_at is None:
        invite.revoked_at = now


def redeem_invite(
    session: Session, code: str, profile: Profile, *, now: datetime, default_timezone: str
) -> tuple[Actor, int | None]:
    """Register the person behind ``profile`` with the invite's role and team.

    Returns the new actor and the inviter's Telegram id (to tell them). The invite is claimed with
    a conditional update, so two people racing for one code cannot both get in.
    """
    existing = _user_by_telegram_id(session, profile.telegram_id)
    if existing is not None and existing.is_active:
        raise AlreadyRegistered(role=Role(existing.role))
    invite = session.exec(select(Invite).where(Invite.code == stored_form(code))).first()
    if invite is None:
        raise InviteNotFound()
    if invite.used_at is not None:
        raise InviteUsed()
    if invite.revoked_at is not None:
        raise InviteRevoked()
    if invite.expires_at <= now:
        raise InviteExpired(expired_at=invite.expires_at)
    claimed = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InviteUsed()
    role = Role(invite.role)
    if existing is None:
        user = _new_user(profile, role=role, team_id=invite.team_id, timezone=default_timezone)
        user.invited_by_id = invite.created_by_id
        session.add(user)
    else:
        user = existing
        user.role, user.team_id, user.is_active = role, invite.team_id, True
        user.invited_by_id, user.updated_at = invite.created_by_id, now
        _refresh_profile(user, profile, now)
    session.flush()
    session.refresh(invite)
    invite.used_by_id = user.id
    inviter = session.get(User, invite.created_by_id)
    return Actor.of(user), inviter.telegram_id if inviter and inviter.is_active else None


def _summary(user: User, team: Team | None, admin_ids: Collection[int]) -> UserSummary:
    assert user.id is not None
    return UserSummary(
        user_id=user.id,
        telegram_id=user.telegram_id,
        full_name=user.full_name,
        username=user.username,
        role=Role(user.role),
        team_name=team.name if team else None,
        timezone=user.timezone,
        is_active=user.is_active,
        configured_admin=user.telegram_id in admin_ids,
    )


def list_users(
    session: Session, actor: Actor, page: int, *, admin_ids: Collection[int]
) -> UserPage:
    """Everyone registered, active first then by name, a page at a time (admins only)."""
    if actor.role != Role.ADMIN:
        raise NotAllowed()
    total = session.exec(select(func.count()).select_from(User)).one()
    pages = max(1, -(-total // USERS_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(User, Team)
        .join(Team, col(User.team_id) == col(Team.id), isouter=True)
        .order_by(col(User.is_active).desc(), col(User.full_name), col(User.id))
        .offset(page * USERS_PAGE_SIZE)
        .limit(USERS_PAGE_SIZE)
    ).all()
    users = [_summary(user, team, admin_ids) for user, team in rows]
    return UserPage(users=users, page=page, pages=pages, total=total)


def get_user(
    session: Session, actor: Actor, user_id: int, *, admin_ids: Collection[int]
) -> UserSummary:
    if actor.role != Role.ADMIN:
        raise NotAllowed()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    team = session.get(Team, user.team_id) if user.team_id else None
    return _summary(user, team, admin_ids)


def set_user_active(
    session: Session,
    actor: Actor,
    user_id: int,
    active: bool,
    *,
    admin_ids: Collection[int],
    now: datetime,
) -> UserSummary:
    """Deactivate or reactivate an account (admins only; not oneself, not a configured admin)."""
    target = get_user(session, actor, user_id, admin_ids=admin_ids)
    if not active and target.user_id == actor.user_id:
        raise CannotDeactivate(reason="self")
    if not active and target.configured_admin:
        raise CannotDeactivate(reason="configured")
    if (
        not active
        and session.exec(
            select(func.count()).select_from(Customer).where(Customer.owner_id == user_id)
        ).one()
    ):
        # Their customers go to someone first (bot.services.reassign, which deactivates after).
        raise CannotDeactivate(reason="owns_customers")
    user = session.get(User, user_id)
    assert user is not None
    if user.is_active != active:
        user.is_active, user.updated_at = active, now
    if not active:  # their calendar link is revoked for good; reactivated, they ask anew
        session.execute(delete(CalendarFeed).where(col(CalendarFeed.user_id) == user_id))
    session.flush()
    return get_user(session, actor, user_id, admin_ids=admin_ids)


@cache
def _zones_by_key() -> dict[str, str]:
    zones: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if zone.startswith(("Etc/", "SystemV/")) or zone in {"localtime", "Factory"}:
            continue
        zones.setdefault(zone.lower(), zone)
        city = zone.rsplit("/", 1)[-1].lower()
        zones.setdefault(city, zone)
    zones["utc"] = "UTC"
    return zones


def find_timezone(text: str) -> str | None:
    """An IANA zone for what a person typed: "Asia/Shanghai", "shanghai", "new york", "UTC"."""
    key = "_".join(text.strip().split()).lower()
    if not key:
        return None
    return _zones_by_key().get(key)


def chat_language(session: Session, chat_id: int) -> str | None:
    """The language of whoever is in private chat ``chat_id``: a staff member or a linked
    customer contact (None when the chat is nobody's we know)."""
    user = _user_by_telegram_id(session, chat_id)
    if user is not None:
        return user.language
    contact = session.exec(select(Contact).where(Contact.telegram_chat_id == chat_id)).first()
    return contact.language if contact is not None else None


def set_language(session: Session, actor: Actor, language: str, *, now: datetime) -> Actor:
    """The language the bot speaks to the person (``en`` or ``zh``)."""
    if language not in LANGUAGES:
        raise NotFound()
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotFound()
    user.language, user.updated_at = language, now
    session.flush()
    return Actor.of(user)


def set_timezone(session: Session, actor: Actor, zone: str, *, now: datetime) -> Actor:
    ZoneInfo(zone)  # refuses anything that is not a real zone
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotFound()
    user.timezone, user.updated_at = zone, now
    session.flush()
    return Actor.of(user)


@dataclass(frozen=True)
class MenuHolder:
    """An active person's chat and the command menu it should show."""

    telegram_id: int
    role: Role
    language: str
    menu_digest: str | None


def menu_holders(session: Session) -> list[MenuHolder]:
    """Every active person, with the fingerprint of the menu last published in their chat."""
    rows = session.exec(
        select(User.telegram_id, User.role, User.language, User.menu_digest).where(
            col(User.is_active)
        )
    )
    return [
        MenuHolder(telegram_id, Role(role), language, digest)
        for telegram_id, role, language, digest in rows
    ]


def mark_menu_published(session: Session, telegram_id: int, digest: str | None) -> None:
    """Record the menu now shown in a person's chat (None: none, or not known)."""
    session.execute(
        update(User).where(col(User.telegram_id) == telegram_id).values(menu_digest=digest)
    )
