"""The change history as the database keeps it: every create, change and delete of each
tracked kind leaves its rows in the same transaction (none when the transaction fails), under
the right author and the application's clock; noise columns are left out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, SQLModel, col, select

from bot.context import Deps
from bot.db import Database
from bot.services import history
from models import (
    ChangeEntry,
    Contact,
    Customer,
    Deal,
    Instalment,
    Payment,
    PipelineStage,
    Quote,
    Role,
    SalesOrder,
    Team,
    User,
)
from tests.conftest import FakeClock

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def entries(db: Database, kind: str | None = None) -> list[ChangeEntry]:
    with db.session() as session:
        query = select(ChangeEntry).order_by(col(ChangeEntry.id))
        if kind is not None:
            query = query.where(ChangeEntry.record_kind == kind)
        return list(session.exec(query))


def summary(rows: list[ChangeEntry]) -> list[tuple[str, str, str | None, str | None, str | None]]:
    return [(r.record_kind, r.action, r.field, r.old_value, r.new_value) for r in rows]


def people(session: Session) -> tuple[int, int]:
    """An admin (the author) and a rep; their own creation is history too."""
    team = Team(name="North")
    session.add(team)
    session.flush()
    admin = User(telegram_id=1, full_name="Ada", timezone="UTC", role=Role.ADMIN)
    rep = User(telegram_id=2, full_name="Tom", timezone="UTC", role=Role.REP, team_id=team.id)
    session.add_all([admin, rep])
    session.flush()
    assert admin.id is not None and rep.id is not None
    return admin.id, rep.id


def test_every_kind_created_changed_and_deleted_is_recorded(
    db: Database, deps: Deps, clock: FakeClock
) -> None:
    clock.current = START
    with db.session() as session:
        admin_id, rep_id = people(session)
    with db.session() as session:
        history.acting(session, admin_id)
        customer = Customer(name="Acme", owner_id=rep_id, phone="021 5555", tier="B")
        session.add(customer)
        session.flush()
        assert customer.id is not None
        contact = Contact(customer_id=customer.id, name="Li Wei", birth_month=5, birth_day=12)
        deal = Deal(
            customer_id=customer.id,
            owner_id=rep_id,
            title="Lathe",
            amount=Decimal("1000.00"),
            currency="CNY",
            stage_key="lead",
            probability=10,
        )
        session.add_all([contact, deal])
        session.flush()
        assert deal.id is not None
        quote = Quote(
            deal_id=deal.id,
            customer_id=customer.id,
            owner_id=rep_id,
            status="pending_manager",
            currency="CNY",
            subtotal=Decimal("1000"),
            total=Decimal("900"),
            max_discount_pct=Decimal("10"),
        )
        order = SalesOrder(
            number="SO-1",
            deal_id=deal.id,
            customer_id=customer.id,
            owner_id=rep_id,
            delivery_owner_id=rep_id,
            payment_owner_id=rep_id,
            total=Decimal("900.00"),
            currency="CNY",
            delivery_date=date(2026, 12, 1),
            created_by_id=rep_id,
        )
        session.add_all([quote, order])
        session.flush()
        assert order.id is not None
        session.add(
            Instalment(
                order_id=order.id, sequence=1, amount=Decimal("900"), due_date=date(2026, 12, 31)
            )
        )
        session.add(
            Payment(
                order_id=order.id,
                amount=Decimal("100.00"),
                received_on=date(2026, 11, 2),
                logged_by_id=rep_id,
            )
        )
        ids = customer.id, contact.id, deal.id, quote.id, order.id
    created = entries(db)
    assert [(r.record_kind, r.action) for r in created] == [
        ("user", "create"),
        ("user", "create"),
        ("customer", "create"),
        ("contact", "create"),
        ("deal", "create"),
        ("quote", "create"),
        ("order", "create"),
        ("instalment", "create"),
        ("payment", "create"),
    ]
    first_user, _, new_customer, new_contact, new_deal = created[:5]
    assert first_user.changed_by_id is None and first_user.changed_by_contact_id is None  # system
    assert {r.changed_by_id for r in created[2:]} == {admin_id}
    assert {r.changed_at for r in created} == {START}
    assert new_customer.record_id == str(ids[0]) and new_customer.parent_kind is None
    assert json.loads(new_customer.new_value or "") == {
        "name": "Acme",
        "owner_id": str(rep_id),
        "tier": "B",
        "phone": "021 5555",
        "payment_terms_days": "30",
        "credit_limit": "0.00",
    }
    assert (new_contact.parent_kind, new_contact.parent_id) == ("customer", str(ids[0]))
    assert json.loads(new_contact.new_value or "")["birthday"] == "--05-12"
    assert json.loads(new_deal.new_value or "")["amount"] == "1000.00"
    assert [(r.parent_kind, r.parent_id) for r in created[-2:]] == [("order", str(ids[4]))] * 2

    clock.advance(timedelta(hours=1))
    with db.session() as session:
        history.acting(session, rep_id)
        customer2 = session.get(Customer, ids[0])
        contact2 = session.get(Contact, ids[1])
        deal2 = session.get(Deal, ids[2])
        quote2 = session.get(Quote, ids[3])
        order2 = session.get(SalesOrder, ids[4])
        user = session.get(User, rep_id)
        stage = session.get(PipelineStage, "lead")
        assert customer2 and contact2 and deal2 and quote2 and order2 and user and stage
        customer2.credit_limit = Decimal("5000")
        customer2.updated_at = clock()  # noise: not recorded
        customer2.tier = "B"  # the same value: not recorded
        contact2.birth_year = 1985
        contact2.title = "Buyer"
        deal2.stage_key, deal2.probability = "qualified", 25
        deal2.last_activity_at = clock()  # noise
        quote2.status = "issued"
        order2.delivered_at = clock()
        user.role = Role.MANAGER
        user.menu_digest = "abc"  # noise
        stage.probability = 15
    assert sorted(summary(entries(db)[len(created) :]), key=str) == sorted(
        [
            ("customer", "update", "credit_limit", "0.00", "5000"),
            ("contact", "update", "title", None, "Buyer"),
            ("contact", "update", "birthday", "--05-12", "1985-05-12"),
            ("deal", "update", "stage_key", "lead", "qualified"),
            ("deal", "update", "probability", "10", "25"),
            ("quote", "update", "status", "pending_manager", "issued"),
            ("order", "update", "delivered_at", None, "2026-11-02T02:00:00+00:00"),
            ("user", "update", "role", "rep", "manager"),
            ("stage", "update", "probability", "10", "15"),
        ],
        key=str,
    )

    done = len(entries(db))
    with db.session() as session:
        history.acting(session, admin_id)
        for payment in session.exec(select(Payment)):
            session.delete(payment)
        for instalment in session.exec(select(Instalment)):
            session.delete(instalment)
        session.flush()
        records: tuple[tuple[type[SQLModel], int | None], ...] = (
            (SalesOrder, ids[4]),
            (Quote, ids[3]),
            (Deal, ids[2]),
            (Contact, ids[1]),
        )
        for model, key in records:
            row = session.get(model, key)
            session.delete(row)
            session.flush()
        session.delete(session.get(Customer, ids[0]))
    deleted = entries(db)[done:]
    assert [(r.record_kind, r.action) for r in deleted] == [
        ("payment", "delete"),
        ("instalment", "delete"),
        ("order", "delete"),
        ("quote", "delete"),
        ("deal", "delete"),
        ("contact", "delete"),
        ("customer", "delete"),
    ]
    assert json.loads(deleted[-1].old_value or "")["credit_limit"] == "5000.00"
    assert json.loads(deleted[-2].old_value or "")["birthday"] == "1985-05-12"
    assert {r.changed_by_id for r in deleted} == {admin_id}


def test_a_failed_transaction_leaves_no_history(db: Database, deps: Deps) -> None:
    with db.session() as session:
        _, rep_id = people(session)
    before = len(entries(db))
    with pytest.raises(RuntimeError), db.session() as session:
        customer = Customer(name="Ghost", owner_id=rep_id)
        session.add(customer)
        session.flush()  # the history rows are written here, in the same transaction …
        assert session.exec(select(ChangeEntry).where(ChangeEntry.record_kind == "customer")).all()
        raise RuntimeError("… and go with it")
    assert len(entries(db)) == before
    with db.session() as session:
        assert session.exec(select(Customer)).all() == []


def test_the_author_of_the_update_and_the_system(db: Database, deps: Deps) -> None:
    with db.session() as session:
        admin_id, rep_id = people(session)
    history.act_as(rep_id)  # what the access gate does for each update
    try:
        with db.session() as session:
            session.add(Customer(name="By Tom", owner_id=rep_id))
        history.act_as(contact_id=7)
        with db.session() as session:
            customer = session.exec(select(Customer)).one()
            customer.phone = "123456"
        with db.session() as session:
            history.acting(session, admin_id)  # the session's own author wins
            customer = session.exec(select(Customer)).one()
            customer.industry = "Tools"
    finally:
        history.act_as(None)
    with db.session() as session:
        session.add(Customer(name="By the system", owner_id=rep_id))
    rows = entries(db, "customer")
    assert [(r.changed_by_id, r.changed_by_contact_id) for r in rows] == [
        (rep_id, None),
        (None, 7),
        (admin_id, None),
        (None, None),
    ]


def test_the_migration_keeps_issue_11s_changes(db: Database) -> None:
    """Back to 0024 (the change history back in ``record_change``) and up again: the edits and
    the contact added are all still there, as the customer's and the contact's history."""
    from alembic import command

    from bot.db import alembic_config

    with db.session() as session:
        admin_id, rep_id = people(session)
        customer = Customer(name="Acme", owner_id=rep_id)
        session.add(customer)
        session.flush()
        contact = Contact(customer_id=customer.id or 0, name="Li Wei")
        session.add(contact)
        session.flush()
        history.acting(session, admin_id)
        customer.phone = "021 5555"
        contact.title = "Buyer"
    command.downgrade(alembic_config(db.engine), "0024")
    with db.engine.connect() as connection:
        kept = connection.exec_driver_sql(
            "SELECT customer_id, contact_id, field, old_value, new_value, changed_by_id"
            " FROM record_change ORDER BY id"
        ).all()
    assert sorted(map(tuple, kept), key=str) == sorted(
        [
            (customer.id, contact.id, "contact_added", None, "Li Wei", None),
            (customer.id, None, "phone", None, "021 5555", admin_id),
            (customer.id, contact.id, "title", None, "Buyer", admin_id),
        ],
        key=str,
    )
    db.upgrade()
    rows = entries(db)
    moved = [
        (r.record_kind, r.record_id, r.parent_id, r.action, r.field, r.new_value, r.changed_by_id)
        for r in rows
        if r.record_kind in ("customer", "contact")
    ]
    assert sorted(moved, key=str) == sorted(
        [
            (
                "contact",
                str(contact.id),
                str(customer.id),
                "create",
                None,
                '{"name": "Li Wei"}',
                None,
            ),
            ("customer", str(customer.id), None, "update", "phone", "021 5555", admin_id),
            ("contact", str(contact.id), str(customer.id), "update", "title", "Buyer", admin_id),
        ],
        key=str,
    )
