"""Money follows what the customer accepted: a won deal's order bills its accepted quote (else
its latest issued one) with the quote's lines, currency and total; accepting a quote sets the
deal's value, on the timeline with who and when; without a quote the rep confirms the deal's
value before the order exists; instalments add up exactly to what the order bills."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services import orders, quotes
from bot.services.customers import create_customer
from bot.services.deals import DealDraft, move_stage
from bot.services.deals import create_deal as new_deal
from bot.services.people import Actor
from models import (
    Contact,
    Deal,
    DealValueChange,
    Instalment,
    Product,
    Quote,
    Role,
    SalesOrder,
)
from tests.conftest import FakeClock
from tests.flows import SalesTeam, add_customer, link_contact, sales_team, texts
from tests.test_deals import create_deal
from tests.test_people_service import bootstrap_admin, registered

LIMITS = quotes.Limits(rep=Decimal(10), manager=Decimal(20), validity_days=30)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DEAL = "20 CNC lathes"
OIL_FILTER = "OF-1 · Oil filter"


def add_oil_filter(db: Database) -> None:
    with db.session() as session:
        session.add(
            Product(
                sku="OF-1",
                name="Oil filter",
                unit="pc",
                list_price=Decimal("103.00"),
                currency="CNY",
            )
        )


async def deal_worth_12000(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, *, linked: bool = True
) -> tuple[SalesTeam, SimUser | None]:
    """Tom's deal worth ¥12,000 on Acme Machinery, whose Li Na has linked her Telegram."""
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_oil_filter(db)
    await create_deal(bot, team.tom, "Acme Machinery", DEAL, "¥12,000")
    li = None
    if linked:
        li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7101)
    return team, li


async def issue_quote(bot: LocalBot, db: Database, rep: SimUser, quantity: str = "2") -> Quote:
    """A quote within the rep's limits (issued at once): oil filters at CNY 103.00."""
    await bot.send(rep, "/quote")
    await bot.press(rep, f"{DEAL} · Acme Machinery")
    await bot.send(rep, "OF-1")
    await bot.press(rep, OIL_FILTER)
    await bot.send(rep, quantity)
    await bot.press(rep, "0%")
    await bot.press(rep, "📤 Submit")
    with db.session() as session:
        quote = session.exec(select(Quote).order_by(Quote.id.desc())).first()  # type: ignore[union-attr]
    assert quote is not None and quote.number is not None
    return quote


async def win_the_deal(bot: LocalBot, rep: SimUser) -> None:
    await bot.send(rep, "/deals")
    await bot.press(rep, f"{DEAL} · Acme Machinery")
    await bot.press(rep, "→ Won")


def the_deal(db: Database) -> Deal:
    with db.session() as session:
        return session.exec(select(Deal)).one()


def the_orders(db: Database) -> list[SalesOrder]:
    with db.session() as session:
        return list(session.exec(select(SalesOrder)))


def the_plan(db: Database) -> list[tuple[Decimal, date]]:
    with db.session() as session:
        plan = session.exec(select(Instalment).order_by(Instalment.sequence)).all()  # type: ignore[arg-type]
    return [(item.amount, item.due_date) for item in plan]


async def test_the_order_bills_the_quote_the_customer_accepted(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team, li = await deal_worth_12000(bot, emulator, db)
    assert li is not None
    quote = await issue_quote(bot, db, team.tom)
    assert quote.total == Decimal("206.00") and quote.currency == "CNY"

    # Sent to Li Na, who accepts an hour later: the deal is now worth what she accepted.
    await bot.press(team.tom, "📤 Send to Li Na")
    clock.advance(timedelta(hours=1))
    await bot.press(li, "✅ Accept")
    told = team.tom.last().text
    assert f"Li Na (Acme Machinery) accepted quote {quote.number}" in told
    assert "The deal's value is now CNY 206.00 (was CNY 12,000.00)." in told
    deal = the_deal(db)
    assert (deal.amount, deal.currency) == (Decimal("206.00"), "CNY")
    with db.session() as session:
        [change] = session.exec(select(DealValueChange)).all()
        contact = session.exec(select(Contact).where(Contact.name == "Li Na")).one()
    assert (change.old_amount, change.new_amount) == (Decimal("12000.00"), Decimal("206.00"))
    assert change.changed_by_contact_id == contact.id and change.changed_by_id is None
    assert change.quote_id == quote.id and change.changed_at == NOW + timedelta(hours=1)

    # The customer's timeline says who changed it, when, and from what to what.
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    await bot.press(team.tom, "🕘 Timeline")
    assert (
        "25 Nov 2026 18:00 · Li Na (customer)\n"
        f"💼 “{DEAL}”: value CNY 12,000.00 → CNY 206.00 (quote {quote.number} accepted)"
    ) in team.tom.last().text

    # Won → the order: it says which quote it bills and asks no confirmation of the value.
    await win_the_deal(bot, team.tom)
    await bot.press(team.tom, "📦 Create the order")
    asked = team.tom.last().text
    assert f"it bills quote {quote.number}, accepted by the customer, CNY 206.00." in asked
    assert "When will it be delivered?" in asked
    await bot.send(team.tom, "Dec 15")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "Tom")
    assert f"How will CNY 206.00 (quote {quote.number}) be paid?" in team.tom.last().text
    await bot.press(team.tom, "✅ One payment: CNY 206.00 due 14 Jan 2027")

    card = team.tom.last().text
    assert f"🧾 Bills quote {quote.number}:" in card
    assert "1. Oil filter × 2 pc @ CNY 103.00 = CNY 206.00" in card
    assert "Total CNY 206.00 · paid CNY 0.00 · due CNY 206.00" in card
    assert "12,000" not in card
    [order] = the_orders(db)
    assert (order.total, order.currency, order.quote_id) == (Decimal("206.00"), "CNY", quote.id)
    assert the_plan(db) == [(Decimal("206.00"), date(2027, 1, 14))]

    # The customer's own view bills what she accepted, and names the quote.
    mine = texts(await bot.send(li, "/myorders"))
    assert f"📦 O-2026-00001 · {DEAL} · quote {quote.number}" in mine
    assert "Total CNY 206.00 · paid CNY 0.00 · due CNY 206.00" in mine
    assert "12,000" not in mine


