"""Importing customers and their contacts from a spreadsheet (``/import customers``): the
columns named in English or Chinese, each row checked, repeated rows of the file merged into
one customer, rows matching a customer the importer may already see merged into it field by
field (an empty field is filled, a new contact added; a field that already holds something else
keeps it and is listed as a conflict), then everything written in one transaction with a line
on each customer's timeline.

The case it is built for is a trade show's pile of business cards typed into a sheet: blank
lines, stray spaces, full-width characters, the same company typed twice. Reading the file is
``bot.services.tables``'s; the duplicate check is the customers' own (``find_duplicates``)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from bot.parsing.birthdays import parse_birthday
from bot.parsing.search_forms import search_key
from bot.parsing.text import one_line
from bot.services import tables
from bot.services.customers import DUPLICATE_NAME_SCORE, find_duplicates
from bot.services.errors import NotAllowed, ServiceError
from bot.services.history import birthday_text
from bot.services.people import Actor
from bot.services.records import looks_like_phone, set_customer_name
from bot.services.tables import TableRow
from models import ChangeEntry, Contact, Customer, Role, User
from models.customers import phone_digits

MAX_ROWS = 5_000
HEADER_SEARCH_ROWS = 5  # the header may sit below a title line or two
IMPORT_ROLES = (Role.ADMIN, Role.MANAGER)
OWNER_ROLES = (Role.REP, Role.MANAGER)
PHONE_TAIL = 8  # the duplicate check compares a phone's last eight digits
LIMITS = {
    "name": 200,
    "phone": 40,
    "mobile": 40,
    "industry": 100,
    "address": 500,
    "contact": 200,
    "role": 100,
    "email": 200,
}
TIERS = ("A", "B", "C")

# What a column may be called (compared without case, spaces, underscores and hyphens).
_NAMES: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "customer",
        "customer name",
        "account",
        "名称",
        "客户名称",
        "客户",
        "客户名",
    ),
    # With a company column, "name" is the person's, as on a business card.
    "company": (
        "company",
        "company name",
        "organization",
        "公司",
        "公司名称",
        "单位",
        "单位名称",
        "企业名称",
    ),
    "phone": (
        "phone",
        "tel",
        "telephone",
        "office phone",
        "phone number",
        "电话",
        "电话号码",
        "联系电话",
        "座机",
        "办公电话",
    ),
    # The contact's own phone; the customer's too when the sheet has no other.
    "mobile": ("mobile", "cell", "mobile phone", "cell phone", "手机", "手机号", "手机号码"),
    "contact": ("contact", "contact person", "contact name", "联系人", "姓名", "联系人姓名"),
    "role": ("role", "title", "position", "job title", "职务", "职位", "头衔"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件"),
    "industry": ("industry", "sector", "行业", "所属行业"),
    "address": ("address", "地址", "公司地址", "通讯地址"),
    "birthday": ("birthday", "date of birth", "dob", "birth date", "生日", "出生日期"),
    "tier": ("tier", "class", "grade", "level", "等级", "客户等级", "级别", "客户类别"),
    "owner": (
        "owner",
        "rep",
        "sales rep",
        "salesperson",
        "account owner",
        "负责人",
        "销售",
        "销售员",
        "业务员",
        "客户经理",
    ),
    "notes": ("notes", "note", "remarks", "remark", "comment", "comments", "备注", "说明"),
}


def _header_form(text: str) -> str:
    flat = unicodedata.normalize("NFKC", text).casefold()
    flat = re.sub(r"\(.*?\)|[*:：]", "", flat)  # "Phone (mobile)", "名称*", "电话："
    return re.sub(r"[\s_\-]+", "", flat)


HEADERS = {_header_form(alias): key for key, aliases in _NAMES.items() for alias in aliases}
CUSTOMER_FIELDS = ("phone", "industry", "address", "tier", "notes")
CONTACT_FIELDS = ("title", "phone", "email", "birthday")


@dataclass(frozen=True)
class RowProblem:
    row: int
    reason: str  # a key the template explains: missing_name, unknown_owner, bad_phone, …
    value: str = ""


@dataclass(frozen=True)
class ContactEntry:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    birthday: str | None = None  # as stored on the timeline: 1985-05-12 or --05-12


@dataclass
class CustomerEntry:
    """One customer of the file: its first row, and the rows merged into it."""

    rows: list[int]
    name: str
    owner_id: int
    owner_name: str
    owner_given: bool
    values: dict[str, str | None]  # CUSTOMER_FIELDS
    contacts: list[ContactEntry] = field(default_factory=list)

    @property
    def row(self) -> int:
        return self.rows[0]


@dataclass(frozen=True)
class Conflict:
    """A value of the file that differs from what the customer already holds: it is kept."""

    row: int
    customer_name: str
    field: str  # phone, industry, …, owner; contact fields as title, birthday…
    kept: str
    dropped: str
    contact_name: str | None = None


@dataclass(frozen=True)
class Merge:
    """What the file adds to an existing customer."""

    customer_id: int
    customer_name: str
    rows: list[int]
    fills: list[tuple[str, str]]  # customer field, new value
    new_contacts: list[ContactEntry]
    contact_fills: list[tuple[int, str, str, str]]  # contact id, contact name, field, value


@dataclass(frozen=True)
class CustomerImportPreview:
    to_add: list[CustomerEntry]
    to_merge: list[Merge]
    conflicts: list[Conflict]
    problems: list[RowProblem]
    ignored_columns: list[str]
    repeated_rows: int  # rows of the file merged into an earlier row of the same customer
    unchanged: int  # customers the file matches that it has nothing new for

    @property
    def count(self) -> int:
        return len(self.to_add) + len(self.to_merge)

    def fingerprint(self) -> str:
        """What the person confirms: which rows become customers, which merge into whom with
        what. The import applies only a preview with the fingerprint they saw."""
        shape = (
            [(entry.rows, entry.owner_id, entry.values) for entry in self.to_add],
            [
                (m.customer_id, m.rows, m.fills, m.new_contacts, m.contact_fills)
                for m in self.to_merge
            ],
        )
        return hashlib.sha256(repr(shape).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ImportResult:
    added: int
    merged: int
    skipped: int


class CustomerImportInvalid(ServiceError):
    template = "customer_import/file_invalid"


def may_import(actor: Actor) -> bool:
    return actor.role in IMPORT_ROLES


def read_customer_table(filename: str, content: bytes) -> list[TableRow]:
    """The rows of a customer list (the first the header); CustomerImportInvalid otherwise."""
    try:
        rows = tables.read_table(filename, content, max_rows=MAX_ROWS)
    except tables.TableInvalid as error:
        raise CustomerImportInvalid(**error.details) from error
    if len(rows) < 2:
        raise CustomerImportInvalid(reason="empty")
    return rows


def _clean(text: str | None) -> str:
    """A cell as typed on a card: full-width characters made plain, spaces collapsed."""
    return one_line(unicodedata.normalize("NFKC", text or ""))


def _same(a: str | None, b: str | None) -> bool:
    return _clean(a).casefold() == _clean(b).casefold()


def _same_value(key: str, a: str | None, b: str | None) -> bool:
    """Whether two values of field ``key`` say the same (phones: the same number, however
    written: ``+86 21 5555 0101`` is ``021-5555-0101``)."""
    if key == "phone" and a and b:
        tail_a, tail_b = _phone_tail(a), _phone_tail(b)
        if tail_a and tail_a == tail_b:
            return True
    return _same(a, b)


@dataclass(frozen=True)
class _Owner:
    user_id: int
    name: str


class _Owners:
    """Whom the importer may make an owner: active reps and managers (a manager's own team)."""

    def __init__(self, session: Session, actor: Actor) -> None:
        query = select(User).where(
            col(User.is_active).is_(True), col(User.role).in_([r.value for r in OWNER_ROLES])
        )
        if actor.role == Role.MANAGER:
            if actor.team_id is None:
                query = query.where(User.id == actor.user_id)
            else:
                query = query.where(User.team_id == actor.team_id)
        self.by_name: dict[str, list[_Owner]] = {}
        for user in session.exec(query.order_by(col(User.id))):
            assert user.id is not None
            owner = _Owner(user.id, user.full_name)
            keys = {_clean(user.full_name).casefold()}
            if user.username:
                keys |= {user.username.casefold(), "@" + user.username.casefold()}
            for key in keys:
                self.by_name.setdefault(key, []).append(owner)
        self.default = _Owner(actor.user_id, actor.full_name)
        self.manager = actor.role == Role.MANAGER

    def find(self, text: str) -> _Owner | RowProblem:
        found = self.by_name.get(text.casefold(), [])
        if len(found) == 1:
            return found[0]
        if found:
            return RowProblem(0, "ambiguous_owner", text)
        return RowProblem(0, "owner_not_in_team" if self.manager else "unknown_owner", text)


def _parse_row(
    row: TableRow, header: list[str | None], owners: _Owners, *, this_year: int
) -> CustomerEntry | RowProblem:
    cells: dict[str, str] = {}
    for key, value in zip(header, row.cells, strict=False):
        if key and key not in cells:
            cells[key] = _clean(value)

    def problem(reason: str, value: str = "") -> RowProblem:
        return RowProblem(row.number, reason, value)

    name = cells.get("name", "")
    if not name:
        return problem("missing_name")
    for key, limit in LIMITS.items():
        if len(cells.get(key, "")) > limit:
            return problem("too_long", key)
    if name.startswith("/"):
        return problem("bad_name", name)
    for key in ("phone", "mobile"):
        if cells.get(key) and not looks_like_phone(cells[key]):
            return problem("bad_phone", cells[key])
    # The company's phone; a new customer without one takes its first contact's (_phones).
    phone = cells.get("phone") or None
    contact_phone = cells.get("mobile") or phone
    birthday = None
    if cells.get("birthday"):
        found = parse_birthday(cells["birthday"], this_year=this_year)
        if found is None:
            return problem("bad_birthday", cells["birthday"])
        birthday = birthday_text(found.month, found.day, found.year)
    tier = cells.get("tier", "").upper().rstrip("类级 ") or None
    if tier and tier not in TIERS:
        return problem("bad_tier", cells["tier"])
    email = cells.get("email") or None
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        return problem("bad_email", email)
    contact_name = cells.get("contact", "")
    title = cells.get("role") or None
    if not contact_name and (birthday or title or email):
        return problem("no_contact_name")
    owner: _Owner = owners.default
    if cells.get("owner"):
        found_owner = owners.find(cells["owner"])
        if isinstance(found_owner, RowProblem):
            return replace(found_owner, row=row.number)
        owner = found_owner
    contacts = (
        [ContactEntry(contact_name, title, contact_phone, email, birthday)] if contact_name else []
    )
    return CustomerEntry(
        rows=[row.number],
        name=name,
        owner_id=owner.user_id,
        owner_name=owner.name,
        owner_given=bool(cells.get("owner")),
        values={
            "phone": phone,
            "industry": cells.get("industry") or None,
            "address": cells.get("address") or None,
            "tier": tier,
            "notes": cells.get("notes") or None,
        },
        contacts=contacts,
    )


def _phone_tail(phone: str | None) -> str | None:
    digits = phone_digits(phone) or ""
    return digits[-PHONE_TAIL:] if len(digits) >= 6 else None


def _phones(entry: CustomerEntry) -> list[str]:
    """The customer's phone and its contacts' phones, as the file gives them."""
    phones = [entry.values["phone"], *[contact.phone for contact in entry.contacts]]
    return [phone for phone in phones if phone]


def _merge_entry(into: CustomerEntry, other: CustomerEntry, conflicts: list[Conflict]) -> None:
    """Fold a later row of the same customer into the first: its empty fields filled, new
    contacts added, a different value listed as a conflict (the first row's is kept)."""
    into.rows += other.rows
    for key, value in other.values.items():
        current = into.values.get(key)
        if value is None or _same_value(key, current, value):
            continue
        if current is None:
            into.values[key] = value
        else:
            conflicts.append(Conflict(other.row, into.name, key, current, value))
    if other.owner_given and into.owner_given and other.owner_id != into.owner_id:
        conflicts.append(Conflict(other.row, into.name, "owner", into.owner_name, other.owner_name))
    elif other.owner_given and not into.owner_given:
        into.owner_id, into.owner_name, into.owner_given = (
            other.owner_id,
            other.owner_name,
            True,
        )
    for contact in other.contacts:
        same = [c for c in into.contacts if _same(c.name, contact.name)]
        if not same:
            into.contacts.append(contact)
            continue
        merged = same[0]
        for key in CONTACT_FIELDS:
            value, current = getattr(contact, key), getattr(merged, key)
            if value is None or _same_value(key, current, value):
                continue
            if current is None:
                merged = replace(merged, **{key: value})
            else:
                conflicts.append(
                    Conflict(other.row, into.name, key, current, value, contact_name=merged.name)
                )
        into.contacts[into.contacts.index(same[0])] = merged


def _group_repeated(entries: list[CustomerEntry], conflicts: list[Conflict]) -> list[CustomerEntry]:
    """The file's customers, a customer typed on several rows (same phone, or a near-identical
    name) merged into its first row."""
    kept: list[CustomerEntry] = []
    by_phone: dict[str, int] = {}
    by_key: dict[str, int] = {}
    keys: list[str] = []
    for entry in entries:
        key = search_key(entry.name)
        tails = [_phone_tail(phone) for phone in _phones(entry)]
        index = next((by_phone[tail] for tail in tails if tail and tail in by_phone), None)
        if index is None:
            index = by_key.get(key)
        if index is None and key and keys:
            best = process.extractOne(
                key, keys, scorer=fuzz.ratio, processor=None, score_cutoff=DUPLICATE_NAME_SCORE
            )
            index = best[2] if best else None
        if index is None:
            index = len(kept)
            kept.append(entry)
            keys.append(key)
        else:
            _merge_entry(kept[index], entry, conflicts)
        by_key.setdefault(key, index)
        for tail in tails:
            if tail:
                by_phone.setdefault(tail, index)
    return kept


def _merge_into_existing(
    session: Session, entry: CustomerEntry, customer: Customer, conflicts: list[Conflict]
) -> Merge:
    assert customer.id is not None
    fills: list[tuple[str, str]] = []
    for key in CUSTOMER_FIELDS:
        value, current = entry.values[key], getattr(customer, key)
        if value is None or _same_value(key, current, value):
            continue
        if current is None or not str(current).strip():
            fills.append((key, value))
        else:
            conflicts.append(Conflict(entry.row, customer.name, key, str(current), value))
    if entry.owner_given and entry.owner_id != customer.owner_id:
        owner = session.get(User, customer.owner_id)
        conflicts.append(
            Conflict(
                entry.row,
                customer.name,
                "owner",
                owner.full_name if owner else "",
                entry.owner_name,
            )
        )
    existing = session.exec(
        select(Contact).where(Contact.customer_id == customer.id).order_by(col(Contact.id))
    ).all()
    new_contacts: list[ContactEntry] = []
    contact_fills: list[tuple[int, str, str, str]] = []
    for contact in entry.contacts:
        same = [c for c in existing if _same(c.name, contact.name)]
        if not same:
            new_contacts.append(contact)
            continue
        person = same[0]
        assert person.id is not None
        for key in CONTACT_FIELDS:
            value = getattr(contact, key)
            current = (
                birthday_text(person.birth_month, person.birth_day, person.birth_year)
                if key == "birthday"
                else getattr(person, key)
            )
            if value is None or _same_value(key, current, value):
                continue
            if current is None:
                contact_fills.append((person.id, person.name, key, value))
            else:
                conflicts.append(
                    Conflict(entry.row, customer.name, key, current, value, person.name)
                )
    return Merge(customer.id, customer.name, entry.rows, fills, new_contacts, contact_fills)


def _columns(cells: list[str]) -> tuple[list[str | None], list[str]]:
    """The field of each header cell (None: ignored), and the ignored headers' texts."""
    keys = [HEADERS.get(_header_form(cell)) for cell in cells]
    if "company" in keys:  # a business card's columns: Name is the person's
        person = "contact" if "contact" not in keys else None
        keys = ["name" if key == "company" else person if key == "name" else key for key in keys]
    header: list[str | None] = []
    ignored: list[str] = []
    for cell, key in zip(cells, keys, strict=True):
        chosen = None if key in header else key
        header.append(chosen)
        if chosen is None and cell.strip():
            ignored.append(_clean(cell))
    return header, ignored


def preview_customer_import(
    session: Session, actor: Actor, rows: list[TableRow], *, now: datetime
) -> CustomerImportPreview:
    """What importing ``rows`` would do; nothing is written (admins, and managers for their
    team: a manager's customers are owned by their team and matched among their team's)."""
    if not may_import(actor):
        raise NotAllowed()
    # The header is the first row naming the customer's column: a sheet often has a title
    # line or two above it ("2026 Canton Fair, hall 3").
    at = next(
        (
            index
            for index, row in enumerate(rows[:HEADER_SEARCH_ROWS])
            if {"name", "company"} & {HEADERS.get(_header_form(cell)) for cell in row.cells}
        ),
        None,
    )
    if at is None:
        raise CustomerImportInvalid(reason="columns")
    header, ignored = _columns(rows[at].cells)
    owners = _Owners(session, actor)
    problems: list[RowProblem] = []
    entries: list[CustomerEntry] = []
    for row in rows[at + 1 :]:
        result = _parse_row(row, header, owners, this_year=now.year)
        if isinstance(result, RowProblem):
            problems.append(result)
        else:
            entries.append(result)
    conflicts: list[Conflict] = []
    customers = _group_repeated(entries, conflicts)
    repeated = len(entries) - len(customers)
    to_add: list[CustomerEntry] = []
    merges: dict[int, CustomerEntry] = {}
    for entry in customers:
        phones = _phones(entry)
        matches = find_duplicates(session, actor, entry.name, phones[0] if phones else None)
        if not matches:
            to_add.append(entry)
        elif matches[0].customer_id in merges:
            _merge_entry(merges[matches[0].customer_id], entry, conflicts)
        else:
            merges[matches[0].customer_id] = entry
    to_merge = []
    unchanged = 0
    for customer_id, entry in merges.items():
        customer = session.get(Customer, customer_id)
        assert customer is not None
        merge = _merge_into_existing(session, entry, customer, conflicts)
        if merge.fills or merge.new_contacts or merge.contact_fills:
            to_merge.append(merge)
        else:
            unchanged += 1
    conflicts.sort(key=lambda conflict: conflict.row)
    return CustomerImportPreview(
        to_add, to_merge, conflicts, problems, ignored, repeated, unchanged
    )


def _record(
    session: Session, actor: Actor, customer_id: int, mark: str, source: str, *, now: datetime
) -> None:
    """The customer's timeline line that it was imported from, or merged with, a file (the
    fields and contacts themselves are in the change history the session hook writes)."""
    session.add(
        ChangeEntry(
            record_kind="customer",
            record_id=str(customer_id),
            action="update",
            field=mark,
            new_value=source,
            changed_by_id=actor.user_id,
            changed_at=now,
        )
    )


def _new_contact(customer_id: int, entry: ContactEntry, now: datetime) -> Contact:
    contact = Contact(
        customer_id=customer_id,
        name=entry.name,
        title=entry.title,
        phone=entry.phone,
        email=entry.email,
        created_at=now,
        updated_at=now,
    )
    _set_birthday(contact, entry.birthday)
    return contact


def _set_birthday(contact: Contact, value: str | None) -> None:
    if value is None:
        return
    year, month, day = value.rsplit("-", 2)
    contact.birth_year = int(year) if year.strip("-") else None
    contact.birth_month, contact.birth_day = int(month), int(day)


def apply_customer_import(
    session: Session,
    actor: Actor,
    preview: CustomerImportPreview,
    *,
    source: str,
    now: datetime,
) -> ImportResult:
    """Write the preview's customers and merges in the caller's one transaction; each
    customer's timeline says it was imported (or merged) from ``source`` by the importer."""
    if not may_import(actor):
        raise NotAllowed()
    for entry in preview.to_add:
        values = entry.values
        customer = Customer(
            name=entry.name,
            owner_id=entry.owner_id,
            phone=next(iter(_phones(entry)), None),
            industry=values["industry"],
            address=values["address"],
            tier=values["tier"],
            notes=values["notes"],
            created_at=now,
            updated_at=now,
        )
        set_customer_name(customer, entry.name)
        session.add(customer)
        session.flush()
        assert customer.id is not None
        for contact in entry.contacts:
            session.add(_new_contact(customer.id, contact, now))
        _record(session, actor, customer.id, "imported", source, now=now)
    for merge in preview.to_merge:
        existing = session.get(Customer, merge.customer_id)
        assert existing is not None
        for key, value in merge.fills:
            setattr(existing, key, value)  # the change history records each field
        for contact in merge.new_contacts:
            person = _new_contact(merge.customer_id, contact, now)
            session.add(person)
        for contact_id, _, key, value in merge.contact_fills:
            known = session.get(Contact, contact_id)
            assert known is not None
            if key == "birthday":
                _set_birthday(known, value)
            else:
                setattr(known, key, value)
            known.updated_at = now
        existing.updated_at = now
        _record(session, actor, merge.customer_id, "merged", source, now=now)
    session.flush()
    return ImportResult(len(preview.to_add), len(preview.to_merge), len(preview.problems))
