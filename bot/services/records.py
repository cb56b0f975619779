"""Editing a customer's and its contacts' facts, field by field, and adding contacts. Whoever may
see the customer card may change them; every change is kept (who, when, old → new) for the
timeline. A linked contact may give their own birthday. Values come in as people type them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from bot.parsing.birthdays import parse_birthday
from bot.parsing.search_forms import name_forms
from bot.parsing.text import one_line
from bot.services import history
from bot.services.errors import NotFound, ServiceError
from bot.services.history import birthday_text
from bot.services.people import Actor, find_timezone
from bot.services.segments import manual_tier_of, set_manual_tier
from bot.services.visibility import refuse_read_only, visible_customer
from models import ChangeEntry, Contact, Customer, Timeframe, User

CUSTOMER_FIELDS = ("name", "phone", "address", "industry", "tier", "timeframe")
CONTACT_FIELDS = ("name", "title", "phone", "birthday", "language", "timezone")
IMPORT_MARKS = ("imported", "merged", "owner")  # lines of /import customers and /reassign
# Fields set by a button rather than typed, and the values the buttons carry.
CHOICES: dict[str, tuple[str, ...]] = {
    "tier": ("A", "B", "C"),
    "timeframe": tuple(frame.value for frame in Timeframe),
    "language": ("en", "zh"),
}
LIMITS = {"name": 200, "phone": 40, "address": 500, "industry": 100, "title": 100}
CLEAR_WORDS = {"-", "—", "none", "no", "clear", "delete", "无", "没有", "删除", "清除"}
PHONE_SHAPE = re.compile(r"^\+?[\d\s().-]{5,40}$")


@dataclass(frozen=True)
class Change:
    """What one edit did, for the confirmation: the record's name, the field, old → new."""

    customer_id: int
    contact_id: int | None
    record_name: str
    field: str
    old: str | None
    new: str | None


class ValueInvalid(ServiceError):
    """What was typed does not fit the field; the person is asked again."""

    template = "records/value_invalid"


def looks_like_phone(text: str) -> bool:
    return bool(PHONE_SHAPE.match(text)) and sum(ch.isdigit() for ch in text) >= 5


def _clean(field: str, text: str | None, *, required: bool, this_year: int) -> str | None:
    """The value to store for ``field`` from what was typed (or the button's value); None
    clears it. Raises ValueInvalid for anything that does not fit."""
    flat = one_line(text or "")
    if not flat or flat.lower() in CLEAR_WORDS:
        if required:
            raise ValueInvalid(field=field)
        return None
    if field in CHOICES:
        if flat not in CHOICES[field]:
            raise ValueInvalid(field=field)
        return flat
    if field == "birthday":
        found = parse_birthday(flat, this_year=this_year)
        if found is None:
            raise ValueInvalid(field=field)
        return birthday_text(found.month, found.day, found.year)
    if field == "timezone":
        zone = find_timezone(flat)
        if zone is None:
            raise ValueInvalid(field=field)
        return zone
    if (
        len(flat) > LIMITS[field]
        or flat.startswith("/")
        or any(not ch.isprintable() for ch in flat)
    ):
        raise ValueInvalid(field=field)
    if field == "phone" and not looks_like_phone(flat):
        raise ValueInvalid(field=field)
    return flat


def set_customer_name(customer: Customer, name: str) -> None:
    """Give ``customer`` its name and the forms search finds it by (pinyin, initials,
    Simplified): every place that writes a customer's name goes through here."""
    forms = name_forms(name)
    customer.name = name
    customer.search_key = forms.key
    customer.name_pinyin = forms.pinyin
    customer.name_initials = forms.initials


