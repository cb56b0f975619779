"""The deals' totals per owner, stage and currency are kept by the database: whatever writes a
deal (the ORM, a bulk UPDATE or DELETE), the totals equal a count and sum over the deals, and
the digest's funnel reads them."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete, func, insert, update
from sqlmodel import Session, col, select

from bot.db import Database
from models import Customer, Deal, DealTotal, Role, User

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STAGES = ["lead", "qualified", "quoted", "negotiation", "won", "lost"]


def totals(session: Session) -> dict[tuple[int, str, str], tuple[int, int, int]]:
    return {
        (row.owner_id, row.stage_key, row.currency): (row.deals, row.cents, row.weighted_cents)
        for row in session.exec(select(DealTotal))
        if row.deals  # a group emptied keeps its row, at zero
    }


def recounted(session: Session) -> dict[tuple[int, str, str], tuple[int, int, int]]:
    found: dict[tuple[int, str, str], list[int]] = {}
    for deal in session.exec(select(Deal)):
        cents = int((deal.amount * 100).to_integral_value())
        row = found.setdefault((deal.owner_id, deal.stage_key, deal.currency), [0, 0, 0])
        row[0] += 1
        row[1] += cents
        row[2] += (cents * deal.probability + 50) // 100  # rounded half up
    return {key: (a, b, c) for key, (a, b, c) in found.items()}


def people(session: Session) -> tuple[list[int], list[int]]:
    users = [
        User(telegram_id=900 + n, full_name=f"Rep {n}", timezone="UTC", role=Role.REP)
        for n in range(3)
    ]
    session.add_all(users)
    session.flush()
    owners = [user.id or 0 for user in users]
    customers = [Customer(name=f"Customer {n}", owner_id=owners[n % 3]) for n in range(6)]
    session.add_all(customers)
    session.flush()
    return owners, [customer.id or 0 for customer in customers]


def test_the_totals_follow_every_kind_of_write(db: Database) -> None:
    rng = random.Random(7)
    with db.session() as session:
        owners, customers = people(session)
        deals = []
        for n in range(40):
            deal = Deal(
                customer_id=customers[n % 6],
                owner_id=owners[n % 3],
                title=f"Deal {n}",
                amount=Decimal(rng.randint(1, 10_000_000)) / 100,
                currency="CNY" if n % 4 else "USD",
                stage_key=STAGES[n % 4],
                probability=[10, 30, 50, 80][n % 4],
            )
            session.add(deal)
            deals.append(deal)
        session.flush()
        assert totals(session) == recounted(session)

        # Through the ORM: a stage move, a new value, a new owner, a deal deleted.
        deals[0].stage_key, deals[0].probability = "won", 100
        deals[1].amount = Decimal("0.10") + Decimal("0.20")
        deals[2].owner_id = owners[2]
        deals[3].currency = "EUR"
        session.delete(deals[4])
        session.flush()
        assert totals(session) == recounted(session)

        # In bulk, as a reassignment or a clean-up would.
        session.execute(
            update(Deal).where(col(Deal.owner_id) == owners[0]).values(owner_id=owners[1])
        )
        session.execute(delete(Deal).where(col(Deal.stage_key) == "lead"))
        session.execute(update(Deal).values(title="renamed"))  # not a counted column
        session.execute(
            insert(Deal),
            [
                {
                    "customer_id": customers[0],
                    "owner_id": owners[0],
                    "title": "Bulk",
                    "amount": Decimal("1234.56"),
                    "currency": "CNY",
                    "stage_key": "quoted",
                    "probability": 50,
                    "created_at": NOW,
                    "updated_at": NOW,
                    "stage_changed_at": NOW,
                }
            ]
            * 3,
        )
        assert totals(session) == recounted(session)
        bulk = session.exec(
            select(DealTotal).where(
                DealTotal.owner_id == owners[0], DealTotal.stage_key == "quoted"
            )
        ).one()
        assert (bulk.deals, bulk.cents, bulk.weighted_cents) == (3, 370368, 185184)


def test_a_rolled_back_write_leaves_the_totals_as_they_were(db: Database) -> None:
    with db.session() as session:
        owners, customers = people(session)
        session.add(
            Deal(
                customer_id=customers[0],
                owner_id=owners[0],
                title="Kept",
                amount=Decimal("100.00"),
                currency="CNY",
                stage_key="lead",
                probability=10,
            )
        )
    with Session(db.engine) as session:
        session.execute(update(Deal).values(amount=Decimal("999.00")))
        session.rollback()
    with db.session() as session:
        assert session.exec(select(func.sum(DealTotal.cents))).one() == 10000
        assert totals(session) == recounted(session)
