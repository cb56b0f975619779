"""The whole path end to end: deal → quote needing approval → approved → PDF to the rep → sent
to the customer's linked contact → accepted → won → order → two partial payments."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Deal, DealStageChange, Quote, SalesOrder
from tests.flows import add_customer, link_contact, sales_team, texts
from tests.test_deals import create_deal
from tests.test_quotes import add_products


async def test_from_deal_to_cash(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    add_products(db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "¥8,500")

    # The contact links Telegram and agrees to messages.
    li = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 7101)

    # A quote beyond the rep's limit, approved by the manager.
    await bot.send(team.tom, "/quote")
    await bot.press(team.tom, "Lathes · Acme Machinery")
    await bot.send(team.tom, "CNC-100")
    await bot.press(team.tom, "CNC-100 · CNC lathe 100")
    await bot.send(team.tom, "10")
    await bot.press(team.tom, "15%")
    await bot.press(team.tom, "📤 Submit")
    await bot.press(team.manager, "✅ Approve")
    pdf = team.tom.last()
    with db.session() as session:
        quote = session.exec(select(Quote)).one()
    assert pdf.kind == "document" and pdf.filename == f"{quote.number}.pdf"
    assert pdf.button_texts() == ["📤 Send to Li Na", "📜 History"]

    # Sent to the contact, who accepts: the rep is told and the deal moves on.
    await bot.press(team.tom, "📤 Send to Li Na", pdf)
    assert bot.app is not None and bot.app.handler_errors == [], "after send"
    assert (
        team.tom.last().text
        == f"📤 Quote {quote.number} sent to Li Na. I'll tell you their answer."
    )
    offer = li.last()
    assert offer.kind == "document" and offer.filename == f"{quote.number}.pdf"
    assert offer.text.startswith(f"🧾 Quotation {quote.number} from Tom for Acme Machinery")
    assert offer.button_texts() == ["✅ Accept", "✖ Decline"]
    await bot.press(li, "✅ Accept")
    assert bot.app is not None and bot.app.handler_errors == [], "after accept"
    assert li.last().text.startswith("Thank you! Tom will prepare the contract")
    assert f"Li Na (Acme Machinery) accepted quote {quote.number}" in team.tom.last().text
    with db.session() as session:
        deal = session.exec(select(Deal)).one()
        moves = session.exec(select(DealStageChange).order_by(DealStageChange.id)).all()  # type: ignore[arg-type]
    assert deal.stage_key == "contract_review"
    assert [m.to_stage for m in moves] == ["lead", "quoted", "contract_review"]
    await bot.settle(await li.press_data(f"ct:qa:{quote.id}:no"))
    assert li.last().text == "This quote has already been answered."

    # Won → order → two partial payments.
    await bot.press(team.tom, "💼 Open the deal")
    await bot.press(team.tom, "→ Won")
    await bot.press(team.tom, "📦 Create the order")
    await bot.send(team.tom, "Dec 15")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "Tom")
    await bot.press(team.tom, "✅ One payment: CNY 8,500.00 due 14 Jan 2027")
    for amount, due in (("3000", "CNY 5,500.00"), ("5500", "CNY 0.00")):
        await bot.press(team.tom, "💰 Log a payment")
        await bot.send(team.tom, amount)
        await bot.press(team.tom, "Today")
        assert f"due {due}" in team.tom.last().text
    with db.session() as session:
        order = session.exec(select(SalesOrder)).one()
    assert order.paid_total == Decimal("8500.00")
    assert "due CNY 0.00" in texts(await bot.send(li, "/myorders"))
    # The customer's timeline tells the story with who did each step.
    await bot.send(team.manager, "acme")
    await bot.press(team.manager, "Acme Machinery")
    await bot.press(team.manager, "🕘 Timeline")
    first_page = team.manager.last().text
    await bot.press(team.manager, "Older ▶")
    story = first_page + "\n" + team.manager.last().text
    assert "· Tom\n💰 Payment CNY 5,500.00 on O-2026-00001" in story
    assert "· Tom\n📦 Order O-2026-00001: CNY 8,500.00" in story
    assert f"· Mei\n🧾 Quote CNY 8,500.00 approved: {quote.number}" in story
    assert f"· Tom\n🧾 Quote {quote.number} CNY 8,500.00 · issued" in story
