"""A record's change history as its card's *📜 History* shows it: newest first, a page at a
time, to those who may see the record (the card's own check, so a forged button answers "Not
found." like a missing record). Values come typed (money with its currency, instants, days,
yes/no, people by name) for the templates to write in the reader's language and zone.

Recording the history is ``bot.services.history``; nothing here writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, or_
from sqlmodel import Session, SQLModel, col, select

from bot.services import deals, orders, quotes, records
from bot.services.errors import NotFound
from bot.services.history import TRACKED
from bot.services.people import Actor
from bot.services.visibility import visible_customer
from models import ChangeEntry, Contact, Role, Team, User
from models.base import UTCDateTime

PER_PAGE = 8
SNAPSHOT_FIELDS = 8  # of a created or deleted record, the first ones (a page stays one message)
# The kinds whose cards have a History button, by the short name their buttons carry.
CARD_KINDS = {"cus": "customer", "ct": "contact", "deal": "deal", "q": "quote", "ord": "order"}
CARD_KINDS["usr"] = "user"
# Columns naming a person of the company or a contact: shown by name.
USER_COLUMNS = frozenset(
    {
        "owner_id",
        "delivery_owner_id",
        "payment_owner_id",
        "created_by_id",
        "decided_by_id",
        "manager_approved_by_id",
        "logged_by_id",
        "invited_by_id",
    }
)
# Columns whose values the templates write by their label.
LABELLED = frozenset(
    {
        "stage_key",
        "timeframe",
        "source",
        "lost_reason",
        "role",
        "status",
        "customer_answer",
        "language",
    }
)


@dataclass(frozen=True)
class Shown:
    """One value, typed for the template: ``type`` is text, money, number, percent, instant,
    day, bool, person, label or birthday (``field`` names the label set)."""

    type: str
    value: Any
    currency: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    action: str  # "create", "update", "delete"
    kind: str  # the changed record's kind: the card's own, or a contact, instalment, payment
    subject: str | None  # which contact, for a customer's; None for the card's own record
    field: str | None
    old: Shown | None
    new: Shown | None
    values: list[tuple[str, Shown]]  # a created or deleted record's values
    author_name: str
    by_contact: bool


@dataclass(frozen=True)
class HistoryPage:
    kind: str
    record_id: int
    title: str
    items: list[HistoryItem]
    page: int
    has_more: bool


@dataclass(frozen=True)
class _Record:
    title: str
    currency: str | None


def _card(
    session: Session,
    actor: Actor,
    kind: str,
    record_id: int,
    *,
    default_currency: str,
    today: date,
) -> _Record:
    """The record, checked as its card checks it (NotFound for anyone else's or missing)."""
    if kind == "customer":
        return _Record(visible_customer(session, actor, record_id).name, default_currency)
    if kind == "contact":
        facts = records.contact_facts(session, actor, record_id)
        return _Record(f"{facts.name} · {facts.customer_name}", None)
    if kind == "deal":
        deal = deals.deal_view(session, actor, record_id)
        return _Record(deal.title, deal.currency)
    if kind == "quote":
        quote = quotes.quote_view(session, actor, record_id)
        return _Record(quote.number or f"#{record_id}", quote.currency)
    if kind == "order":
        order = orders.order_view(session, actor, record_id, today=today)
        return _Record(order.number, order.currency)
    if kind == "user" and actor.role == Role.ADMIN:
        user = session.get(User, record_id)
        if user is not None:
            return _Record(user.full_name, None)
    raise NotFound()


def _column_types(kind: str) -> dict[str, Any]:
    tables = [table for table, tracked in TRACKED.items() if tracked.kind == kind]
    for name in tables:
        table = SQLModel.metadata.tables.get(name)
        if table is not None:
            return {column.name: column.type for column in table.columns}
    return {}


def _typed(
    kind: str,
    field: str,
    text: str | None,
    *,
    types: dict[str, Any],
    currency: str | None,
    names: dict[int, str],
    contacts: dict[int, str],
    teams: dict[int, str],
) -> Shown:
    if text is None:
        return Shown("text", None)
    if field == "birthday":
        return Shown("birthday", text)
    if field in USER_COLUMNS or field == "sent_to_contact_id" or field == "team_id":
        number = int(text) if text.isdigit() else None
        table = {"team_id": teams, "sent_to_contact_id": contacts}.get(field, names)
        return Shown("person", table.get(number or 0, f"#{text}"))
    if field in LABELLED:
        return Shown("label", text, field=f"{kind}.{field}" if field == "status" else field)
    column_type = types.get(field)
    try:
        if isinstance(column_type, sa.Numeric):
            amount = Decimal(text)
            if field.endswith("_pct"):
                return Shown("percent", amount)
            if field == "quantity" or currency is None:
                return Shown("number", amount)
            return Shown("money", amount, currency=currency)
        if isinstance(column_type, UTCDateTime):
            return Shown("instant", datetime.fromisoformat(text))
        if isinstance(column_type, sa.Date):
            return Shown("day", date.fromisoformat(text))
    except (InvalidOperation, ValueError):
        return Shown("text", text)
    if isinstance(column_type, sa.Boolean):
        return Shown("bool", text == "true")
    return Shown("text", text)


def _rows(session: Session, kind: str, key: str, page: int) -> tuple[list[ChangeEntry], bool]:
    own = and_(col(ChangeEntry.record_kind) == kind, col(ChangeEntry.record_id) == key)
    children = and_(col(ChangeEntry.parent_kind) == kind, col(ChangeEntry.parent_id) == key)
    rows = list(
        session.exec(
            select(ChangeEntry)
            .where(or_(own, children))
            .order_by(col(ChangeEntry.changed_at).desc(), col(ChangeEntry.id).desc())
            .offset(page * PER_PAGE)
            .limit(PER_PAGE + 1)
        )
    )
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def record_history(
    session: Session,
    actor: Actor,
    kind: str,
    record_id: int,
    page: int = 0,
    *,
    default_currency: str,
    today: date,
) -> HistoryPage:
    """Page ``page`` (newest first) of the changes to a record the person may see, with its
    contacts' (a customer) or its instalments' and payments' (an order)."""
    record = _card(session, actor, kind, record_id, default_currency=default_currency, today=today)
    page = max(page, 0)
    rows, has_more = _rows(session, kind, str(record_id), page)
    values_by_row = [_values(row) for row in rows]
    user_ids = {row.changed_by_id for row in rows if row.changed_by_id}
    contact_ids = {row.changed_by_contact_id for row in rows if row.changed_by_contact_id}
    team_ids: set[int] = set()
    for row, values in zip(rows, values_by_row, strict=True):
        for field, text in values:
            if text and text.isdigit():
                if field in USER_COLUMNS:
                    user_ids.add(int(text))
                elif field == "sent_to_contact_id":
                    contact_ids.add(int(text))
                elif field == "team_id":
                    team_ids.add(int(text))
        if row.record_kind == "contact" and row.record_id.isdigit():
            contact_ids.add(int(row.record_id))
    names = {
        user.id: user.full_name
        for user in session.exec(select(User).where(col(User.id).in_(user_ids)))
        if user.id is not None
    }
    contacts = {
        contact.id: contact.name
        for contact in session.exec(select(Contact).where(col(Contact.id).in_(contact_ids)))
        if contact.id is not None
    }
    teams = {
        team.id: team.name
        for team in session.exec(select(Team).where(col(Team.id).in_(team_ids)))
        if team.id is not None
    }
    items = []
    for row, values in zip(rows, values_by_row, strict=True):
        typed = partial(
            _typed,
            row.record_kind,
            types=_column_types(row.record_kind),
            currency=None if row.record_kind == "contact" else record.currency,
            names=names,
            contacts=contacts,
            teams=teams,
        )
        subject = None
        if row.record_kind == "contact" and kind != "contact":
            subject = contacts.get(int(row.record_id), f"#{row.record_id}")
        if row.changed_by_id:
            author, by_contact = names.get(row.changed_by_id, ""), False
        elif row.changed_by_contact_id:
            author, by_contact = contacts.get(row.changed_by_contact_id, ""), True
        else:
            author, by_contact = "", False
        changed = row.field if row.action == "update" else None
        items.append(
            HistoryItem(
                at=row.changed_at,
                action=row.action,
                kind=row.record_kind,
                subject=subject,
                field=row.field,
                old=typed(changed, row.old_value) if changed else None,
                new=typed(changed, row.new_value) if changed else None,
                values=[(field, typed(field, text)) for field, text in values[:SNAPSHOT_FIELDS]],
                author_name=author,
                by_contact=by_contact,
            )
        )
    return HistoryPage(kind, record_id, record.title, items, page, has_more)


SNAPSHOT_LEFT_OUT = frozenset({"customer_id", "deal_id", "order_id", "quote_id", "telegram_id"})


def _values(row: ChangeEntry) -> list[tuple[str, str | None]]:
    """A created or deleted record's values, as kept (the ids of its own parents left out)."""
    if row.action == "update":
        return []
    text = row.new_value if row.action == "create" else row.old_value
    try:
        values = json.loads(text or "{}")
    except ValueError:
        return []
    if not isinstance(values, dict):
        return []
    return [
        (str(field), None if value is None else str(value))
        for field, value in values.items()
        if field not in SNAPSHOT_LEFT_OUT
    ]