async def test_an_issued_quote_not_yet_accepted_is_billed_in_instalments(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, _ = await deal_worth_12000(bot, emulator, db, linked=False)
    quote = await issue_quote(bot, db, team.tom)
    await win_the_deal(bot, team.tom)
    assert the_deal(db).amount == Decimal("12000.00")  # only an acceptance changes the value

    await bot.press(team.tom, "📦 Create the order")
    assert (
        f"it bills quote {quote.number} (issued, not accepted yet), CNY 206.00, "
        "not the deal's value of CNY 12,000.00." in team.tom.last().text
    )
    await bot.send(team.tom, "Dec 15")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "Sara")
    await bot.press(team.tom, "Split into instalments")
    assert "Left to plan: CNY 206.00" in team.tom.last().text
    # More than the quote's total (the deal's old value, say) is refused with a re-ask.
    assert "I couldn't read that" in texts(await bot.send(team.tom, "12000 Dec 31"))
    assert "I couldn't read that" in texts(await bot.send(team.tom, "a hundred or so"))
    assert "Left to plan: CNY 106.00" in texts(await bot.send(team.tom, "100 Dec 31"))
    await bot.send(team.tom, "106 Jan 31 2027")

    card = team.tom.last().text
    assert "Order O-2026-00001" in card and f"🧾 Bills quote {quote.number}:" in card
    assert "Total CNY 206.00" in card
    [order] = the_orders(db)
    assert (order.total, order.quote_id) == (Decimal("206.00"), quote.id)
    assert the_plan(db) == [
        (Decimal("100.00"), date(2026, 12, 31)),
        (Decimal("106.00"), date(2027, 1, 31)),
    ]


async def test_without_a_quote_the_rep_confirms_the_deals_value_first(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, _ = await deal_worth_12000(bot, emulator, db, linked=False)
    await win_the_deal(bot, team.tom)
    await bot.press(team.tom, "📦 Create the order")
    ask = team.tom.last()
    assert "No quote was issued on this deal" in ask.text
    assert "the order bills the deal's value: CNY 12,000.00" in ask.text
    assert ask.button_texts() == ["✅ Bill CNY 12,000.00", "✖ Cancel, no order"]

    # Nonsense at this step is a clear re-ask; nothing is saved.
    for nonsense in ("yes please", "12000", "Dec 15"):
        answer = await bot.send(team.tom, nonsense)
        assert texts(answer) == "Please choose with the buttons above, or send /cancel."
    assert the_orders(db) == []

    # The way out: no order, the deal stays won.
    await bot.press(team.tom, "✖ Cancel, no order", ask)
    assert ask.text.startswith("No order was made.")  # the question turns into the answer
    assert the_orders(db) == [] and the_deal(db).stage_key == "won"
    assert "nothing to cancel" in texts(await bot.send(team.tom, "/cancel")).lower()

    # Again, confirmed this time: the order bills the deal's value, with no quote.
    await win_the_deal_card(bot, team.tom, db)
    await bot.press(team.tom, "📦 Create the order")
    await bot.press(team.tom, "✅ Bill CNY 12,000.00")
    assert "billing CNY 12,000.00" in team.tom.last().text
    await bot.send(team.tom, "Dec 15")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "✅ One payment: CNY 12,000.00 due 14 Jan 2027")
    assert "Bills quote" not in team.tom.last().text
    [order] = the_orders(db)
    assert (order.total, order.quote_id) == (Decimal("12000.00"), None)


async def win_the_deal_card(bot: LocalBot, rep: SimUser, db: Database) -> None:
    """Open the (already won) deal's card again."""
    await bot.settle(await rep.press_data(f"deal:open:{the_deal(db).id}"))


