"""Requests to change a customer's commercial terms (allowed discount, payment terms, credit
limit): asked by a rep or a manager, decided by the team's manager and then by finance (or a
director). The customer's term changes only when both said yes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import MONEY, UTCDateTime, utcnow


class TermsRequestState(StrEnum):
    PENDING_MANAGER = "pending_manager"
    PENDING_FINANCE = "pending_finance"
    APPROVED = "approved"
    REJECTED = "rejected"


class TermsRequest(SQLModel, table=True):
    __tablename__ = "terms_request"
    # What waits for a decision, oldest first: /approvals and the morning brief.
    __table_args__ = (sa.Index("ix_terms_request_state_created_at", "state", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    term: str = Field(max_length=16)  # "discount", "days" or "credit"
    old_value: Decimal | None = Field(default=None, sa_type=MONEY)  # None: no limit of its own
    new_value: Decimal | None = Field(default=None, sa_type=MONEY)
    reason: str = Field(sa_type=sa.Text)
    requested_by_id: int = Field(foreign_key="user.id", index=True)
    state: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    manager_decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    manager_decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    manager_approved: bool | None = Field(default=None)
    finance_decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    finance_decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finance_approved: bool | None = Field(default=None)
