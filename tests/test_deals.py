"""End to end: creating deals, the board with totals, stage moves recorded with who and when, a
lost deal's reason, and forged buttons for someone else's deal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import col, select

from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import Deal, DealStageChange, SalesOrder
from tests.conftest import FakeClock
from tests.flows import SalesTeam, actor_of, add_customer, make_order, sales_team, texts


async def seeded(bot: LocalBot, emulator: BotAPIEmulator, db: Database) -> SalesTeam:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    add_customer(db, team.tom, "上海宏达机电有限公司")
    add_customer(db, team.sara, "Pacific Steel Works")
    return team


async def create_deal(
    bot: LocalBot, rep: object, customer: str, title: str, amount: str, close: str = "Skip"
) -> None:
    from bot.emulator import SimUser

    assert isinstance(rep, SimUser)
    await bot.send(rep, "/deal")
    await bot.press(rep, customer)
    await bot.send(rep, title)
    await bot.send(rep, amount)
    if close == "Skip":
        await bot.press(rep, "Skip")
    else:
        await bot.send(rep, close)
    await bot.press(rep, "Within 3 months")
    await bot.press(rep, "Trade show")


def all_deals(db: Database) -> list[Deal]:
    with db.session() as session:
        return list(session.exec(select(Deal).order_by(Deal.id)))  # type: ignore[arg-type]


def moves(db: Database) -> list[DealStageChange]:
    with db.session() as session:
        return list(session.exec(select(DealStageChange).order_by(DealStageChange.id)))  # type: ignore[arg-type]


async def test_create_a_deal_with_amount_close_date_timeframe_and_source(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "/deal")
    await bot.press(team.tom, "Acme Machinery")
    assert "New deal with Acme Machinery" in team.tom.last().text
    await bot.send(team.tom, "20 CNC lathes")
    assert "How much is it worth?" in team.tom.last().text
    assert "couldn't read “lots” as an amount" in texts(await bot.send(team.tom, "lots"))
    await bot.send(team.tom, "1.2万")
    assert "couldn't read “someday” as a date" in texts(await bot.send(team.tom, "someday"))
    assert "is in the past" in texts(await bot.send(team.tom, "yesterday"))
    await bot.send(team.tom, "end of month")
    await bot.press(team.tom, "Within 3 months")
    await bot.press(team.tom, "Trade show")

    card = team.tom.last()
    assert "💼 20 CNC lathes" in card.text
    assert "Value: USD 12,000.00 · 10% → USD 1,200.00" in card.text
    assert "Stage: Lead" in card.text and "Expected close: Mon 30 Nov 2026" in card.text
    assert "Buying: within 3 months" in card.text and "Source: trade show" in card.text
    assert card.button_texts()[:3] == ["🧾 Quote", "→ Qualified", "→ Quoted"]
    [deal] = all_deals(db)
    assert deal.amount == Decimal("12000.00") and deal.currency == "USD"
    assert deal.expected_close == date(2026, 11, 30) and deal.timeframe == "3m"
    assert deal.source == "trade_show" and deal.stage_key == "lead" and deal.probability == 10
    [created] = moves(db)
    assert created.from_stage is None and created.to_stage == "lead"


async def test_deal_from_the_customer_card_with_currency_symbol(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await bot.send(team.tom, "宏达")
    await bot.press(team.tom, "上海宏达机电有限公司")
    await bot.press(team.tom, "💼 New deal")
    await bot.send(team.tom, "Spare parts")
    await bot.send(team.tom, "¥3000")
    await bot.press(team.tom, "Skip")
    await bot.press(team.tom, "Skip")
    await bot.press(team.tom, "Skip")
    assert "Value: CNY 3,000.00" in team.tom.last().text
    [deal] = all_deals(db)
    assert deal.currency == "CNY" and deal.timeframe is None and deal.source is None


async def test_stage_moves_are_recorded_with_who_and_when(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await seeded(bot, emulator, db)
    await create_deal(bot, team.tom, "Acme Machinery", "20 CNC lathes", "12k")
    await bot.press(team.tom, "→ Quoted")
    assert "Stage: Quoted" in team.tom.last().text and "50% → USD 6,000.00" in team.tom.last().text
    await bot.press(team.tom, "→ Won")
    [deal] = all_deals(db)
    assert deal.stage_key == "won" and deal.probability == 100 and deal.closed_at == clock()
    tom = actor_of(db, team.tom.id)
    assert [(m.from_stage, m.to_stage, m.changed_by_id) for m in moves(db)] == [
        (None, "lead", tom.user_id),
        ("lead", "quoted", tom.user_id),
        ("quoted", "won", tom.user_id),
    ]


async def test_lost_needs_a_reason_and_other_takes_words(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "12k")
    await bot.press(team.tom, "→ Lost")
    assert team.tom.last().button_texts() == [
        "Price",
        "Competitor",
        "Timing",
        "No budget",
        "Other…",
        "◀ Back to the deal",
    ]
    assert all_deals(db)[0].stage_key == "lead"
    await bot.press(team.tom, "Competitor")
    assert "Stage: Lost (competitor)" in team.tom.last().text
    assert moves(db)[-1].lost_reason == "competitor"

    await create_deal(bot, team.tom, "Acme Machinery", "Spindles", "5k")
    await bot.press(team.tom, "→ Lost")
    await bot.press(team.tom, "Other…")
    assert "why was it lost" in team.tom.last().text
    answer = await bot.send(team.tom, "Factory closed down")
    assert "Stage: Lost (other: Factory closed down)" in answer[0].text
    spindles = all_deals(db)[1]
    assert spindles.lost_reason == "other" and spindles.lost_note == "Factory closed down"


async def test_board_lists_open_deals_by_stage_with_weighted_totals(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "12k")
    await create_deal(bot, team.tom, "Acme Machinery", "Spindles", "$8,000")
    await bot.press(team.tom, "→ Negotiation")
    await create_deal(bot, team.tom, "Acme Machinery", "Old one", "1000")
    await bot.press(team.tom, "→ Won")
    await create_deal(bot, team.sara, "Pacific Steel Works", "Steel", "50k")

    board = (await bot.send(team.tom, "/deals"))[0]
    assert "Open deals (2): USD 20,000.00, weighted USD 6,800.00" in board.text
    assert "Lead · USD 12,000.00" in board.text and "Negotiation · USD 8,000.00" in board.text
    assert "Steel" not in board.text and "Old one" not in board.text
    assert board.button_texts() == ["Lathes · Acme Machinery", "Spindles · Acme Machinery"]
    team_board = (await bot.send(team.manager, "/deals"))[0]
    assert "Open deals (3)" in team_board.text and "Steel · Pacific Steel Works" in team_board.text
    assert "No open deals" in texts(await bot.send(team.ken, "/deals"))


async def test_forged_callbacks_for_another_reps_deal_change_nothing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    await create_deal(bot, team.sara, "Pacific Steel Works", "Steel", "50k")
    [deal] = all_deals(db)
    for data in (
        f"deal:open:{deal.id}",
        f"deal:mv:{deal.id}:won",
        f"deal:lost:{deal.id}",
        f"deal:lr:{deal.id}:price",
        f"dl:new:{deal.customer_id}",
        f"vis:new:{deal.customer_id}",
    ):
        await bot.settle(await team.tom.press_data(data))
        assert team.tom.callback_answers[-1]["text"] == "Not found.", data
    await bot.settle(await team.ken.press_data(f"deal:mv:{deal.id}:won"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    assert all_deals(db)[0].stage_key == "lead" and len(moves(db)) == 1
    # Her manager may move it.
    await bot.settle(await team.manager.press_data(f"deal:mv:{deal.id}:qualified"))
    assert all_deals(db)[0].stage_key == "qualified"
    assert moves(db)[-1].changed_by_id == actor_of(db, team.manager.id).user_id


async def test_admin_sets_a_stage_probability_that_new_moves_take(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await seeded(bot, emulator, db)
    shown = texts(await bot.send(team.admin, "/pipeline"))
    assert "3. Quoted quoted · 50% · 14 days (default)" in shown and "6. Won won · 100%" in shown
    assert "Saved." in texts(await bot.send(team.admin, "/pipeline quoted 40%"))
    for nonsense in (
        "/pipeline quoted lots",
        "/pipeline won 50",
        "/pipeline nowhere 5",
        "/pipeline quoted 101",
    ):
        assert "like /pipeline quoted 40" in texts(await bot.send(team.admin, nonsense)), nonsense
    assert (
        texts(await bot.send(team.tom, "/pipeline quoted 90"))
        == "You can't do that with your role."
    )

    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "10k")
    await bot.press(team.tom, "→ Quoted")
    assert "40% → USD 4,000.00" in team.tom.last().text
    assert all_deals(db)[0].probability == 40


async def test_a_won_deal_with_an_order_stays_won(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Its card offers no stage moves, and every way of moving it (a stage button, Lost with a
    reason, Lost with a note) is refused naming the order; stage, order and history stay."""
    team = await seeded(bot, emulator, db)
    customer_id = add_customer(db, team.tom, "Orbit Pumps")
    order_id, _ = make_order(
        db, team.tom, team.tom, customer_id, "Pumps", [("5000", date(2026, 12, 20))]
    )
    with db.session() as session:
        order = session.get(SalesOrder, order_id)
        assert order is not None
        deal_id, number = order.deal_id, order.number
    card = (await bot.send(team.tom, "/deals"))[0]
    await bot.settle(await team.tom.press_data(f"deal:open:{deal_id}", card))
    shown = team.tom.last()
    assert "Won" in shown.text
    assert not [b for b in shown.button_texts() if b.startswith("→")]
    refusal = f"This deal has order {number}, so it stays won: the order bills it."
    for data in (
        f"deal:mv:{deal_id}:qualified",
        f"deal:mv:{deal_id}:lead",
        f"deal:lost:{deal_id}",
        f"deal:lr:{deal_id}:price",
        f"deal:lr:{deal_id}:other",
    ):
        await bot.settle(await team.tom.press_data(data, shown))
        assert team.tom.last().text == refusal, data
    assert texts(await bot.send(team.tom, "never mind")) != refusal  # no flow was left open
    with db.session() as session:
        deal = session.get(Deal, deal_id)
        moves = session.exec(
            select(DealStageChange).where(DealStageChange.deal_id == deal_id)
        ).all()
        assert deal is not None and deal.stage_key == "won"
        assert session.get(SalesOrder, order_id) is not None
    assert [move.to_stage for move in moves] == ["lead", "won"]


