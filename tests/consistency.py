"""What must hold in the database after any sequence of updates, however hostile: no row points
at a missing one, no record is half made, money adds up, and no name carries control
characters. ``problems`` lists every violation found (empty when the database is consistent)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Connection, inspect, select, text
from sqlmodel import SQLModel

from bot.db import Database
from bot.parsing.text import printable
from bot.services.quotes import cents
from models import (
    Instalment,
    Payment,
    Quote,
    QuoteLine,
    SalesOrder,
)

HUNDRED = Decimal(100)


def problems(db: Database) -> list[str]:
    found: list[str] = []
    with db.engine.connect() as connection:
        found += _orphans(connection)
    with db.session() as session:
        found += _quote_money(session)
        found += _order_money(session)
        found += _names(session)
    return found


def _orphans(connection: Connection) -> list[str]:
    """Every foreign key of every table points at an existing row (or is empty)."""
    found = []
    present = set(inspect(connection).get_table_names())
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in present:
            continue
        for key in table.foreign_keys:
            column, target = key.parent, key.column
            statement = text(
                f'SELECT count(*) FROM "{table.name}" AS t WHERE t."{column.name}" IS NOT NULL '
                f'AND NOT EXISTS (SELECT 1 FROM "{target.table.name}" AS r '
                f'WHERE r."{target.name}" = t."{column.name}")'
            )
            count = connection.execute(statement).scalar_one()
            if count:
                found.append(f"{count} {table.name}.{column.name} point at no {target}")
    return found


def _quote_money(session: object) -> list[str]:
    found = []
    lines: dict[int, list[QuoteLine]] = defaultdict(list)
    for line in session.execute(select(QuoteLine)).scalars():  # type: ignore[attr-defined]
        lines[line.quote_id].append(line)
        if line.line_total != cents(line.unit_price * line.quantity):
            found.append(
                f"quote line {line.id}: {line.unit_price} × {line.quantity} ≠ {line.line_total}"
            )
    for quote in session.execute(select(Quote)).scalars():  # type: ignore[attr-defined]
        own = lines.get(quote.id, [])
        if not own:
            found.append(f"quote {quote.number} ({quote.status}) has no lines")
            continue
        subtotal = sum((line.line_total for line in own), Decimal(0))
        if own and subtotal != quote.subtotal:
            found.append(f"quote {quote.number}: lines {subtotal} ≠ subtotal {quote.subtotal}")
        expected = cents(quote.subtotal * (HUNDRED - quote.overall_discount_pct) / HUNDRED)
        if expected != quote.total:
            found.append(f"quote {quote.number}: total {quote.total} ≠ {expected}")
    return found


def _order_money(session: object) -> list[str]:
    found = []
    due: dict[int, Decimal] = defaultdict(Decimal)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for instalment in session.execute(select(Instalment)).scalars():  # type: ignore[attr-defined]
        due[instalment.order_id] += instalment.amount
        if instalment.amount <= 0:
            found.append(f"instalment {instalment.id} of {instalment.amount}")
    for payment in session.execute(select(Payment)).scalars():  # type: ignore[attr-defined]
        paid[payment.order_id] += payment.amount
        if payment.amount <= 0:
            found.append(f"payment {payment.id} of {payment.amount}")
    for order in session.execute(select(SalesOrder)).scalars():  # type: ignore[attr-defined]
        if due[order.id] != order.total:
            found.append(f"order {order.number}: instalments {due[order.id]} ≠ {order.total}")
        if paid[order.id] != order.paid_total:
            found.append(
                f"order {order.number}: payments {paid[order.id]} ≠ paid {order.paid_total}"
            )
        if not Decimal(0) <= order.paid_total <= order.total:
            found.append(f"order {order.number}: paid {order.paid_total} of {order.total}")
    return found


def _names(session: object) -> list[str]:
    """Names people read in lists and on buttons: never empty, never a control character."""
    found = []
    named = (
        ("Customer", "customer", "name"),
        ("Contact", "contact", "name"),
        ("Deal", "deal", "title"),
        ("Product", "product", "name"),
        ("Team", "team", "name"),
        ("User", "user", "full_name"),
    )
    for model, table, column in named:
        statement = text(f'SELECT id, "{column}" FROM "{table}"')
        for row_id, value in session.execute(statement):  # type: ignore[attr-defined]
            if value is None:
                continue
            if not value.strip():
                found.append(f"{model} {row_id} has an empty name")
            bad = [char for char in value if printable(char) != char]
            if bad:
                found.append(f"{model} {row_id}: {value!r} holds {bad!r}")
    return found
