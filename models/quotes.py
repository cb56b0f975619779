"""Quotes: lines of products at a discount, the approval they need, and their number and
validity once issued."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import MONEY, UTCDateTime, utcnow


class QuoteStatus(StrEnum):
    PENDING_MANAGER = "pending_manager"
    PENDING_DIRECTOR = "pending_director"
    ISSUED = "issued"
    REJECTED = "rejected"


class Quote(SQLModel, table=True):
    # Issued quotes by their last valid day: the expiry warnings.
    __table_args__ = (sa.Index("ix_quote_status_valid_until", "status", "valid_until"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=20, unique=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    status: str = Field(max_length=20, index=True)
    currency: str = Field(max_length=3)
    subtotal: Decimal = Field(sa_type=MONEY)
    overall_discount_pct: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    total: Decimal = Field(sa_type=MONEY)
    max_discount_pct: Decimal = Field(sa_type=MONEY)
    below_floor: bool = Field(default=False)
    valid_until: date | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The manager's step of a two-step approval (sent on to a director).
    manager_approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    manager_approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str | None = Field(default=None, sa_type=sa.Text)
    issued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_to_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    customer_answer: str | None = Field(default=None, max_length=16)  # "accepted" / "declined"
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class QuoteLine(SQLModel, table=True):
    __tablename__ = "quote_line"

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    quantity: Decimal = Field(sa_type=MONEY)
    list_price: Decimal = Field(sa_type=MONEY)
    discount_pct: Decimal = Field(sa_type=MONEY)
    unit_price: Decimal = Field(sa_type=MONEY)
    line_total: Decimal = Field(sa_type=MONEY)
