"""The product catalog: what can be quoted, at what list price, and how low a price may go."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from models.base import MONEY, UTCDateTime, utcnow


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    list_price: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    floor_price: Decimal | None = Field(default=None, sa_type=MONEY)
    max_discount_pct: Decimal | None = Field(default=None, sa_type=MONEY)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
