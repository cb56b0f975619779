"""A person's private calendar feed: the key to ``/calendar/<token>.ics``, kept only as the
SHA-256 of the token (``bot.services.calendar_feed``), one per person."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class CalendarFeed(SQLModel, table=True):
    """Whose feed a token opens. A new token (*Reset link*) replaces the row's hash, so the old
    link stops working; a deactivated person's token opens nothing."""

    __tablename__ = "calendar_feed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
