"""Customer search and the duplicate check in the database (migration 0014's trigram index):
what is found (typos, partial words, Chinese, pinyin, initials, phone digits, mixed input) and
that no query brings every visible customer into Python."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import Database
from bot.services.customers import (
    CANDIDATE_LIMIT,
    create_customer,
    find_duplicates,
    recent_customers,
    search_customers,
)
from bot.services.people import Actor
from bot.services.records import edit_customer, set_customer_name
from models import Customer, Role, Touch, User

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
NAMES = {
    "上海通用汽车": "+86 21 6666 0101",
    "上海宏达机电有限公司": "+86 21 5555 0102",
    "重庆长安汽车": None,
    "Acme Machinery": "+86 21 5555 0101",
    "Pacific Steel Works": None,
}


def _actor(session: Session, telegram_id: int, role: Role) -> Actor:
    user = User(telegram_id=telegram_id, full_name=f"P{telegram_id}", timezone="UTC", role=role)
    session.add(user)
    session.flush()
    return Actor.of(user)


@pytest.fixture
def people(db: Database) -> tuple[Actor, Actor, Actor]:
    """A director, a rep who owns NAMES, and another rep who owns a near twin of one."""
    with db.session() as session:
        director = _actor(session, 1, Role.DIRECTOR)
        rep = _actor(session, 2, Role.REP)
        other = _actor(session, 3, Role.REP)
        for name, phone in NAMES.items():
            create_customer(session, rep, name=name, phone=phone, allow_duplicate=True, now=NOW)
        create_customer(session, other, name="上海通用机械", allow_duplicate=True, now=NOW)
    return director, rep, other


def names(db: Database, actor: Actor, query: str) -> list[str]:
    with db.session() as session:
        return [line.name for line in search_customers(session, actor, query)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("acne machinary", "Acme Machinery"),  # two typos
        ("pacfic steel", "Pacific Steel Works"),  # a missing letter
        ("mach", "Acme Machinery"),  # part of a word
        ("steel wor", "Pacific Steel Works"),
        ("長安", "重庆长安汽车"),  # Traditional finds Simplified
        ("宏达", "上海宏达机电有限公司"),  # two characters from the middle
        ("汽", "上海通用汽车"),  # one character
        ("tongyong", "上海通用汽车"),  # pinyin
        ("shanghaitongyng", "上海通用汽车"),  # pinyin with a typo
        ("cqca", "重庆长安汽车"),  # initials
        ("上海ty", "上海通用汽车"),  # mixed
        ("66660101", "上海通用汽车"),  # phone digits
        ("5555 0102", "上海宏达机电有限公司"),
    ],
)
def test_search_finds_what_people_type(
    db: Database, people: tuple[Actor, Actor, Actor], query: str, first: str
) -> None:
    _, rep, _ = people
    assert names(db, rep, query)[0] == first


def test_a_rep_finds_only_their_own_and_a_director_everyones(
    db: Database, people: tuple[Actor, Actor, Actor]
) -> None:
    director, rep, other = people
    assert "上海通用机械" not in names(db, rep, "上海通用")
    assert sorted(names(db, director, "上海通用")[:2]) == ["上海通用机械", "上海通用汽车"]
    assert names(db, other, "acme") == []
    assert names(db, rep, "zebra crossing") == []


def test_the_index_follows_renames_new_phones_and_deletes(
    db: Database, people: tuple[Actor, Actor, Actor]
) -> None:
    _, rep, _ = people
    with db.session() as session:
        acme = session.exec(select(Customer).where(col(Customer.name) == "Acme Machinery")).one()
        assert acme.id is not None
        assert acme.phone_digits == "862155550101" and acme.search_chars is not None
        edit_customer(session, rep, acme.id, "name", "Golden Harvest Foods", now=NOW)
        edit_customer(session, rep, acme.id, "phone", "+86 139 1234 5678", now=NOW)
    assert names(db, rep, "harvest") == ["Golden Harvest Foods"]
    assert names(db, rep, "acme mach") == []
    assert names(db, rep, "12345678") == ["Golden Harvest Foods"]
    assert names(db, rep, "55550101") == []
    with db.session() as session:
        create_customer(session, rep, name="Riverside Construction", now=NOW)
    assert names(db, rep, "riverside") == ["Riverside Construction"]
    with db.session() as session:
        session.execute(sa.delete(Customer).where(col(Customer.name) == "Riverside Construction"))
    assert names(db, rep, "riverside") == []


def test_duplicates_by_phone_ending_and_near_identical_name(
    db: Database, people: tuple[Actor, Actor, Actor]
) -> None:
    director, rep, other = people
    with db.session() as session:
        by_phone = find_duplicates(session, rep, "Hongda Electric", "021 5555 0102")
        by_name = find_duplicates(session, rep, "上海通用汽車", None)  # Traditional
        by_typo = find_duplicates(session, rep, "Acme Machinary", None)
        not_theirs = find_duplicates(session, other, "Acme Machinery", "+86 21 5555 0101")
        for_director = find_duplicates(session, director, "上海通用机械", None)
    assert [line.name for line in by_phone] == ["上海宏达机电有限公司"]
    assert [line.name for line in by_name] == ["上海通用汽车"]
    assert [line.name for line in by_typo] == ["Acme Machinery"]
    assert not_theirs == []
    assert [line.name for line in for_director] == ["上海通用机械"]


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


BOUNDED = re.compile(r"\bLIMIT\b|\bcustomer\.id IN \(", re.IGNORECASE)


def test_no_query_brings_every_visible_customer_into_python(
    db: Database, people: tuple[Actor, Actor, Actor]
) -> None:
    director, rep, _ = people
    many = CANDIDATE_LIMIT * 3
    with db.session() as session:
        rows = []
        for number in range(many):
            customer = Customer(name="", owner_id=rep.user_id, created_at=NOW, updated_at=NOW)
            set_customer_name(customer, f"Acme Branch {number}")
            rows.append(customer)
        session.add_all(rows)
    for actor in (director, rep):
        for query in ("acme", "acme branch 7", "acne brnch", "ac", "上海", "5555", "zzzz"):
            with db.session() as session, statements(db) as seen:
                search_customers(session, actor, query)
                find_duplicates(session, actor, query, "+86 21 5555 0101")
            reading_customers = [
                statement
                for statement in seen
                if re.search(r"\bFROM customer\b", statement) and statement.startswith("SELECT")
            ]
            assert reading_customers, query
            unbounded = [s for s in reading_customers if not BOUNDED.search(s)]
            assert unbounded == [], query
    # And what comes back is the best few, the exact name first.
    assert names(db, rep, "acme branch 7")[0] == "Acme Branch 7"
    assert len(names(db, director, "acme")) == 8


def test_candidates_fetched_stay_under_the_limit(
    db: Database, people: tuple[Actor, Actor, Actor]
) -> None:
    """Counting the rows each statement returns to Python."""
    _, rep, _ = people
    with db.session() as session:
        session.execute(
            sa.insert(Customer),
            [
                {
                    "name": f"Acme {number}",
                    "search_key": f"acme {number}",
                    "name_pinyin": f"acme{number}",
                    "name_initials": f"acme{number}",
                    "owner_id": rep.user_id,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for number in range(CANDIDATE_LIMIT * 5)
            ],
        )
    returned: list[int] = []
    original = sa.engine.Result.all

    def counting_all(self: Any) -> Any:
        rows = original(self)
        returned.append(len(rows))
        return rows

    sa.engine.Result.all = counting_all  # type: ignore[method-assign]
    try:
        with db.session() as session:
            found = search_customers(session, rep, "acme")
    finally:
        sa.engine.Result.all = original  # type: ignore[method-assign]
    assert len(found) == 8
    assert returned and max(returned) <= CANDIDATE_LIMIT


def _reading_customers(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and re.search(r"\bcustomer\b", s)]


def test_recent_customers_are_found_through_indexes_with_a_limit(
    db: Database, people: tuple[Actor, Actor, Actor]
) -> None:
    """The /visit list: the customers the person touched last, then those changed last, each
    from a query with a LIMIT (not every visible customer sorted in Python)."""
    director, rep, _ = people
    later = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with db.session() as session:
        for number in range(CANDIDATE_LIMIT):
            session.add(
                Customer(
                    name=f"Filler {number}", owner_id=rep.user_id, created_at=NOW, updated_at=NOW
                )
            )
        hongda = session.exec(
            select(Customer).where(col(Customer.name) == "上海宏达机电有限公司")
        ).one()
        acme = session.exec(select(Customer).where(col(Customer.name) == "Acme Machinery")).one()
        assert hongda.id is not None and acme.id is not None
        acme.updated_at = later  # changed last, not touched
        session.add(
            Touch(customer_id=hongda.id, author_id=rep.user_id, kind="visit", created_at=NOW)
        )
    for actor in (rep, director):
        with db.session() as session, statements(db) as seen:
            recent = recent_customers(session, actor)
        reading = _reading_customers(seen)
        assert reading and [s for s in reading if not BOUNDED.search(s)] == []
        expected = (
            ["上海宏达机电有限公司", "Acme Machinery"] if actor is rep else ["Acme Machinery"]
        )
        assert [line.name for line in recent][: len(expected)] == expected
        assert len(recent) == 6


def test_a_reps_search_reads_their_own_rows_not_the_companys_index(
    db: Database, people: tuple[Actor, Actor, Actor]
) -> None:
    """A rep sees a few thousand customers of a million: their search and duplicate check
    look through their own rows (by owner) in one bounded pass, not through the trigram
    index of every name (FTS5 ``customer_search``, pg_trgm's LIKE / ``%`` / ``<%``)."""
    _, rep, other = people
    with db.session() as session:
        session.add_all(
            Customer(
                name=f"Acme Machinery {number}",
                search_key=f"acme machinery {number}",
                name_pinyin=f"acmemachinery{number}",
                name_initials=f"acmemachinery{number}",
                owner_id=other.user_id,
                created_at=NOW,
                updated_at=NOW,
            )
            for number in range(CANDIDATE_LIMIT * 2)
        )
    for query in ("acne machinary", "acme", "上海", "5555 0102", "shanghaitongyng"):
        with db.session() as session, statements(db) as seen:
            found = [line.name for line in search_customers(session, rep, query)]
            duplicates = find_duplicates(session, rep, query, "+86 21 5555 0101")
        reading = _reading_customers(seen)
        assert [s for s in reading if not BOUNDED.search(s)] == [], query
        company_wide = [s for s in reading if re.search(r"customer_search|\bLIKE\b|<%|OPERATOR", s)]
        assert company_wide == [], query
        assert found and not any(name.startswith("Acme Machinery ") for name in found)
        assert [line.name for line in duplicates] == ["Acme Machinery"]
    assert names(db, rep, "acne machinary")[0] == "Acme Machinery"
