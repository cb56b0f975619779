"""Exporting what a person may see as an XLSX workbook (``/export``): customers, contacts,
deals, visits, orders or payments, each a sheet with a header row and one row per record.

Exactly the person's scope (a rep their own, a manager their team's, a director and an admin
everyone's) through the visibility helpers. Cells are typed: amounts are numbers (Decimal),
days are dates, instants are Excel datetimes on the reader's clock; never text that looks like
one. The rows are streamed from the database into a write-only workbook, so a large export
does not hold the whole table in memory. The header texts and labelled values (stages, kinds)
come from the caller, in the reader's language."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.services.errors import NotAllowed
from bot.services.orders import visible_orders
from bot.services.people import Actor
from bot.services.visibility import customers_visible_to, owned_by_visible
from models import Contact, Customer, Deal, Payment, Role, SalesOrder, Touch, User

DATASETS = ("customers", "contacts", "deals", "visits", "orders", "payments")
# What people type after /export, in either language.
DATASET_WORDS = {
    **{name: name for name in DATASETS},
    "customer": "customers",
    "contact": "contacts",
    "deal": "deals",
    "visit": "visits",
    "order": "orders",
    "payment": "payments",
    "客户": "customers",
    "联系人": "contacts",
    "商机": "deals",
    "拜访": "visits",
    "订单": "orders",
    "回款": "payments",
    "付款": "payments",
}
# Finance reads every customer, order and payment: it exports them as well (read-only).
EXPORT_ROLES = (Role.REP, Role.MANAGER, Role.DIRECTOR, Role.FINANCE, Role.ADMIN)
BATCH = 1_000

# Column key → cell type: text, int, money, date, datetime, bool.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": (
        ("customer_id", "int"),
        ("customer", "text"),
        ("owner", "text"),
        ("tier", "text"),
        ("industry", "text"),
        ("phone", "text"),
        ("address", "text"),
        ("payment_terms_days", "int"),
        ("credit_limit", "money"),
        ("max_discount_pct", "money"),
        ("notes", "text"),
        ("created_at", "datetime"),
        ("updated_at", "datetime"),
    ),
    "contacts": (
        ("customer", "text"),
        ("contact", "text"),
        ("role", "text"),
        ("phone", "text"),
        ("email", "text"),
        ("birthday", "date"),
        ("language", "text"),
        ("opted_in", "bool"),
        ("linked", "bool"),
        ("created_at", "datetime"),
    ),
    "deals": (
        ("deal_id", "int"),
        ("customer", "text"),
        ("title", "text"),
        ("owner", "text"),
        ("stage", "text"),
        ("probability", "int"),
        ("amount", "money"),
        ("currency", "text"),
        ("weighted", "money"),
        ("expected_close", "date"),
        ("created_at", "datetime"),
        ("closed_at", "datetime"),
    ),
    "visits": (
        ("at", "datetime"),
        ("customer", "text"),
        ("author", "text"),
        ("kind", "text"),
        ("notes", "text"),
        ("next_step", "text"),
        ("follow_up_at", "datetime"),
        ("follow_up_done_at", "datetime"),
    ),
    "orders": (
        ("order", "text"),
        ("customer", "text"),
        ("owner", "text"),
        ("total", "money"),
        ("paid", "money"),
        ("due", "money"),
        ("currency", "text"),
        ("delivery_date", "date"),
        ("delivered_at", "datetime"),
        ("created_at", "datetime"),
    ),
    "payments": (
        ("order", "text"),
        ("customer", "text"),
        ("amount", "money"),
        ("currency", "text"),
        ("received_on", "date"),
        ("logged_by", "text"),
        ("logged_at", "datetime"),
    ),
}
NUMBER_FORMATS = {
    "money": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "int": "0",
}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    rows: int


Labeller = Callable[[str, str], str]  # (kind of value, key) → the reader's words: stage, kind


def may_export(actor: Actor) -> bool:
    return actor.role in EXPORT_ROLES


def dataset_of(word: str) -> str | None:
    """The dataset a typed word names (``customers``, ``订单``…), or None."""
    return DATASET_WORDS.get(word.strip().lower())


def _rows(
    session: Session, actor: Actor, what: str, zone: ZoneInfo, labels: Labeller
) -> Iterator[list[Any]]:
    def at(instant: datetime | None) -> datetime | None:
        # Excel has no time zones: the reader's wall clock, as they see it in the bot.
        return instant.astimezone(zone).replace(tzinfo=None) if instant else None

    owner = aliased(User)
    if what == "customers":
        for customer, user in session.exec(
            select(Customer, owner)
            .join(owner, col(Customer.owner_id) == col(owner.id))
            .where(customers_visible_to(actor))
            .order_by(col(Customer.id))
            .execution_options(yield_per=BATCH)
        ):
            yield [
                customer.id,
                customer.name,
                user.full_name,
                customer.tier,
                customer.industry,
                customer.phone,
                customer.address,
                customer.payment_terms_days,
                customer.credit_limit,
                customer.max_discount_pct,
                customer.notes,
                at(customer.created_at),
                at(customer.updated_at),
            ]
    elif what == "contacts":
        for contact, customer in session.exec(
            select(Contact, Customer)
            .join(Customer, col(Contact.customer_id) == col(Customer.id))
            .where(customers_visible_to(actor))
            .order_by(col(Customer.id), col(Contact.id))
            .execution_options(yield_per=BATCH)
        ):
            yield [
                customer.name,
                contact.name,
                contact.title,
                contact.phone,
                contact.email,
                _birthday(contact),
                contact.language,
                contact.opted_in,
                contact.telegram_chat_id is not None,
                at(contact.created_at),
            ]
    elif what == "deals":
        for deal, customer, user in session.exec(
            select(Deal, Customer, owner)
            .join(Customer, col(Deal.customer_id) == col(Customer.id))
            .join(owner, col(Deal.owner_id) == col(owner.id))
            .where(owned_by_visible(actor, Deal.owner_id))
            .order_by(col(Deal.id))
            .execution_options(yield_per=BATCH)
        ):
            weighted = (deal.amount * deal.probability / 100).quantize(Decimal("0.01"))
            yield [
                deal.id,
                customer.name,
                deal.title,
                user.full_name,
                labels("stage", deal.stage_key),
                deal.probability,
                deal.amount,
                deal.currency,
                weighted,
                deal.expected_close,
                at(deal.created_at),
                at(deal.closed_at),
            ]
    elif what == "visits":
        for touch, customer, user in session.exec(
            select(Touch, Customer, owner)
            .join(Customer, col(Touch.customer_id) == col(Customer.id))
            .join(owner, col(Touch.author_id) == col(owner.id))
            .where(customers_visible_to(actor), col(Touch.deleted_at).is_(None))
            .order_by(col(Touch.created_at), col(Touch.id))
            .execution_options(yield_per=BATCH)
        ):
            yield [
                at(touch.created_at),
                customer.name,
                user.full_name,
                labels("kind", touch.kind),
                touch.notes,
                touch.next_step,
                at(touch.follow_up_at),
                at(touch.follow_up_done_at),
            ]
    elif what == "orders":
        for order, customer, user in session.exec(
            select(SalesOrder, Customer, owner)
            .join(Customer, col(SalesOrder.customer_id) == col(Customer.id))
            .join(owner, col(SalesOrder.owner_id) == col(owner.id))
            .where(visible_orders(actor))
            .order_by(col(SalesOrder.id))
            .execution_options(yield_per=BATCH)
        ):
            yield [
                order.number,
                customer.name,
                user.full_name,
                order.total,
                order.paid_total,
                order.total - order.paid_total,
                order.currency,
                order.delivery_date,
                at(order.delivered_at),
                at(order.created_at),
            ]
    elif what == "payments":
        for payment, order, customer, user in session.exec(
            select(Payment, SalesOrder, Customer, owner)
            .join(SalesOrder, col(Payment.order_id) == col(SalesOrder.id))
            .join(Customer, col(SalesOrder.customer_id) == col(Customer.id))
            .join(owner, col(Payment.logged_by_id) == col(owner.id))
            .where(visible_orders(actor))
            .order_by(col(Payment.received_on), col(Payment.id))
            .execution_options(yield_per=BATCH)
        ):
            yield [
                order.number,
                customer.name,
                payment.amount,
                order.currency,
                payment.received_on,
                user.full_name,
                at(payment.logged_at),
            ]


def _birthday(contact: Contact) -> date | str | None:
    """A real date when the year is known; else ``--MM-DD``, as a birthday without a year is
    written (ISO 8601)."""
    if contact.birth_month is None or contact.birth_day is None:
        return None
    if contact.birth_year:
        return date(contact.birth_year, contact.birth_month, contact.birth_day)
    return f"--{contact.birth_month:02d}-{contact.birth_day:02d}"


def export_workbook(
    session: Session,
    actor: Actor,
    what: str,
    *,
    headers: Callable[[str], str],
    labels: Labeller,
    sheet_title: str,
) -> ExportFile:
    """The XLSX workbook of dataset ``what`` as ``actor`` may see it; ``headers`` gives a
    column's title in the reader's language."""
    if not may_export(actor) or what not in COLUMNS:
        raise NotAllowed()
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title[:31])
    columns = COLUMNS[what]
    bold = Font(bold=True)
    header_cells = []
    for key, _ in columns:
        cell = WriteOnlyCell(sheet, value=headers(key))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for values in _rows(session, actor, what, ZoneInfo(actor.timezone), labels):
        cells = []
        for (_, kind), value in zip(columns, values, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if kind in NUMBER_FORMATS and value is not None and not isinstance(value, str):
                cell.number_format = NUMBER_FORMATS[kind]
            cells.append(cell)
        sheet.append(cells)
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return ExportFile(buffer.getvalue(), count)
