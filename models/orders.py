"""What a won deal becomes: an order with a delivery date, the people who deliver and collect,
a payment schedule of instalments, and the payments received against it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import MONEY, UTCDateTime, utcnow

UNPAID = "paid_total < total"


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (
        # Orders with money still due, by who collects it (payment reminders, the morning
        # brief, the digest's overdue payments): a partial index holds only the unpaid ones.
        sa.Index(
            "ix_sales_order_unpaid",
            "payment_owner_id",
            sqlite_where=sa.text(UNPAID),
            postgresql_where=sa.text(UNPAID),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    deal_id: int = Field(foreign_key="deal.id", unique=True)
    # The quote the order bills (its lines, currency and total), when the deal had one.
    quote_id: int | None = Field(default=None, foreign_key="quote.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    delivery_owner_id: int = Field(foreign_key="user.id", index=True)
    payment_owner_id: int = Field(foreign_key="user.id", index=True)
    total: Decimal = Field(sa_type=MONEY)
    paid_total: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    currency: str = Field(max_length=3)
    delivery_date: date
    # Indexed: the post-purchase check-ins look up the orders delivered some days ago.
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Instalment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    sequence: int
    amount: Decimal = Field(sa_type=MONEY)
    due_date: date = Field(index=True)


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    amount: Decimal = Field(sa_type=MONEY)
    received_on: date
    logged_by_id: int = Field(foreign_key="user.id")
    logged_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
