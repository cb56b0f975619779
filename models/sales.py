"""The sales work: the pipeline's stages, deals and their stage history, and touches (visits,
calls, meetings, messages) with their attachments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from models.base import MONEY, UTCDateTime, utcnow


class TouchKind(StrEnum):
    VISIT = "visit"
    CALL = "call"
    MEETING = "meeting"
    MESSAGE = "message"


class Timeframe(StrEnum):
    """When the prospect means to buy; sets the default follow-up cadence."""

    NOW = "now"
    WITHIN_3_MONTHS = "3m"
    WITHIN_6_MONTHS = "6m"
    WITHIN_A_YEAR = "12m"


class LostReason(StrEnum):
    PRICE = "price"
    COMPETITOR = "competitor"
    TIMING = "timing"
    NO_BUDGET = "no_budget"
    OTHER = "other"


class PipelineStage(SQLModel, table=True):
    """A stage of the pipeline with its default win probability; the admin may change them."""

    __tablename__ = "pipeline_stage"

    key: str = Field(primary_key=True, max_length=32)
    sequence: int
    probability: int = Field(ge=0, le=100)
    is_won: bool = Field(default=False)
    is_lost: bool = Field(default=False)
    # Days without a touch after which an open deal in this stage is stale (None: the setting).
    stale_days: int | None = Field(default=None, ge=1, le=365)
    # The name an admin gave it, shown in every language (None: the built-in name).
    name: str | None = Field(default=None, max_length=40)


class Deal(SQLModel, table=True):
    __table_args__ = (
        # Stale deals: open stages' deals quiet since before a limit (bot.services.deals).
        sa.Index("ix_deal_stage_key_last_activity_at", "stage_key", "last_activity_at"),
        sa.Index("ix_deal_owner_id_last_activity_at", "owner_id", "last_activity_at"),
        # A person's deals past their close date (/today, the morning brief).
        sa.Index("ix_deal_owner_id_expected_close", "owner_id", "expected_close"),
        # The digest's funnel, summed in the database from the index alone.
        sa.Index("ix_deal_funnel", "stage_key", "owner_id", "currency", "amount"),
        # /funnel's forecast by expected close, won and lost in a period, /team's new deals
        # (migration 0023).
        sa.Index(
            "ix_deal_forecast", "stage_key", "expected_close", "owner_id", "currency", "amount"
        ),
        sa.Index("ix_deal_closed_at", "closed_at"),
        sa.Index("ix_deal_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    title: str = Field(max_length=200)
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    stage_key: str = Field(foreign_key="pipeline_stage.key", max_length=32, index=True)
    probability: int = Field(ge=0, le=100)
    expected_close: date | None = Field(default=None)
    timeframe: str | None = Field(default=None, max_length=8)
    source: str | None = Field(default=None, max_length=32)
    lost_reason: str | None = Field(default=None, max_length=16)
    lost_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    stage_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The latest of: the deal's creation, its last stage move, the last live touch on its
    # customer. Kept in step by bot.services.deals (moves) and bot.services.visits (touches),
    # so stale deals are found by an index rather than worked out per deal.
    # Nullable in the schema only (migration 0015 could not make it NOT NULL on SQLite).
    last_activity_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=True)


class DealStageChange(SQLModel, table=True):
    """One move of a deal between stages (from None when it was created), for the funnel."""

    __tablename__ = "deal_stage_change"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    from_stage: str | None = Field(default=None, max_length=32)
    to_stage: str = Field(max_length=32)
    changed_by_id: int = Field(foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    lost_reason: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=500)


class DealValueChange(SQLModel, table=True):
    """One change of a deal's value (amount and currency), old → new, with who and when: a person
    of the company, or a customer's contact accepting a quote (``quote_id``)."""

    __tablename__ = "deal_value_change"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    old_amount: Decimal = Field(sa_type=MONEY)
    old_currency: str = Field(max_length=3)
    new_amount: Decimal = Field(sa_type=MONEY)
    new_currency: str = Field(max_length=3)
    quote_id: int | None = Field(default=None, foreign_key="quote.id")
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Touch(SQLModel, table=True):
    """A visit, call, meeting or message with a customer, with the promised next step."""

    __table_args__ = (
        # Open follow-ups (not done) by when they are due: the reminders, and per author for
        # /today, the morning brief and the digest's overdue list.
        sa.Index("ix_touch_open_follow_up", "follow_up_done_at", "follow_up_at"),
        sa.Index(
            "ix_touch_author_open_follow_up", "author_id", "follow_up_done_at", "follow_up_at"
        ),
        # The open follow-ups handed to someone else (reassignment, migration 0020).
        sa.Index(
            "ix_touch_follow_up_owner_open",
            "follow_up_owner_id",
            "follow_up_done_at",
            "follow_up_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=16)
    notes: str = Field(default="", sa_type=sa.Text)
    next_step: str | None = Field(default=None, sa_type=sa.Text)
    follow_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    follow_up_has_time: bool = Field(default=False)
    follow_up_done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Who is to do the follow-up when it is not the author: set when the customer was handed to
    # another rep (bot.services.reassign); the touch itself stays the author's.
    follow_up_owner_id: int | None = Field(default=None, foreign_key="user.id")
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def follow_up_holder() -> sa.ColumnElement[int]:
    """Who is reminded of a touch's follow-up and does it: its owner, else the author."""
    return sa.func.coalesce(col(Touch.follow_up_owner_id), col(Touch.author_id))


def follow_up_is_for(user_id: int) -> sa.ColumnElement[bool]:
    """The condition that a touch's follow-up is ``user_id``'s to do (index-friendly form of
    ``follow_up_holder() == user_id``)."""
    return sa.or_(
        sa.and_(col(Touch.follow_up_owner_id).is_(None), col(Touch.author_id) == user_id),
        col(Touch.follow_up_owner_id) == user_id,
    )


class Attachment(SQLModel, table=True):
    """A voice note, photo or file kept with a touch (by its Telegram file id)."""

    id: int | None = Field(default=None, primary_key=True)
    touch_id: int = Field(foreign_key="touch.id", index=True)
    kind: str = Field(max_length=16)
    telegram_file_id: str = Field(max_length=256)
    telegram_file_unique_id: str | None = Field(default=None, max_length=128)
    mime_type: str | None = Field(default=None, max_length=100)
    file_size: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConversationState(SQLModel, table=True):
    """Where a person is in a multi-step flow, so a restart continues at the same step."""

    __tablename__ = "conversation_state"

    name: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    state: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScratchData(SQLModel, table=True):
    """What a person has entered so far in their open flows (python-telegram-bot user_data)."""

    __tablename__ = "scratch_data"

    user_telegram_id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    data: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DealTotal(SQLModel, table=True):
    """The deals of one owner in one stage and currency: how many, their value and their value
    weighted by each deal's probability, in whole cents. Kept by database triggers on ``deal``
    (migration 0019), never written by the code: a funnel sums these rows instead of deals."""

    __tablename__ = "deal_total"

    owner_id: int = Field(primary_key=True)
    stage_key: str = Field(primary_key=True, max_length=32)
    currency: str = Field(primary_key=True, max_length=3)
    deals: int
    cents: int = Field(sa_type=sa.BigInteger)
    weighted_cents: int = Field(sa_type=sa.BigInteger)
