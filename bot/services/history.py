"""The history of every change, written by one session hook: whenever a session flushes, each
created, changed or deleted record of a tracked kind (customers, contacts, deals, quotes,
orders, instalments, payments, people, pipeline stages, settings) leaves ``change_history``
rows in the same transaction — one per changed field (old → new), one with all the values for a
creation or a deletion. Services need not do anything for it.

Who did it is the session's author (``acting``), else the author of the update being handled
(``act_as``, set once per update by the access gate), else the system (scheduler, start-up).
The time is the clock of the ``Database`` that opened the session (the injected clock).

Bulk ``UPDATE`` statements bypass the hook: their callers record with ``record_update``.
Reading the history for a card is ``bot.services.history_pages``; nothing here reads it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Mapper, Session, UOWTransaction

from models import ChangeEntry, utcnow

AUTHOR_KEY = "history_author"
CLOCK_KEY = "history_clock"

# Columns whose changes are bookkeeping, derived or too frequent to be anyone's news.
NOISE = frozenset(
    {
        "created_at",
        "updated_at",
        "search_key",
        "name_pinyin",
        "name_initials",
        "phone_digits",
        "search_chars",
        "last_activity_at",
        "stage_changed_at",
        "closed_at",
        "menu_digest",
        "unreachable_at",
        "birthday_asked_at",
        "logged_at",
        "decided_at",
        "manager_approved_at",
        "issued_at",
        "sent_at",
        "answered_at",
        # What the nightly segments run computes (``bot.services.segments``); a tier set by
        # hand (``manual_tier``) and the tier that applies (``tier``) are recorded.
        "computed_tier",
        "rfm",
        "lifecycle",
        "last_order_at",
        "segmented_at",
        "winback_at",
    }
)


@dataclass(frozen=True)
class Author:
    """Who made a change: a person of the company, a customer's contact, or (neither) the
    system."""

    user_id: int | None = None
    contact_id: int | None = None


SYSTEM = Author()
_current_author: ContextVar[Author] = ContextVar("history_author", default=SYSTEM)


def acting(session: Session, user_id: int | None = None, *, contact_id: int | None = None) -> None:
    """Record this session's changes under ``user_id`` (or a contact); overrides ``act_as``."""
    session.info[AUTHOR_KEY] = Author(user_id, contact_id)


def act_as(user_id: int | None = None, *, contact_id: int | None = None) -> None:
    """Record the changes of the update being handled (this task) under this person; both
    None: the system."""
    _current_author.set(Author(user_id, contact_id))


def use_clock(session: Session, clock: Callable[[], datetime]) -> None:
    """Stamp this session's changes with ``clock`` (the application's, injected in tests)."""
    session.info[CLOCK_KEY] = clock


def birthday_text(month: int | None, day: int | None, year: int | None) -> str | None:
    """A birthday as history and the timeline keep it: ``1985-05-12``, or ``--05-12``."""
    if month is None or day is None:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


@dataclass(frozen=True)
class Composite:
    """Several columns shown as one field (a contact's birthday from month, day and year)."""

    parts: tuple[str, ...]
    text: Callable[..., str | None]


@dataclass(frozen=True)
class Tracked:
    """How the rows of one table are recorded: under which kind, belonging to which record
    (``parent``: kind and the column holding its id), which columns are left out."""

    kind: str
    parent: tuple[str, str] | None = None
    skip: frozenset[str] = frozenset()
    composites: Mapping[str, Composite] = field(default_factory=dict)


TRACKED: dict[str, Tracked] = {}
_plans: dict[type, _Plan | None] = {}  # per model class, worked out at its first flush


def track(
    table: str,
    kind: str,
    *,
    parent: tuple[str, str] | None = None,
    skip: Iterable[str] = (),
    composites: Mapping[str, Composite] | None = None,
) -> None:
    """Record every change to the rows of ``table`` (by table name, so a model added later
    only needs this one call — or a table name listed below)."""
    TRACKED[table] = Tracked(kind, parent, frozenset(skip), composites or {})
    _plans.clear()


track("customer", "customer")
track(
    "contact",
    "contact",
    parent=("customer", "customer_id"),
    skip=("telegram_chat_id",),
    composites={"birthday": Composite(("birth_month", "birth_day", "birth_year"), birthday_text)},
)
track("deal", "deal")
track("quote", "quote")
track("sales_order", "order")
track("instalment", "instalment", parent=("order", "order_id"))
track("payment", "payment", parent=("order", "order_id"))
track("user", "user")
track("pipeline_stage", "stage")
# Settings rows, whatever their model is called (issue 14's admin settings).
for _name in ("setting", "settings", "app_setting", "company_setting", "role_setting"):
    track(_name, "setting")
track("message_template", "template")


@dataclass(frozen=True)
class _Plan:
    """A tracked model's columns, worked out once per class."""

    tracked: Tracked
    columns: tuple[str, ...]  # attribute keys, in the model's order, composites' parts left out
    composites: Mapping[str, Composite]
    parts: frozenset[str]


def _plan_of(cls: type) -> _Plan | None:
    if cls in _plans:
        return _plans[cls]
    mapper: Mapper[Any] = inspect(cls)
    table = getattr(mapper.local_table, "name", None)
    tracked = TRACKED.get(table or "")
    plan = None
    if tracked is not None:
        keys = {column.key for column in mapper.primary_key}
        parts = frozenset(part for c in tracked.composites.values() for part in c.parts)
        columns = tuple(
            attr.key
            for attr in mapper.column_attrs
            if attr.key not in NOISE
            and attr.key not in tracked.skip
            and attr.key not in parts
            and not (attr.key in keys and attr.key == "id")
        )
        plan = _Plan(tracked, columns, tracked.composites, parts)
    _plans[cls] = plan
    return plan


