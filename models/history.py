"""The history of every change to the business records: one row per changed field (old → new),
or one row for a record created or deleted (its values then, as JSON). Written by the session
hook of ``bot.services.history`` in the same transaction as the change; never updated.

The record is named by kind and key (text: a pipeline stage's key is a word), with no foreign
key, so a record's history outlives the record. ``parent_kind``/``parent_id`` name the record
it belongs to (a contact's customer, an instalment's or payment's order), so one card shows
both."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class ChangeEntry(SQLModel, table=True):
    __tablename__ = "change_history"
    __table_args__ = (
        sa.Index("ix_change_history_record", "record_kind", "record_id", "changed_at"),
        sa.Index("ix_change_history_parent", "parent_kind", "parent_id", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_kind: str = Field(max_length=32)  # "customer", "contact", "deal", "order", …
    record_id: str = Field(max_length=64)
    parent_kind: str | None = Field(default=None, max_length=32)
    parent_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=8)  # "create", "update" or "delete"
    field: str | None = Field(default=None, max_length=64)  # None for "create" and "delete"
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    # Who: a person of the company, or a customer's contact; neither: the system (scheduler).
    changed_by_id: int | None = Field(default=None)
    changed_by_contact_id: int | None = Field(default=None)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