async def test_two_people_moving_one_deal_do_not_overwrite_each_other(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    """Tom and his manager have the same card open; Tom moves it first. The manager's press on
    the card he still sees changes nothing: he is told and shown where it is now, and moves it
    from there if he still wants to. The same for → Lost and its reasons."""
    team = await seeded(bot, emulator, db)
    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "12k")
    [deal] = all_deals(db)
    tom_card = (await bot.send(team.tom, "/deals"))[0]
    await bot.settle(await team.tom.press_data(f"deal:open:{deal.id}", tom_card))
    mei_card = (await bot.send(team.manager, "/deals"))[0]
    await bot.settle(await team.manager.press_data(f"deal:open:{deal.id}", mei_card))

    await bot.press(team.tom, "→ Quoted", tom_card)
    await bot.press(team.manager, "→ Negotiation", mei_card)
    assert mei_card.text.startswith(
        "⚠️ Someone moved this deal while you had it open: it is now in Quoted"
    )
    assert "Stage: Quoted" in mei_card.text
    with db.session() as session:
        assert session.get(Deal, deal.id).stage_key == "quoted"  # type: ignore[union-attr]

    await bot.press(team.tom, "→ Negotiation", tom_card)
    await bot.press(team.manager, "→ Lost", mei_card)  # his card is behind again
    assert "it is now in Negotiation" in mei_card.text
    await bot.press(team.manager, "→ Lost", mei_card)
    await bot.press(team.tom, "→ Contract review", tom_card)
    await bot.press(team.manager, "Price", mei_card)
    assert "it is now in Contract review" in mei_card.text
    await bot.press(team.manager, "→ Won", mei_card)
    assert "Moved to Won." in mei_card.text
    with db.session() as session:
        moves = session.exec(
            select(DealStageChange.to_stage)
            .where(DealStageChange.deal_id == deal.id)
            .order_by(col(DealStageChange.id))
        ).all()
    assert moves == ["lead", "quoted", "negotiation", "contract_review", "won"]