def edit_customer(
    session: Session, actor: Actor, customer_id: int, field: str, text: str | None, *, now: datetime
) -> Change:
    """Set one of a visible customer's facts from what the person typed or chose."""
    refuse_read_only(actor)
    if field not in CUSTOMER_FIELDS:
        raise NotFound()
    customer = visible_customer(session, actor, customer_id)
    new = _clean(field, text, required=field == "name", this_year=now.year)
    # The tier edited here is the one set by hand: it wins over the computed one until cleared.
    old = manual_tier_of(customer) if field == "tier" else getattr(customer, field)
    if new != old:
        history.acting(session, actor.user_id)
        if field == "name":
            assert new is not None  # required
            set_customer_name(customer, new)
        elif field == "tier":
            set_manual_tier(customer, new)
        else:
            setattr(customer, field, new)
        customer.updated_at = now
        session.flush()  # the change history records it (bot.services.history)
    return Change(customer_id, None, customer.name, field, old, new)


def _visible_contact(session: Session, actor: Actor, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound()
    visible_customer(session, actor, contact.customer_id)
    return contact


def _contact_value(contact: Contact, field: str) -> str | None:
    if field == "birthday":
        return birthday_text(contact.birth_month, contact.birth_day, contact.birth_year)
    value: str | None = getattr(contact, field)
    return value


def _set_contact_value(contact: Contact, field: str, value: str | None) -> None:
    if field != "birthday":
        setattr(contact, field, value)
        return
    if value is None:
        contact.birth_year = contact.birth_month = contact.birth_day = None
        return
    year, month, day = value.rsplit("-", 2)
    contact.birth_year = int(year) if year.strip("-") else None
    contact.birth_month, contact.birth_day = int(month), int(day)


def _change_contact(
    session: Session,
    contact: Contact,
    field: str,
    text: str | None,
    *,
    user_id: int | None = None,
    by_contact_id: int | None = None,
    now: datetime,
) -> Change:
    if field not in CONTACT_FIELDS:
        raise NotFound()
    assert contact.id is not None
    new = _clean(field, text, required=field == "name", this_year=now.year)
    old = _contact_value(contact, field)
    if new != old:
        history.acting(session, user_id, contact_id=by_contact_id)
        _set_contact_value(contact, field, new)
        contact.updated_at = now
        session.flush()  # the change history records it under the update's author
    return Change(contact.customer_id, contact.id, contact.name, field, old, new)


def edit_contact(
    session: Session, actor: Actor, contact_id: int, field: str, text: str | None, *, now: datetime
) -> Change:
    """Set one of a contact's facts (at a customer the person may see)."""
    refuse_read_only(actor)
    contact = _visible_contact(session, actor, contact_id)
    return _change_contact(session, contact, field, text, user_id=actor.user_id, now=now)


def set_own_birthday(session: Session, contact_id: int, text: str, *, now: datetime) -> Change:
    """A linked contact gives their own birthday (``/birthday``)."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.telegram_chat_id is None:
        raise NotFound()
    return _change_contact(session, contact, "birthday", text, by_contact_id=contact_id, now=now)


def ask_birthday_once(session: Session, contact_id: int, *, now: datetime) -> bool:
    """Whether to invite the contact to give their birthday now: only when it is unknown and
    they were never invited before (the invitation is recorded)."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.birth_month is not None or contact.birthday_asked_at:
        return False
    contact.birthday_asked_at = now
    session.flush()
    return True


@dataclass(frozen=True)
class ContactDraft:
    """A new contact as the person entered it step by step; only the name is required."""

    name: str
    title: str | None = None
    phone: str | None = None
    birthday: str | None = None


def check_contact_value(field: str, text: str | None, *, now: datetime) -> str | None:
    """What ``text`` would be stored as for a contact's ``field``; ValueInvalid if unfit."""
    if field not in CONTACT_FIELDS:
        raise NotFound()
    return _clean(field, text, required=field == "name", this_year=now.year)


def add_contact(
    session: Session, actor: Actor, customer_id: int, draft: ContactDraft, *, now: datetime
) -> Change:
    """A new contact at a visible customer, every value checked as an edit would be."""
    refuse_read_only(actor)
    customer = visible_customer(session, actor, customer_id)
    values = {
        field: check_contact_value(field, getattr(draft, field), now=now)
        for field in ("name", "title", "phone", "birthday")
    }
    history.acting(session, actor.user_id)
    contact = Contact(customer_id=customer_id, name=values["name"] or "", created_at=now)
    contact.updated_at = now
    for field, value in values.items():
        _set_contact_value(contact, field, value)
    session.add(contact)
    session.flush()
    assert contact.id is not None  # its creation is in the change history
    customer.updated_at = now
    session.flush()
    return Change(customer_id, contact.id, customer.name, "contact_added", None, contact.name)


@dataclass(frozen=True)
class ContactFacts:
    contact_id: int
    customer_id: int
    customer_name: str
    name: str
    title: str | None
    phone: str | None
    birthday: str | None
    language: str | None
    timezone: str | None
    linked: bool


def contact_facts(session: Session, actor: Actor, contact_id: int) -> ContactFacts:
    contact = _visible_contact(session, actor, contact_id)
    customer = session.get(Customer, contact.customer_id)
    assert contact.id is not None and customer is not None
    return ContactFacts(
        contact_id=contact.id,
        customer_id=contact.customer_id,
        customer_name=customer.name,
        name=contact.name,
        title=contact.title,
        phone=contact.phone,
        birthday=_contact_value(contact, "birthday"),
        language=contact.language,
        timezone=contact.timezone,
        linked=contact.telegram_chat_id is not None,
    )


@dataclass(frozen=True)
class ChangeLine:
    at: datetime
    field: str
    old: str | None
    new: str | None
    contact_name: str | None
    author_name: str
    by_customer: bool


def changes_of(session: Session, customer_id: int, limit: int) -> list[ChangeLine]:
    """The newest ``limit`` edits of a customer's and its contacts' facts, and the contacts
    added, from the change history (the caller checked that the person may see the
    customer)."""
    key = str(customer_id)
    rows = session.exec(
        select(ChangeEntry)
        .where(
            or_(
                and_(
                    col(ChangeEntry.record_kind) == "customer",
                    col(ChangeEntry.record_id) == key,
                    col(ChangeEntry.action) == "update",
                    col(ChangeEntry.field).in_(CUSTOMER_FIELDS + IMPORT_MARKS),
                ),
                and_(
                    col(ChangeEntry.parent_kind) == "customer",
                    col(ChangeEntry.parent_id) == key,
                    col(ChangeEntry.record_kind) == "contact",
                    or_(
                        and_(
                            col(ChangeEntry.action) == "update",
                            col(ChangeEntry.field).in_(CONTACT_FIELDS),
                        ),
                        col(ChangeEntry.action) == "create",
                    ),
                ),
            )
        )
        .order_by(col(ChangeEntry.changed_at).desc(), col(ChangeEntry.id).desc())
        .limit(limit)
    ).all()
    users = {
        user.id: user.full_name
        for user in session.exec(
            select(User).where(col(User.id).in_({r.changed_by_id for r in rows if r.changed_by_id}))
        )
    }
    contact_ids = {int(r.record_id) for r in rows if r.record_kind == "contact"} | {
        r.changed_by_contact_id for r in rows if r.changed_by_contact_id
    }
    names = {
        contact.id: contact.name
        for contact in session.exec(select(Contact).where(col(Contact.id).in_(contact_ids)))
    }
    lines = []
    for row in rows:
        contact_id = int(row.record_id) if row.record_kind == "contact" else None
        added = row.action == "create"
        lines.append(
            ChangeLine(
                at=row.changed_at,
                field="contact_added" if added else row.field or "",
                old=None if added else row.old_value,
                new=json.loads(row.new_value or "{}").get("name") if added else row.new_value,
                contact_name=names.get(contact_id) if contact_id else None,
                author_name=users.get(row.changed_by_id, "")
                if row.changed_by_id
                else names.get(row.changed_by_contact_id, ""),
                by_customer=row.changed_by_contact_id is not None,
            )
        )
    return lines