async def test_a_declined_quote_is_not_billed(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, li = await deal_worth_12000(bot, emulator, db)
    assert li is not None
    quote = await issue_quote(bot, db, team.tom)
    await bot.press(team.tom, "📤 Send to Li Na")
    await bot.press(li, "✖ Decline")
    assert f"declined quote {quote.number}" in team.tom.last().text
    assert the_deal(db).amount == Decimal("12000.00")
    await win_the_deal(bot, team.tom)
    await bot.press(team.tom, "📦 Create the order")
    assert "the order bills the deal's value: CNY 12,000.00" in team.tom.last().text


# The rule itself, straight through the services.


def _sold(db: Database) -> tuple[Actor, int, int, list[int]]:
    """A rep's won deal worth 12,000 with two issued quotes (206.00, then 309.00), the first
    sent to the customer's linked contact: (rep, deal id, contact id, quote ids)."""
    admin = bootstrap_admin(db)
    rep = registered(db, admin, Role.REP, 2, "North")
    with db.session() as session:
        customer = create_customer(session, rep, name="Acme", contact_name="Li Na", now=NOW)
        contact = session.exec(select(Contact).where(Contact.customer_id == customer.id)).one()
        contact.telegram_chat_id, contact.opted_in = 7101, True
        product = Product(
            sku="OF-1", name="Oil filter", unit="pc", list_price=Decimal("103"), currency="CNY"
        )
        session.add(product)
        session.flush()
        deal = new_deal(
            session, rep, DealDraft(customer.id or 0, DEAL, Decimal("12000"), "CNY"), now=NOW
        )
        deal_id = deal.id or 0
        quote_ids = []
        for minutes, quantity in ((0, 2), (5, 3)):
            decision = quotes.submit_quote(
                session,
                rep,
                deal_id,
                [quotes.LineDraft(product.id or 0, Decimal(quantity), Decimal(0))],
                Decimal(0),
                limits=LIMITS,
                now=NOW + timedelta(minutes=minutes),
            )
            assert decision.status == "issued"
            quote_ids.append(decision.quote_id)
        quotes.send_to_contact(
            session, rep, quote_ids[0], contact.id or 0, today=NOW.date(), now=NOW
        )
        move_stage(session, rep, deal_id, "won", now=NOW)
        return rep, deal_id, contact.id or 0, quote_ids


def _draft(
    rep: Actor, deal_id: int, amounts: list[str], confirmed: orders.Billing | None = None
) -> orders.OrderDraft:
    return orders.OrderDraft(
        deal_id=deal_id,
        delivery_date=date(2026, 12, 15),
        delivery_owner_id=rep.user_id,
        payment_owner_id=rep.user_id,
        instalments=[
            orders.InstalmentDraft(Decimal(amount), date(2026, 12, 31 - index))
            for index, amount in enumerate(amounts)
        ],
        confirmed=confirmed,
    )


@pytest.mark.parametrize(
    "amounts",
    [["12000"], ["206"], ["100", "105.99"], ["100", "106.001"], ["309.01"], ["0", "309"]],
)
def test_instalments_that_do_not_add_up_to_the_quote_are_refused(
    db: Database, amounts: list[str]
) -> None:
    rep, deal_id, _, _ = _sold(db)
    with db.session() as session, pytest.raises(orders.ScheduleInvalid) as refused:
        orders.create_order(session, rep, _draft(rep, deal_id, amounts), now=NOW)
    assert refused.value.details == {"total": Decimal("309.00"), "currency": "CNY"}
    with db.session() as session:
        assert session.exec(select(SalesOrder)).all() == []
        assert session.exec(select(Instalment)).all() == []


def test_the_accepted_quote_wins_over_a_newer_issued_one(db: Database) -> None:
    rep, deal_id, contact_id, [first, second] = _sold(db)
    with db.session() as session:
        before = orders.billing(session, rep, deal_id)
    assert (before.quote_id, before.total, before.accepted) == (second, Decimal("309.00"), False)
    with db.session() as session:
        answer = quotes.answer_quote(session, contact_id, first, accept=True, now=NOW)
    assert answer.value_change is not None and answer.value_change.new_amount == Decimal("206")
    with db.session() as session:
        after = orders.billing(session, rep, deal_id)
    assert (after.quote_id, after.total, after.accepted) == (first, Decimal("206.00"), True)

    # An order drafted on what was shown before the acceptance is refused, not silently changed.
    with db.session() as session, pytest.raises(orders.BillingChanged):
        orders.create_order(session, rep, _draft(rep, deal_id, ["309"], before), now=NOW)
    with db.session() as session:
        order = orders.create_order(
            session, rep, _draft(rep, deal_id, ["100", "106"], after), now=NOW
        )
        assert (order.total, order.quote_id) == (Decimal("206.00"), first)

    # A quote accepted after the order exists leaves the order and the deal's value alone.
    with db.session() as session:
        quotes.send_to_contact(session, rep, second, contact_id, today=NOW.date(), now=NOW)
        late = quotes.answer_quote(session, contact_id, second, accept=True, now=NOW)
    assert late.value_change is None and late.order_number == "O-2026-00001"
    with db.session() as session:
        assert session.exec(select(Deal)).one().amount == Decimal("206.00")
        assert session.exec(select(SalesOrder)).one().total == Decimal("206.00")
