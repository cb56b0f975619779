"""What the bot says first: every scheduled message is a row here before it is sent, and the
row tells what became of it. Care campaigns an admin schedules for a segment of contacts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for its time (send_after)
    SENDING = "sending"  # claimed by a dispatcher until lease_until
    SENT = "sent"
    SKIPPED = "skipped"  # not sent, on purpose: the reason says why
    FAILED = "failed"  # not sent after every attempt: the reason holds the error


class OutboxMessage(SQLModel, table=True):
    """One message to one chat. ``key`` (kind, recipient and the instant it is for) is unique,
    so a reminder computed twice, by two ticks or two processes, is written once."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_state_send_after", "state", "send_after"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32, index=True)
    chat_id: int = Field(sa_type=sa.BigInteger, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")  # a staff recipient
    contact_id: int | None = Field(default=None, foreign_key="contact.id")  # or a contact
    customer_id: int | None = Field(default=None, foreign_key="customer.id")  # what it is about
    ref_id: int | None = Field(default=None)  # the record behind it (touch, instalment, …)
    promotional: bool = Field(default=False)  # care: held back while a complaint is open
    due_at: datetime = Field(sa_type=UTCDateTime)  # the instant it is for
    send_after: datetime = Field(sa_type=UTCDateTime)  # quiet hours and retries move this
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    text: str = Field(sa_type=sa.Text)
    markup: str | None = Field(default=None, sa_type=sa.Text)  # JSON [[label, data], …] rows
    photo: bytes | None = Field(default=None, sa_type=sa.LargeBinary)  # text is its caption
    state: str = Field(default=OutboxState.PENDING.value, max_length=16)
    attempts: int = Field(default=0)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    late: bool = Field(default=False)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    telegram_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CareCampaign(SQLModel, table=True):
    """A care message an admin schedules for a segment of linked, opted-in contacts."""

    __tablename__ = "care_campaign"

    id: int | None = Field(default=None, primary_key=True)
    segment: str = Field(max_length=32)  # "linked" or "tier:A" / "tier:B" / "tier:C"
    text: str = Field(sa_type=sa.Text)
    send_at: datetime = Field(sa_type=UTCDateTime)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enqueued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProducerMark(SQLModel, table=True):
    """How far a reminder producer has looked: everything due up to ``covered_until`` was
    written by its tick then, so the next tick looks only at what fell due since; every
    ``swept_at`` + an hour it looks at the whole catch-up window again (``bot.reminders.
    scheduler``)."""

    __tablename__ = "producer_mark"

    name: str = Field(primary_key=True, max_length=64)
    covered_until: datetime = Field(sa_type=UTCDateTime)
    swept_at: datetime = Field(sa_type=UTCDateTime)