def encode(value: Any) -> str | None:
    """A value as history keeps it: text that reads back to the same thing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _key_of(obj: Any) -> str:
    mapper: Mapper[Any] = inspect(obj).mapper
    return ":".join(str(part) for part in mapper.primary_key_from_instance(obj))


def _parent(plan: _Plan, values: Mapping[str, Any]) -> tuple[str | None, str | None]:
    if plan.tracked.parent is None:
        return None, None
    kind, column = plan.tracked.parent
    return kind, encode(values.get(column))


def _snapshot(plan: _Plan, values: Mapping[str, Any]) -> str:
    """A created or deleted record's values (the set ones), as JSON."""
    shown: dict[str, str | None] = {}
    for key in plan.columns:
        value = encode(values.get(key))
        if value is not None:
            shown[key] = value
    for name, composite in plan.composites.items():
        value = composite.text(*(values.get(part) for part in composite.parts))
        if value is not None:
            shown[name] = value
    return json.dumps(shown, ensure_ascii=False)


def _old_and_new(state: Any, key: str) -> tuple[Any, Any, bool]:
    history = state.attrs[key].history
    if not history.has_changes():
        current = state.dict.get(key)
        return current, current, False
    old = history.deleted[0] if history.deleted else None
    new = history.added[0] if history.added else None
    return old, new, old != new


def _field_changes(plan: _Plan, state: Any) -> list[tuple[str, str | None, str | None]]:
    # Only the attributes set since the last flush can have changed (the state keeps their
    # loaded values aside): a visit that touches only ``updated_at`` costs one set lookup.
    touched = state.committed_state.keys()
    changes = []
    for key in plan.columns:
        if key not in touched:
            continue
        old, new, changed = _old_and_new(state, key)
        if changed and encode(old) != encode(new):
            changes.append((key, encode(old), encode(new)))
    for name, composite in plan.composites.items():
        if touched.isdisjoint(composite.parts):
            continue
        pairs = [_old_and_new(state, part) for part in composite.parts]
        if any(changed for _, _, changed in pairs):
            old_text = composite.text(*(old for old, _, _ in pairs))
            new_text = composite.text(*(new for _, new, _ in pairs))
            if old_text != new_text:
                changes.append((name, old_text, new_text))
    return changes


def _author_and_time(session: Session) -> tuple[Author, datetime]:
    author = session.info.get(AUTHOR_KEY) or _current_author.get()
    clock = session.info.get(CLOCK_KEY) or utcnow
    return author, clock()


def _entries(session: Session) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    stamp: tuple[Author, datetime] | None = None

    def add(plan: _Plan, obj: Any, values: Mapping[str, Any], **what: Any) -> None:
        nonlocal stamp
        if stamp is None:
            stamp = _author_and_time(session)
        parent_kind, parent_id = _parent(plan, values)
        rows.append(
            {
                "record_kind": plan.tracked.kind,
                "record_id": _key_of(obj),
                "parent_kind": parent_kind,
                "parent_id": parent_id,
                "field": None,
                "old_value": None,
                "new_value": None,
                "changed_by_id": stamp[0].user_id,
                "changed_by_contact_id": stamp[0].contact_id,
                "changed_at": stamp[1],
                **what,
            }
        )

    for obj in session.new:
        plan = _plan_of(type(obj))
        if plan is not None:
            values = inspect(obj).dict
            add(plan, obj, values, action="create", new_value=_snapshot(plan, values))
    for obj in session.dirty:
        plan = _plan_of(type(obj))
        if plan is None:
            continue
        state = inspect(obj)
        for key, old, new in _field_changes(plan, state):
            add(plan, obj, state.dict, action="update", field=key, old_value=old, new_value=new)
    for obj in session.deleted:
        plan = _plan_of(type(obj))
        if plan is not None:
            values = inspect(obj).dict
            add(plan, obj, values, action="delete", old_value=_snapshot(plan, values))
    return rows


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, _context: UOWTransaction) -> None:
    """After the flush's statements, before it completes: new rows have their ids, and every
    instance still shows what changed. The rows go in through the flush's own connection."""
    if not (session.new or session.dirty or session.deleted):
        return
    rows = _entries(session)
    if rows:
        session.connection().execute(insert(ChangeEntry), rows)


def record_update(
    session: Session, obj: Any, before: Mapping[str, Any], *, now: datetime | None = None
) -> None:
    """Record what a bulk ``UPDATE`` changed on ``obj`` (refreshed after it): ``before`` holds
    the columns' values read before the statement."""
    plan = _plan_of(type(obj))
    if plan is None:
        return
    author, stamped = _author_and_time(session)
    values = inspect(obj).dict
    parent_kind, parent_id = _parent(plan, values)
    rows = [
        {
            "record_kind": plan.tracked.kind,
            "record_id": _key_of(obj),
            "parent_kind": parent_kind,
            "parent_id": parent_id,
            "action": "update",
            "field": key,
            "old_value": encode(old),
            "new_value": encode(values.get(key)),
            "changed_by_id": author.user_id,
            "changed_by_contact_id": author.contact_id,
            "changed_at": now or stamped,
        }
        for key, old in before.items()
        if key in plan.columns and encode(old) != encode(values.get(key))
    ]
    if rows:
        session.connection().execute(insert(ChangeEntry), rows)


def columns_of(obj: Any) -> dict[str, Any]:
    """The recorded columns' current values of ``obj``, to pass to ``record_update`` later."""
    plan = _plan_of(type(obj))
    if plan is None:
        return {}
    values = inspect(obj).dict
    return {key: values.get(key) for key in plan.columns}
