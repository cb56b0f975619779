"""People of the company: teams, users with their roles, and one-time invites."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from models.base import UTCDateTime, utcnow
from models.customers import Contact


class Role(StrEnum):
    """What a person is in the sales organisation; decides what they may see and do."""

    REP = "rep"
    MANAGER = "manager"
    DIRECTOR = "director"
    FINANCE = "finance"  # approves terms changes; reads customers, orders, payments; logs payments
    ADMIN = "admin"


ROLE_TYPE = sa.Enum(
    Role,
    name="role",
    native_enum=False,
    length=16,
    values_callable=lambda roles: [role.value for role in roles],
)


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """A person who works with the bot (not a customer contact)."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True, index=True)
    full_name: str = Field(max_length=200)
    username: str | None = Field(default=None, max_length=64)
    language: str = Field(default="en", max_length=16)
    timezone: str = Field(max_length=64)
    role: Role = Field(sa_type=ROLE_TYPE)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    is_active: bool = Field(default=True)
    invited_by_id: int | None = Field(default=None, foreign_key="user.id")
    # Set when Telegram refused a message because they blocked the bot; cleared when they write.
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A fingerprint of the command menu last shown in their chat: start-up publishes only
    # the menus that changed (bot.handlers.menu).
    menu_digest: str | None = Field(default=None, max_length=16)
    # Their own morning brief and digest time (HH:MM, within the admin's window); None: the
    # company's MORNING_BRIEF_TIME / DIGEST_TIME.
    brief_time: str | None = Field(default=None, max_length=5)
    digest_time: str | None = Field(default=None, max_length=5)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A single-use deep-link code that registers whoever opens it with a role and team."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    role: Role = Field(sa_type=ROLE_TYPE)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_by_id: int | None = Field(default=None, foreign_key="user.id")
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Contacts whose birthday is on a given day (the birthday greetings, /today, the morning
# brief). Declared here, beside the other people, for ``models.customers.Contact``: that module
# belongs to the customer-search work; the index may move into its ``__table_args__``.
CONTACT_BIRTHDAY_INDEX = sa.Index(
    "ix_contact_birthday", col(Contact.birth_month), col(Contact.birth_day)
)
