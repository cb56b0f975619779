"""Customers and their contact people: the base of the business records."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from models.base import MONEY, UTCDateTime, utcnow
from models.sales import Touch

DIGITS = frozenset("0123456789")
SEARCH_CHARS_LENGTH = 401  # "|" around each of ``search_key``'s at most 200 characters
# The customer columns search looks in through a trigram index (migration 0014): on SQLite the
# FTS5 table ``customer_search`` over them, on PostgreSQL a pg_trgm GIN index on each.
SEARCH_INDEXED_COLUMNS = (
    "search_key",
    "name_pinyin",
    "name_initials",
    "phone_digits",
    "search_chars",
)
SEARCH_FTS_TABLE = "customer_search"


class Lifecycle(StrEnum):
    """Where a customer stands as a buyer (worked out nightly from their orders)."""

    PROSPECT = "prospect"  # no order yet
    FIRST = "first"  # one order
    REPEAT = "repeat"  # two or more
    LOYAL = "loyal"  # five or more in 12 months, or tier A with two or more
    LAPSED = "lapsed"  # had orders, none for LAPSED_DAYS


class Customer(SQLModel, table=True):
    __table_args__ = (
        # The customers changed last (recent_customers, /visit's list): everyone's for a
        # director, a rep's own through the owner (migration 0018).
        sa.Index("ix_customer_updated_at", "updated_at"),
        sa.Index("ix_customer_owner_updated_at", "owner_id", "updated_at"),
        # /team's tier-A customers per owner (migration 0023).
        sa.Index("ix_customer_tier_owner_id", "tier", "owner_id"),
        # /segments (migration 0022): counts per tier and per stage, and a segment's customers
        # by name, everyone's for a director, a rep's own through the owner; the nightly
        # computation finds the customers it has not yet done today through ``segmented_at``.
        sa.Index("ix_customer_tier_name", "tier", "name"),
        sa.Index("ix_customer_lifecycle_name", "lifecycle", "name"),
        sa.Index("ix_customer_owner_tier", "owner_id", "tier"),
        sa.Index("ix_customer_owner_lifecycle", "owner_id", "lifecycle"),
        sa.Index("ix_customer_segmented_at", "segmented_at"),
        # Customers near a place (bot/services/nearby.py): a box on both, everyone's or a rep's
        # own (migration 0031).
        sa.Index("ix_customer_latitude_longitude", "latitude", "longitude"),
        sa.Index("ix_customer_owner_latitude_longitude", "owner_id", "latitude", "longitude"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    # The name as people type it to find it (bot/parsing/search_forms.py), written together
    # with the name (bot.services.records.set_customer_name): lower case Simplified without
    # company suffixes, full pinyin ("shanghaitongyongqiche"), pinyin initials ("shtyqc").
    search_key: str | None = Field(default=None, max_length=200, index=True)
    name_pinyin: str | None = Field(default=None, max_length=1200, index=True)
    name_initials: str | None = Field(default=None, max_length=200, index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    # The tier that applies ("A", "B" or "C"): the one a person set by hand (``manual_tier``)
    # if any, else the one computed from the money (``computed_tier``); everything reads this.
    # Write it through bot.services.segments.set_manual_tier, which keeps the three in step.
    tier: str | None = Field(default=None, max_length=1)
    manual_tier: str | None = Field(default=None, max_length=1)
    computed_tier: str | None = Field(default=None, max_length=1)
    # Computed nightly with the tier (bot/services/segments.py): the RFM score ("545": recency,
    # frequency, monetary, each 1-5 by quintile; None without orders), the lifecycle stage
    # (``Lifecycle``), the newest order's instant, and when all of it was last worked out.
    rfm: str | None = Field(default=None, max_length=3)
    lifecycle: str | None = Field(default=None, max_length=8)
    last_order_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    segmented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When a tier-A customer turned lapsed (the owner is sent one win-back nudge); cleared when
    # they order again.
    winback_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    industry: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=40)
    # Derived columns kept in step on every ORM write (see ``_derive_search_columns``), indexed
    # for search by migration 0014 (FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL):
    # the phone's digits ("862155550101"), and ``search_key`` with "|" around each character
    # ("|宏|达|") so that a one- or two-character query is still three characters long.
    phone_digits: str | None = Field(default=None, max_length=40)
    search_chars: str | None = Field(default=None, max_length=SEARCH_CHARS_LENGTH)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    payment_terms_days: int = Field(default=30)
    credit_limit: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    # The deepest discount off list price the company allows this customer; a quote beyond it
    # needs a manager's approval. None: only the products' own floors apply.
    max_discount_pct: Decimal | None = Field(default=None, sa_type=MONEY)
    # When the customer means to buy (a ``Timeframe`` value), as the rep last judged it.
    timeframe: str | None = Field(default=None, max_length=8)
    # Where the customer is (WGS 84 degrees), from a shared location or the first check-in.
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# A person's newest touches (recent_customers, search's recently touched customers): the
# touch table's, declared here beside the customer indexes of the same migration (0018).
sa.Index("ix_touch_author_created_at", col(Touch.author_id), col(Touch.created_at))


def phone_digits(phone: str | None) -> str | None:
    """The digits of a phone number, as search and the duplicate check compare them."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone or "") if ch in DIGITS)
    return digits or None


def search_chars(key: str | None) -> str | None:
    """``key`` with "|" before and after each character: ``宏达`` is ``|宏|达|``."""
    return "|" + "|".join(key) + "|" if key else None


@sa.event.listens_for(Customer, "before_insert")
@sa.event.listens_for(Customer, "before_update")
def _derive_search_columns(_mapper: object, _connection: object, customer: Customer) -> None:
    customer.phone_digits = phone_digits(customer.phone)
    customer.search_chars = search_chars(customer.search_key)


def described_by_the_models(name: str | None, kind: str, _parents: object) -> bool:
    """Alembic's ``include_name``: whether a schema object is one the models describe. The
    customer search index (migration 0014) is not: SQLite's FTS5 table ``customer_search``
    with its shadow and vocabulary tables, PostgreSQL's pg_trgm GIN (``…_trgm``) and
    ``LIKE 'q%'`` (``…_prefix``) indexes; autogenerate must not propose dropping them."""
    if kind == "table" and (name or "").startswith(SEARCH_FTS_TABLE):
        return False
    return not (kind == "index" and (name or "").endswith(("_trgm", "_prefix")))


def trigram_index_name(column: str) -> str:
    """The name of the pg_trgm GIN index on ``customer.<column>`` (PostgreSQL)."""
    return f"ix_customer_{column}_trgm"


class Contact(SQLModel, table=True):
    """A person at a customer; may link their own Telegram chat to the bot."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(max_length=200)
    title: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    birth_month: int | None = Field(default=None, ge=1, le=12)
    birth_day: int | None = Field(default=None, ge=1, le=31)
    birth_year: int | None = Field(default=None)
    language: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    opted_in: bool = Field(default=False)
    telegram_chat_id: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True)
    # Set when Telegram refused a message because they blocked the bot; cleared when they write.
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the bot invited them to give their birthday (/birthday): it never asks again.
    birthday_asked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactLink(SQLModel, table=True):
    """A one-time deep link a rep gives a customer contact to connect their Telegram."""

    __tablename__ = "contact_link"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
