"""End to end: a won deal becomes an order (owners, schedule), payments are logged partly and
never beyond what is due, even when two arrive at the same moment (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services import orders
from bot.services.customers import create_customer
from bot.services.deals import DealDraft, move_stage
from bot.services.deals import create_deal as new_deal
from models import Deal, Instalment, Payment, Role, SalesOrder
from tests.flows import SalesTeam, actor_of, add_customer, sales_team, texts
from tests.test_deals import create_deal
from tests.test_people_service import bootstrap_admin, registered


async def won_deal(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    await create_deal(bot, team.tom, "Acme Machinery", "20 CNC lathes", "¥12,000")
    await bot.press(team.tom, "→ Won")
    return team


def the_order(db: Database) -> SalesOrder:
    with db.session() as session:
        return session.exec(select(SalesOrder)).one()


async def order_with_one_payment(bot: LocalBot, rep: SimUser) -> None:
    await bot.press(rep, "📦 Create the order")
    await bot.press(rep, "✅ Bill CNY 12,000.00")  # no quote: the deal's value, confirmed
    await bot.send(rep, "Dec 15")
    await bot.press(rep, "Tom")
    await bot.press(rep, "Tom")
    await bot.press(rep, "✅ One payment: CNY 12,000.00 due 14 Jan 2027")


async def test_won_deal_becomes_an_order_with_one_payment_after_terms(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await won_deal(bot, emulator, db)
    assert team.tom.last().button_texts()[0] == "📦 Create the order"
    await bot.press(team.tom, "📦 Create the order")
    # No quote on the deal: the rep confirms the deal's value before anything else.
    assert "the order bills the deal's value: CNY 12,000.00" in team.tom.last().text
    assert team.tom.last().button_texts() == ["✅ Bill CNY 12,000.00", "✖ Cancel, no order"]
    await bot.press(team.tom, "✅ Bill CNY 12,000.00")
    assert "When will it be delivered?" in team.tom.last().text
    assert "couldn't read “asap-ish” as a date" in texts(await bot.send(team.tom, "asap-ish"))
    await bot.send(team.tom, "Dec 15")
    assert team.tom.last().button_texts() == ["Tom", "Mei", "Sara"]  # the rep first, then team
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "Sara")
    await bot.press(team.tom, "✅ One payment: CNY 12,000.00 due 14 Jan 2027")

    card = team.tom.last()
    assert "📦 Order O-2026-00001 · Acme Machinery" in card.text
    assert "Total CNY 12,000.00 · paid CNY 0.00 · due CNY 12,000.00" in card.text
    assert "Delivers: Tom · collects: Sara" in card.text
    assert "• CNY 12,000.00 due 14 Jan 2027" in card.text
    order = the_order(db)
    assert order.payment_owner_id == actor_of(db, team.sara.id).user_id
    assert order.delivery_date == date(2026, 12, 15)
    # The deal card now leads to the order instead of creating a second one.
    await bot.send(team.tom, "/deals")
    await bot.settle(await team.tom.press_data(f"deal:open:{order.deal_id}"))
    assert team.tom.last().button_texts()[0] == "📦 Open the order"


async def test_split_schedule_in_instalments(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await won_deal(bot, emulator, db)
    await bot.press(team.tom, "📦 Create the order")
    await bot.press(team.tom, "✅ Bill CNY 12,000.00")
    await bot.send(team.tom, "Dec 15")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "Split into instalments")
    assert "Left to plan: CNY 12,000.00" in team.tom.last().text
    assert "I couldn't read that" in texts(await bot.send(team.tom, "some money soon"))
    assert "I couldn't read that" in texts(await bot.send(team.tom, "20000 Dec 31"))  # too much
    answer = await bot.send(team.tom, "50% Dec 31")
    assert "1. CNY 6,000.00 due 31 Dec 2026" in answer[0].text
    assert "Left to plan: CNY 6,000.00" in answer[0].text
    await bot.send(team.tom, "6000 Jan 31 2027")

    assert "Order O-2026-00001" in team.tom.last().text
    with db.session() as session:
        plan = session.exec(select(Instalment).order_by(Instalment.sequence)).all()  # type: ignore[arg-type]
    assert [(i.amount, i.due_date) for i in plan] == [
        (Decimal("6000.00"), date(2026, 12, 31)),
        (Decimal("6000.00"), date(2027, 1, 31)),
    ]


async def test_two_partial_payments_an_overpayment_refused_and_the_card(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await won_deal(bot, emulator, db)
    await order_with_one_payment(bot, team.tom)
    await bot.send(team.tom, "/pay")
    assert team.tom.last().button_texts() == ["O-2026-00001 · Acme Machinery · CNY 12,000.00"]
    await bot.press(team.tom, "O-2026-00001 · Acme Machinery · CNY 12,000.00")
    assert "How much was received?" in team.tom.last().text
    assert "couldn't read “a lot”" in texts(await bot.send(team.tom, "a lot"))
    assert "This order is in CNY" in texts(await bot.send(team.tom, "$100"))
    await bot.send(team.tom, "5000")
    await bot.press(team.tom, "Today")
    assert "💰 Payment of CNY 5,000.00 logged." in team.tom.last().text
    assert "due CNY 7,000.00" in team.tom.last().text

    await bot.press(team.tom, "💰 Log a payment")
    await bot.send(team.tom, "8000")
    assert "Send a date that is not in the future" in texts(await bot.send(team.tom, "tomorrow"))
    refused = await bot.send(team.tom, "yesterday")
    assert (
        refused[0].text == "That is more than is still due: CNY 7,000.00. Send at most that amount."
    )
    await bot.send(team.tom, "7000")
    await bot.press(team.tom, "Today")
    assert "paid CNY 12,000.00 · due CNY 0.00" in team.tom.last().text
    assert "✅ CNY 12,000.00 due 14 Jan 2027" in team.tom.last().text
    with db.session() as session:
        payments = session.exec(select(Payment).order_by(Payment.id)).all()  # type: ignore[arg-type]
    assert [p.amount for p in payments] == [Decimal("5000.00"), Decimal("7000.00")]
    assert the_order(db).paid_total == Decimal("12000.00")
    assert texts(await bot.send(team.tom, "/pay")) == "No order of yours has money due."


async def test_customer_card_shows_what_is_unpaid_and_the_timeline_the_money(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await won_deal(bot, emulator, db)
    await order_with_one_payment(bot, team.tom)
    await bot.press(team.tom, "💰 Log a payment")
    await bot.send(team.tom, "2500.50")
    await bot.press(team.tom, "Today")
    await bot.press(team.tom, "Open customer")
    assert "💰 Unpaid: CNY 9,499.50" in team.tom.last().text
    await bot.press(team.tom, "🕘 Timeline")
    timeline = team.tom.last().text
    assert "💰 Payment CNY 2,500.50 on O-2026-00001" in timeline
    assert "📦 Order O-2026-00001: CNY 12,000.00" in timeline
    assert timeline.index("Payment") < timeline.index("📦 Order")


async def test_delivery_is_marked_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await won_deal(bot, emulator, db)
    await order_with_one_payment(bot, team.tom)
    await bot.press(team.tom, "🚚 Mark delivered")
    assert "delivered 25 Nov 2026" in team.tom.last().text
    assert "🚚 Mark delivered" not in team.tom.last().button_texts()
    assert the_order(db).delivered_at is not None


async def test_orders_of_others_and_deals_not_won_are_refused(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await won_deal(bot, emulator, db)
    await order_with_one_payment(bot, team.tom)
    order = the_order(db)
    for data in (f"ord:open:{order.id}", f"pay:ord:{order.id}", f"ord:dlv:{order.id}"):
        await bot.settle(await team.ken.press_data(data))
        assert team.ken.callback_answers[-1]["text"] == "Not found.", data
    add_customer(db, team.tom, "Brightway")
    await create_deal(bot, team.tom, "Brightway", "Trucks", "5000")
    with db.session() as session:
        open_deal = session.exec(select(Deal).where(Deal.title == "Trucks")).one()
    await bot.settle(await team.tom.press_data(f"ord:new:{open_deal.id}"))
    assert team.tom.last().text == "Only a won deal becomes an order: move it to Won first."
    assert the_order(db).delivered_at is None


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_payments_never_over_collect(db: Database, attempt: int) -> None:
    """Two payments of the whole amount due, logged at the same moment: exactly one lands."""
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    admin = bootstrap_admin(db)
    rep = registered(db, admin, Role.REP, 2, "North")
    with db.session() as session:
        customer = create_customer(session, rep, name="Acme", now=now)
        deal = new_deal(
            session,
            rep,
            DealDraft(customer.id or 0, "Lathes", Decimal("1000.00"), "CNY"),
            now=now,
        )
        move_stage(session, rep, deal.id or 0, "won", now=now)
        order = orders.create_order(
            session,
            rep,
            orders.OrderDraft(
                deal.id or 0,
                date(2026, 12, 1),
                rep.user_id,
                rep.user_id,
                [orders.InstalmentDraft(Decimal("1000.00"), date(2026, 12, 31))],
            ),
            now=now,
        )
        order_id = order.id or 0
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def pay() -> None:
        start.wait()
        try:
            with db.session() as session:
                orders.log_payment(
                    session, rep, order_id, Decimal("1000.00"), received_on=now.date(), now=now
                )
            outcomes.append("paid")
        except orders.Overpayment:
            outcomes.append("refused")

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["paid", "refused"]
    with db.session() as session:
        assert session.get(SalesOrder, order_id).paid_total == Decimal("1000.00")  # type: ignore[union-attr]
        assert len(session.exec(select(Payment)).all()) == 1
