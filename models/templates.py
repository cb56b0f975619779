"""Texts an admin rewrote in /templates: the birthday greeting and the check-in after delivery,
per language. No row: the built-in template file applies."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class MessageTemplate(SQLModel, table=True):
    __tablename__ = "message_template"
    __table_args__ = (sa.UniqueConstraint("name", "language", name="uq_message_template"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=32)  # e.g. "care/birthday"
    language: str = Field(max_length=8)  # "en", "zh"
    body: str = Field(sa_type=sa.Text)  # Jinja2 source, rendered in a sandbox
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
