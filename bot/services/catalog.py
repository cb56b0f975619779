"""The product catalog: reading a CSV or XLSX price list, previewing what an import would do
(rows to add, to update, and each bad row with its number and reason), then applying it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from bot.parsing.amounts import MAX_AMOUNT
from bot.parsing.text import one_line
from bot.services import tables
from bot.services.errors import NotAllowed, ServiceError
from bot.services.people import Actor
from bot.services.tables import TableRow
from models import Product, Role

MAX_ROWS = 20_000
HEADERS = {
    "sku": "sku",
    "code": "sku",
    "name": "name",
    "product": "name",
    "unit": "unit",
    "list price": "list_price",
    "price": "list_price",
    "currency": "currency",
    "floor price": "floor_price",
    "minimum price": "floor_price",
    "max discount": "max_discount",
    "maximum discount": "max_discount",
    "max discount %": "max_discount",
    "maximum discount %": "max_discount",
}
REQUIRED = ("sku", "name", "unit", "list_price")


@dataclass(frozen=True)
class ProductRow:
    row: int
    sku: str
    name: str
    unit: str
    list_price: Decimal
    currency: str
    floor_price: Decimal | None
    max_discount_pct: Decimal | None


@dataclass(frozen=True)
class RowProblem:
    row: int
    reason: str  # a key the template explains: missing_sku, bad_price, …
    value: str = ""


@dataclass(frozen=True)
class ImportPreview:
    to_add: list[ProductRow]
    to_update: list[ProductRow]
    unchanged: int
    problems: list[RowProblem]


class ImportFileInvalid(ServiceError):
    template = "catalog/file_invalid"


def _header_key(text: str) -> str | None:
    clean = re.sub(r"[_\s]+", " ", text.strip().lower()).replace("(%)", "%").strip()
    return HEADERS.get(clean) or HEADERS.get(clean.rstrip(" %"))


def read_table(filename: str, content: bytes) -> list[TableRow]:
    """The non-blank rows of a .csv or .xlsx price list with their row numbers in the file
    (the first is the header)."""
    try:
        return tables.read_table(filename, content, max_rows=MAX_ROWS)
    except tables.TableInvalid as error:
        raise ImportFileInvalid(**error.details) from error


SYMBOLS = {"¥": "CNY", "￥": "CNY", "$": "USD", "€": "EUR", "£": "GBP"}
PLAIN_PRICE = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")


def file_price(text: str) -> tuple[Decimal, str | None] | None:
    """A price cell: digits with optional thousands commas and at most two decimals, maybe
    after a currency symbol ("1,200.50", "¥3000"), above zero and within what an amount column
    holds (``MAX_AMOUNT``). Anything else (12.345, 1.2万, 1e309, NaN) is refused: a price list
    must be exact."""
    clean = "".join(text.split())
    currency = SYMBOLS.get(clean[:1])
    if currency:
        clean = clean[1:]
    match = PLAIN_PRICE.match(clean)
    if match is None or len(match.group(1).replace(",", "")) > len(str(int(MAX_AMOUNT))):
        return None
    amount = Decimal(clean.replace(",", "")).quantize(Decimal("0.01"))
    return (amount, currency) if Decimal(0) < amount <= MAX_AMOUNT else None


def _parse_row(
    number: int, cells: dict[str, str], default_currency: str
) -> ProductRow | RowProblem:
    sku = one_line(cells.get("sku", ""))
    if not sku:
        return RowProblem(number, "missing_sku")
    if len(sku) > 64:
        return RowProblem(number, "long_sku", sku[:20])
    name = one_line(cells.get("name", ""))
    if not name:
        return RowProblem(number, "missing_name")
    unit = one_line(cells.get("unit", "")) or "pc"
    price_text = cells.get("list_price", "")
    price = file_price(price_text)
    if price is None:
        return RowProblem(number, "bad_price", price_text)
    list_price, symbol = price
    currency = cells.get("currency", "").strip().upper() or symbol or default_currency
    if not re.fullmatch(r"[A-Z]{3}", currency) or symbol not in (None, currency):
        return RowProblem(number, "bad_currency", cells.get("currency", ""))
    floor_text = cells.get("floor_price", "")
    floor_price = file_price(floor_text) if floor_text.strip() else None
    if floor_text.strip() and floor_price is None:
        return RowProblem(number, "bad_floor", floor_text)
    floor = floor_price[0] if floor_price else None
    if floor is not None and floor > list_price:
        return RowProblem(number, "floor_above_list", floor_text)
    discount_text = cells.get("max_discount", "").strip().rstrip("%").strip()
    discount: Decimal | None = None
    if discount_text:
        try:
            discount = Decimal(discount_text)
        except ArithmeticError:
            return RowProblem(number, "bad_discount", discount_text)
        if (
            not discount.is_finite()
            or not Decimal(0) <= discount <= Decimal(100)
            or discount != discount.quantize(Decimal("0.01"))
        ):
            return RowProblem(number, "bad_discount", discount_text)
    return ProductRow(
        row=number,
        sku=sku,
        name=name[:200],
        unit=unit[:20],
        list_price=list_price,
        currency=currency,
        floor_price=floor,
        max_discount_pct=discount,
    )


def preview_import(
    session: Session, actor: Actor, rows: list[TableRow], *, default_currency: str
) -> ImportPreview:
    """What importing ``rows`` would do; nothing is written (admins only)."""
    if actor.role != Role.ADMIN:
        raise NotAllowed()
    header = [_header_key(cell) for cell in rows[0].cells]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileInvalid(reason="columns", missing=missing)
    parsed: list[ProductRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line in rows[1:]:
        number = line.number
        cells = {key: value for key, value in zip(header, line.cells, strict=False) if key}
        result = _parse_row(number, cells, default_currency)
        if isinstance(result, RowProblem):
            problems.append(result)
        elif result.sku.lower() in seen:
            problems.append(RowProblem(number, "duplicate_sku", str(seen[result.sku.lower()])))
        else:
            seen[result.sku.lower()] = number
            parsed.append(result)
    existing = {
        product.sku.lower(): product
        for product in session.exec(
            select(Product).where(col(Product.sku).in_([row.sku for row in parsed]))
        )
    }
    to_add: list[ProductRow] = []
    to_update: list[ProductRow] = []
    unchanged = 0
    for row in parsed:
        current = existing.get(row.sku.lower())
        if current is None:
            to_add.append(row)
        elif (
            current.name,
            current.unit,
            current.list_price,
            current.currency,
            current.floor_price,
            current.max_discount_pct,
        ) == (
            row.name,
            row.unit,
            row.list_price,
            row.currency,
            row.floor_price,
            row.max_discount_pct,
        ):
            unchanged += 1
        else:
            to_update.append(row)
    return ImportPreview(to_add, to_update, unchanged, problems)


def apply_import(
    session: Session, actor: Actor, preview: ImportPreview, *, now: datetime
) -> tuple[int, int]:
    """Write the preview's good rows in the caller's one transaction; returns (added, updated)."""
    if actor.role != Role.ADMIN:
        raise NotAllowed()
    for row in preview.to_add:
        session.add(
            Product(
                sku=row.sku,
                name=row.name,
                unit=row.unit,
                list_price=row.list_price,
                currency=row.currency,
                floor_price=row.floor_price,
                max_discount_pct=row.max_discount_pct,
                created_at=now,
                updated_at=now,
            )
        )
    skus = [row.sku for row in preview.to_update]
    current = {
        p.sku.lower(): p for p in session.exec(select(Product).where(col(Product.sku).in_(skus)))
    }
    for row in preview.to_update:
        product = current[row.sku.lower()]
        product.name, product.unit, product.list_price = row.name, row.unit, row.list_price
        product.currency, product.floor_price = row.currency, row.floor_price
        product.max_discount_pct, product.updated_at = row.max_discount_pct, now
        product.is_active = True
    session.flush()
    return len(preview.to_add), len(preview.to_update)
