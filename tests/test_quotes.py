"""End to end: building a quote, the approval it needs by the limits (rep 10 %, manager 20 %)
and floor prices, manager then director, a rejection with its reason, and the approval race:
exactly one decision wins, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services import quotes
from bot.services.customers import create_customer
from bot.services.deals import DealDraft
from bot.services.deals import create_deal as new_deal
from bot.services.people import Actor
from models import Customer, Deal, Product, Quote, Role
from tests.flows import SalesTeam, actor_of, add_customer, register, sales_team, texts
from tests.test_deals import create_deal
from tests.test_people_service import bootstrap_admin, registered

LIMITS = quotes.Limits(rep=Decimal(10), manager=Decimal(20), validity_days=30)


def add_products(db: Database) -> None:
    with db.session() as session:
        session.add(
            Product(
                sku="CNC-100",
                name="CNC lathe 100",
                unit="pc",
                list_price=Decimal("1000.00"),
                currency="CNY",
                floor_price=Decimal("880.00"),
            )
        )
        session.add(
            Product(
                sku="SP-1",
                name="Spindle",
                unit="pc",
                list_price=Decimal("250.00"),
                currency="CNY",
                max_discount_pct=Decimal("5"),
            )
        )
        session.add(
            Product(
                sku="US-1",
                name="Import tool",
                unit="pc",
                list_price=Decimal("99.99"),
                currency="USD",
            )
        )


async def ready(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> tuple[SalesTeam, SimUser]:
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dave")
    add_customer(db, team.tom, "Acme Machinery")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    return team, director


async def build_quote(
    bot: LocalBot, rep: SimUser, product: str, quantity: str, discount: str
) -> None:
    await bot.send(rep, "/quote")
    await bot.press(rep, "Lathes · Acme Machinery")
    await bot.send(rep, product)
    await bot.press(rep, rep.last().button_texts()[0])
    await bot.send(rep, quantity)
    await bot.send(rep, discount)


def the_quote(db: Database) -> Quote:
    with db.session() as session:
        return session.exec(select(Quote).order_by(Quote.id.desc())).first()  # type: ignore[union-attr,return-value]


def deal_stage(db: Database) -> str:
    with db.session() as session:
        return session.exec(select(Deal)).one().stage_key


async def test_a_quote_within_the_reps_limit_is_issued_at_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, _ = await ready(bot, emulator, db)
    await bot.send(team.tom, "/quote")
    await bot.press(team.tom, "Lathes · Acme Machinery")
    found = await bot.send(team.tom, "lathe")
    assert found[0].button_texts() == ["CNC-100 · CNC lathe 100"]
    await bot.press(team.tom, "CNC-100 · CNC lathe 100")
    assert "CNY 1,000.00 per pc. How many pc?" in team.tom.last().text
    assert "quantity above zero" in texts(await bot.send(team.tom, "0"))
    assert "quantity above zero" in texts(await bot.send(team.tom, "-3"))
    assert "quantity above zero" in texts(await bot.send(team.tom, "1e309"))  # was a crash
    assert "quantity above zero" in texts(await bot.send(team.tom, "many"))
    assert "quantity above zero" in texts(await bot.send(team.tom, "1.005"))
    await bot.send(team.tom, "12")
    assert "from 0 to 100" in texts(await bot.send(team.tom, "150"))
    question = next(m for m in reversed(team.tom.messages) if "5%" in m.button_texts())
    await bot.press(team.tom, "5%")
    summary = question.text  # the discount question turns into the summary
    assert "1. CNC lathe 100 × 12 pc @ CNY 950.00 (−5%) = CNY 11,400.00" in summary
    assert "Total CNY 11,400.00" in summary and "Within your limits" in summary
    await bot.press(team.tom, "📤 Submit")

    quote = the_quote(db)
    assert question.text.startswith(f"✅ Quote {quote.number} issued: CNY 11,400.00")
    assert team.tom.last().filename == f"{quote.number}.pdf"
    assert quote.number == f"Q-2026-{quote.id:05d}" and quote.status == "issued"
    assert quote.valid_until is not None and quote.valid_until.isoformat() == "2026-12-25"
    assert quote.total == Decimal("11400.00") and deal_stage(db) == "quoted"


async def test_a_deep_discount_goes_to_the_manager_who_approves(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, director = await ready(bot, emulator, db)
    await build_quote(bot, team.tom, "CNC-100", "10", "15")
    assert "Needs your manager's approval." in team.tom.last().text
    await bot.press(team.tom, "📤 Submit")
    assert "📨 Sent for approval" in team.tom.last().text
    assert the_quote(db).status == "pending_manager" and deal_stage(db) == "lead"
    request = team.manager.last()
    assert "Tom asks you to approve a quote for Acme Machinery" in request.text
    assert "list CNY 1,000.00, −15%" in request.text
    assert request.button_texts() == ["✅ Approve", "❌ Reject"]
    before = len(director.messages)

    await bot.press(team.manager, "✅ Approve")
    quote = the_quote(db)
    assert quote.status == "issued" and quote.decided_by_id == actor_of(db, team.manager.id).user_id
    assert team.manager.last().text.startswith(f"✅ Approved by you: quote {quote.number}")
    assert f"was approved by Mei: {quote.number}, CNY 8,500.00" in team.tom.messages[-2].text
    assert team.tom.last().filename == f"{quote.number}.pdf"
    assert len(director.messages) == before  # within the manager's limit
    assert deal_stage(db) == "quoted"


async def test_beyond_the_managers_limit_a_director_decides_too(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, director = await ready(bot, emulator, db)
    await build_quote(bot, team.tom, "CNC-100", "10", "25")
    assert "Needs approval by your manager and a director." in team.tom.last().text
    await bot.press(team.tom, "📤 Submit")
    await bot.press(team.manager, "✅ Approve")
    assert "it goes on to a director" in team.manager.last().text
    assert "approved by Mei and now goes to a director" in team.tom.last().text
    assert the_quote(db).status == "pending_director"
    assert "Approved by Mei; beyond a manager's limit" in director.last().text
    # The manager cannot decide the director's step.
    await bot.settle(await team.manager.press_data(f"qa:yes:{the_quote(db).id}"))
    assert team.manager.last().text == "This quote was already decided by Mei."

    await bot.press(director, "✅ Approve")
    quote = the_quote(db)
    assert quote.status == "issued" and quote.manager_approved_by_id is not None
    assert f"approved by Dave: {quote.number}" in team.tom.messages[-2].text
    assert team.tom.last().kind == "document"
    # Both steps are on the customer's timeline, each with who took it.
    await bot.send(team.manager, "acme")
    await bot.press(team.manager, "Acme Machinery")
    await bot.press(team.manager, "🕘 Timeline")
    story = team.manager.last().text
    assert "· Mei\n🧾 Quote CNY 7,500.00 approved by the manager, on to a director" in story
    assert f"· Dave\n🧾 Quote CNY 7,500.00 approved: {quote.number}" in story
    assert story.index("· Dave\n") < story.index("· Mei\n🧾")  # newest first


async def test_a_floor_price_needs_approval_even_within_the_limit(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, _ = await ready(bot, emulator, db)
    await build_quote(bot, team.tom, "SP-1", "4", "8")  # spindles allow 5 % at most
    assert "⚠️ below the allowed price" in team.tom.last().text
    assert "Needs your manager's approval." in team.tom.last().text
    # An overall discount on a lathe line takes it below its floor price too.
    await bot.press(team.tom, "🗑 Remove the last line")
    await bot.send(team.tom, "lathe")
    await bot.press(team.tom, "CNC-100 · CNC lathe 100")
    await bot.send(team.tom, "1")
    await bot.press(team.tom, "10%")
    assert "Within your limits" in team.tom.last().text
    await bot.press(team.tom, "% Overall discount")
    assert "from 0 to 100" in texts(await bot.send(team.tom, "abc"))
    await bot.send(team.tom, "3")
    summary = team.tom.last().text
    assert "Subtotal CNY 900.00 · overall −3%" in summary and "Total CNY 873.00" in summary
    assert "⚠️ below the allowed price" in summary
    # Products in another currency are refused on the same quote.
    await bot.press(team.tom, "➕ Add a product")
    await bot.send(team.tom, "US-1")
    await bot.press(team.tom, "US-1 · Import tool")
    await bot.send(team.tom, "1")
    answer = await bot.send(team.tom, "0")
    assert answer[0].text == "All products of one quote must be in one currency (CNY)."
    assert "Import tool" not in team.tom.last().text
    await bot.send(team.tom, "/cancel")
    with db.session() as session:
        assert session.exec(select(Quote)).all() == []


async def test_a_rejection_carries_its_reason_to_the_rep(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, _ = await ready(bot, emulator, db)
    await build_quote(bot, team.tom, "CNC-100", "10", "15")
    await bot.press(team.tom, "📤 Submit")
    await bot.press(team.manager, "❌ Reject")
    assert "Why do you reject it?" in team.manager.last().text
    await bot.send(team.manager, "Too deep for a first order")
    assert the_quote(db).status == "rejected"
    assert the_quote(db).reject_reason == "Too deep for a first order"
    assert "rejected by Mei: “Too deep for a first order”" in team.tom.last().text
    await bot.settle(await team.manager.press_data(f"qa:yes:{the_quote(db).id}"))
    assert team.manager.last().text == "This quote was already decided by Mei."


async def test_reps_and_other_teams_cannot_decide(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, _ = await ready(bot, emulator, db)
    await build_quote(bot, team.tom, "CNC-100", "10", "15")
    await bot.press(team.tom, "📤 Submit")
    quote_id = the_quote(db).id
    await bot.settle(await team.tom.press_data(f"qa:yes:{quote_id}"))
    assert team.tom.callback_answers[-1]["text"] == "You can't do that with your role."
    await bot.settle(await team.ken.press_data(f"qa:yes:{quote_id}"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    assert the_quote(db).status == "pending_manager"


def pending_quote(db: Database) -> tuple[int, list[Actor]]:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    admin = bootstrap_admin(db)
    first = registered(db, admin, Role.MANAGER, 2, "North")
    second = registered(db, admin, Role.MANAGER, 3, "North")
    rep = registered(db, admin, Role.REP, 4, "North")
    add_products(db)
    with db.session() as session:
        customer = create_customer(session, rep, name="Acme", now=now)
        deal = new_deal(
            session, rep, DealDraft(customer.id or 0, "Lathes", Decimal("9000"), "CNY"), now=now
        )
        product = session.exec(select(Product).where(Product.sku == "CNC-100")).one()
        decision = quotes.submit_quote(
            session,
            rep,
            deal.id or 0,
            [quotes.LineDraft(product.id or 0, Decimal(10), Decimal(15))],
            Decimal(0),
            limits=LIMITS,
            now=now,
        )
    assert decision.status == "pending_manager" and len(decision.notify) == 2
    return decision.quote_id, [first, second]


@pytest.mark.parametrize("attempt", range(3))
def test_approve_and_reject_at_the_same_moment_one_wins(db: Database, attempt: int) -> None:
    quote_id, managers = pending_quote(db)
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def press(manager: Actor, approve: bool) -> None:
        start.wait()
        try:
            with db.session() as session:
                quotes.decide(
                    session,
                    manager,
                    quote_id,
                    approve=approve,
                    reason="no",
                    limits=LIMITS,
                    now=now,
                )
            outcomes["approve" if approve else "reject"] = "won"
        except quotes.AlreadyDecided as late:
            outcomes["approve" if approve else "reject"] = f"late: {late.details['by']}"

    threads = [
        threading.Thread(target=press, args=(managers[0], True)),
        threading.Thread(target=press, args=(managers[1], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winner = "approve" if outcomes["approve"] == "won" else "reject"
    loser = "reject" if winner == "approve" else "approve"
    winner_name = managers[0 if winner == "approve" else 1].full_name
    assert outcomes[winner] == "won" and outcomes[loser] == f"late: {winner_name}"
    with db.session() as session:
        quote = session.get(Quote, quote_id)
        assert quote is not None
        assert quote.status == ("issued" if winner == "approve" else "rejected")
        assert quote.decided_by_id == managers[0 if winner == "approve" else 1].user_id


def test_one_manager_pressing_twice_gets_already_decided(db: Database) -> None:
    quote_id, managers = pending_quote(db)
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with db.session() as session:
        quotes.decide(session, managers[0], quote_id, approve=True, limits=LIMITS, now=now)
    with db.session() as session, pytest.raises(quotes.AlreadyDecided) as late:
        quotes.decide(session, managers[0], quote_id, approve=True, limits=LIMITS, now=now)
    assert late.value.details["by"] == managers[0].full_name


async def test_the_issued_quote_arrives_as_a_pdf_with_chinese_text(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "上海宏达机电有限公司")
    add_products(db)
    with db.session() as session:
        session.add(
            Product(
                sku="ZZ-1",
                name="主轴 <spindle> & 刀具",
                unit="套",
                list_price=Decimal("1234.56"),
                currency="CNY",
            )
        )
    await create_deal(bot, team.tom, "上海宏达机电有限公司", "刀具升级", "¥9000")
    await bot.send(team.tom, "/quote")
    await bot.press(team.tom, "刀具升级 · 上海宏达机电有限公司")
    await bot.send(team.tom, "ZZ-1")
    await bot.press(team.tom, team.tom.last().button_texts()[0])
    await bot.send(team.tom, "3")
    await bot.press(team.tom, "5%")
    await bot.press(team.tom, "📤 Submit")

    document = team.tom.last()
    quote = the_quote(db)
    assert document.kind == "document" and document.filename == f"{quote.number}.pdf"
    assert document.text.startswith(
        f"🧾 Quote {quote.number} for 上海宏达机电有限公司: CNY 3,518.49"
    )
    assert document.document is not None and document.document.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(document.document)).pages[0].extract_text()
    assert f"Quotation {quote.number}" in text
    assert "上海宏达机电有限公司" in text and "主轴 <spindle> & 刀具" in text
    assert "3 套" in text and "3,518.49" in text and "Total: CNY 3,518.49" in text
    # The quote is on the customer's timeline, after the deal's move to Quoted.
    await bot.send(team.tom, "宏达")
    await bot.press(team.tom, "上海宏达机电有限公司")
    await bot.press(team.tom, "🕘 Timeline")
    timeline = team.tom.last().text
    assert f"🧾 Quote {quote.number} CNY 3,518.49 · issued" in timeline
    assert "“刀具升级”: Lead → Quoted" in timeline


async def test_a_second_price_for_the_same_product_is_warned_about(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, _ = await ready(bot, emulator, db)
    await build_quote(bot, team.tom, "CNC-100", "2", "5")
    await bot.press(team.tom, "📤 Submit")
    first = the_quote(db)
    # Same product, same price: no warning.
    await build_quote(bot, team.tom, "CNC-100", "4", "5")
    await bot.press(team.tom, "📤 Submit")
    assert the_quote(db).id != first.id and the_quote(db).status == "issued"
    # Another price: warned, Back returns to the summary, Submit anyway goes on.
    await build_quote(bot, team.tom, "CNC-100", "2", "8")
    await bot.press(team.tom, "📤 Submit")
    warning = team.tom.last()
    assert warning.text.startswith("⚠️ Customers hate two prices for one product.")
    assert f"CNY 950.00 in {first.number} (valid until 25 Dec 2026), now CNY 920.00" in (
        warning.text
    )
    assert warning.button_texts() == ["📤 Submit anyway", "◀ Back to the quote"]
    with db.session() as session:
        assert len(session.exec(select(Quote)).all()) == 2
    await bot.press(team.tom, "◀ Back to the quote")
    assert "Total CNY 1,840.00" in team.tom.last().text
    await bot.press(team.tom, "📤 Submit")
    await bot.press(team.tom, "📤 Submit anyway")
    with db.session() as session:
        assert len(session.exec(select(Quote)).all()) == 3
    assert the_quote(db).total == Decimal("1840.00")


async def test_a_customers_allowed_discount_set_by_a_director_needs_approval_beyond_it(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team, director = await ready(bot, emulator, db)
    # A rep has no Terms button and a forged one is refused.
    await bot.send(team.tom, "acme")
    await bot.press(team.tom, "Acme Machinery")
    assert "⚙️ Terms" not in team.tom.last().button_texts()
    customer_id = the_customer_id(db)
    await bot.settle(await team.tom.press_data(f"trm:{customer_id}"))
    assert team.tom.callback_answers[-1]["text"] == "You can't do that with your role."

    # A manager asks (⚙️ Ask for terms: finance decides), never sets them: no button, a forged
    # one refused.
    await bot.send(team.manager, "acme")
    await bot.press(team.manager, "Acme Machinery")
    assert "⚙️ Terms" not in team.manager.last().button_texts()
    assert "⚙️ Ask for terms" in team.manager.last().button_texts()
    await bot.settle(await team.manager.press_data(f"trm:{customer_id}"))
    assert team.manager.callback_answers[-1]["text"] == "You can't do that with your role."

    await bot.send(director, "acme")
    await bot.press(director, "Acme Machinery")
    await bot.press(director, "⚙️ Terms")
    assert "Allowed discount: no limit of its own" in director.last().text
    assert "choose with the buttons" in texts(await bot.send(director, "discount"))
    await bot.press(director, "Allowed discount")
    for nonsense in ("lots", "150", "-1", "7.505"):
        answer = texts(await bot.send(director, nonsense))
        assert "That is not a discount" in answer, nonsense
    assert the_customer_discount(db) is None
    saved = await bot.send(director, "7.5%")
    assert "✅ Allowed discount: 7.5%." in saved[0].text
    assert "discount up to 7.5%" in saved[1].text  # the card again
    assert the_customer_discount(db) == Decimal("7.50")

    # 5 % is within the rep's 10 % and above the lathe's floor, but beyond the customer's 7.5 %?
    await build_quote(bot, team.tom, "CNC-100", "2", "5")
    assert "Within your limits" in team.tom.last().text
    await bot.press(team.tom, "🗑 Remove the last line")
    await bot.send(team.tom, "lathe")
    await bot.press(team.tom, "CNC-100 · CNC lathe 100")
    await bot.send(team.tom, "2")
    await bot.send(team.tom, "8")
    summary = team.tom.last().text
    assert "⚠️ below the allowed price" in summary
    assert "Needs your manager's approval." in summary
    await bot.press(team.tom, "📤 Submit")
    assert the_quote(db).status == "pending_manager" and the_quote(db).below_floor

    # Payment terms and credit, with nonsense re-asked; "none" lifts the discount limit.
    await bot.press(director, "⚙️ Terms")
    await bot.press(director, "Payment terms")
    assert "not a number of days" in texts(await bot.send(director, "45.5"))
    assert "not a number of days" in texts(await bot.send(director, "999"))
    await bot.send(director, "45")
    await bot.press(director, "⚙️ Terms")
    await bot.press(director, "Credit limit")
    assert "not a credit limit" in texts(await bot.send(director, "-5"))
    await bot.send(director, "50,000")
    assert "terms 45 days · credit 50,000.00" in director.last().text
    await bot.press(director, "⚙️ Terms")
    await bot.press(director, "Allowed discount")
    await bot.send(director, "none")
    assert the_customer_discount(db) is None


def the_customer_id(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(Customer)).one().id  # type: ignore[return-value]


def the_customer_discount(db: Database) -> Decimal | None:
    with db.session() as session:
        return session.exec(select(Customer)).one().max_discount_pct
