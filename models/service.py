"""Service requests and complaints: what the customer needs, by when, and how it ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class TicketKind(StrEnum):
    COMPLAINT = "complaint"
    REPAIR = "repair"
    QUESTION = "question"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Ticket(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=16)
    description: str = Field(sa_type=sa.Text)
    status: str = Field(default=TicketStatus.OPEN.value, max_length=16, index=True)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")  # staff, or…
    opened_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")  # …a contact
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rating: int | None = Field(default=None, ge=1, le=5)


class ContactQuestion(SQLModel, table=True):
    """A question a customer's contact wrote to the bot, forwarded to the customer's owner;
    open until someone of the company answers that contact. Whoever owns the customer answers
    it: one handed to another rep gets the open questions in their hand-over message."""

    __tablename__ = "contact_question"
    # A contact's open questions (answered: all at once), and a customer's through its contacts.
    __table_args__ = (sa.Index("ix_contact_question_open", "contact_id", "answered_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    text: str = Field(sa_type=sa.Text)
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by_id: int | None = Field(default=None, foreign_key="user.id")
