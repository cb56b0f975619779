"""Company settings an admin changed in /settings (🏢 Company settings): one row per setting
that differs from the operator's environment value. No row: the environment value applies
(``bot.services.company`` gives the effective values)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class CompanySetting(SQLModel, table=True):
    __tablename__ = "company_setting"

    key: str = Field(primary_key=True, max_length=40)  # e.g. "staff_quiet_hours"
    value: str = Field(sa_type=sa.Text)  # as typed, normalised: "22:00-07:00", "12.5"
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
