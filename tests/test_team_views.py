"""End to end: /funnel (open deals per stage, the forecast of the period, won and lost, the chart
and its numbers, a stage's deals and a deal's card) and /team (per rep, who needs help first),
their period buttons and typed ranges, a director's team picker, and scope: a manager never sees
another team, a rep only their own deals, forged buttons answer "Not found."."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.charts import PipelineBar
from bot.db import Database
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.handlers.funnel import chart_of
from bot.local import LocalBot
from bot.services import analytics, orders
from bot.services.analytics import PeriodKind, parse_range, period_of
from bot.services.deals import DealDraft, create_deal, move_stage
from bot.services.orders import InstalmentDraft, OrderDraft
from bot.services.visits import TouchDraft, log_touch
from models import Customer, Deal, LostReason, Role, Team, TouchKind
from tests.conftest import FakeClock
from tests.flows import (
    SalesTeam,
    actor_of,
    add_customer,
    link_contact,
    register,
    sales_team,
    texts,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 25 Nov, 10:00 in Shanghai
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def at(day: int, hour: int = 2, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def set_tier(db: Database, customer_id: int, tier: str) -> None:
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.tier = tier


def deal(
    db: Database,
    owner: SimUser,
    customer_id: int,
    title: str,
    amount: str,
    *,
    created: datetime,
    currency: str = "USD",
    close: date | None = None,
    stage: str | None = None,
    moved: datetime | None = None,
) -> int:
    """A deal through the services, created and (optionally) moved at the given instants."""
    actor = actor_of(db, owner.id)
    with db.session() as session:
        row = create_deal(
            session,
            actor,
            DealDraft(customer_id, title, Decimal(amount), currency, expected_close=close),
            now=created,
        )
        assert row.id is not None
        if stage is not None:
            reason = LostReason.PRICE if stage == "lost" else None
            move_stage(session, actor, row.id, stage, lost_reason=reason, now=moved or created)
        return row.id


def touch(
    db: Database,
    rep: SimUser,
    customer_id: int,
    kind: TouchKind,
    when: datetime,
    *,
    follow_up: datetime | None = None,
    has_time: bool = False,
) -> None:
    with db.session() as session:
        log_touch(
            session,
            actor_of(db, rep.id),
            TouchDraft(
                customer_id,
                kind,
                "talked",
                next_step="call back" if follow_up else None,
                follow_up_at=follow_up,
                follow_up_has_time=has_time,
            ),
            now=when,
        )


@dataclass
class Seeded:
    team: SalesTeam
    director: SimUser
    deals: dict[str, int]
    north: int
    south: int


async def seeded(bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock) -> Seeded:
    """Team North (Mei; Tom, Sara) and South (Ken), a director; deals, touches and an order
    with money overdue, every instant fixed (see the expected numbers in each test)."""
    clock.current = NOW
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dave")
    acme = add_customer(db, team.tom, "Acme Machinery", contact="Li Na")
    golden = add_customer(db, team.tom, "Golden Harvest Foods")
    hongda = add_customer(db, team.tom, "上海宏达机电有限公司")
    brightway = add_customer(db, team.tom, "Brightway Logistics")
    pacific = add_customer(db, team.sara, "Pacific Steel Works")
    southern = add_customer(db, team.ken, "Southern Mills")
    for customer in (acme, golden, hongda, pacific, southern):
        set_tier(db, customer, "A")
    set_tier(db, brightway, "B")

    ids = {
        # Tom: open deals
        "Lathes": deal(
            db,
            team.tom,
            acme,
            "Lathes",
            "20000",
            created=at(2),
            close=date(2026, 11, 28),
            stage="quoted",
            moved=at(10),
        ),
        "Pumps": deal(
            db, team.tom, golden, "Pumps", "5000", created=at(24), close=date(2026, 12, 15)
        ),
        "Belts": deal(
            db,
            team.tom,
            acme,
            "Belts",
            "50000",
            currency="CNY",
            created=at(4),
            close=date(2026, 11, 30),
        ),
        # Tom: closed
        "Presses": deal(
            db, team.tom, golden, "Presses", "8000", created=at(1, 0), stage="won", moved=at(21, 0)
        ),
        "Cranes": deal(
            db, team.tom, acme, "Cranes", "3000", created=at(5), stage="lost", moved=at(23)
        ),
        "Old": deal(
            db,
            team.tom,
            acme,
            "Old",
            "1000",
            created=at(1, 0, month=9),
            stage="won",
            moved=at(10, 0, month=10),
        ),
        # Sara
        "Mill": deal(db, team.sara, pacific, "Mill", "12000", created=at(6), stage="negotiation"),
        "Gears": deal(
            db,
            team.sara,
            pacific,
            "Gears",
            "4000",
            created=at(19, 12),
            stage="won",
            moved=at(24, 0),
        ),
        # Ken, team South
        "Conveyor": deal(
            db, team.ken, southern, "Conveyor", "100000", created=at(7), close=date(2026, 11, 27)
        ),
        "Silo": deal(
            db, team.ken, southern, "Silo", "9000", created=at(1), stage="won", moved=at(24)
        ),
    }
    # Touches: Tom visits Brightway (a follow-up promised for 20 Nov, a date alone), calls
    # Golden on Monday (a follow-up at 09:00 on Wednesday), visits Acme twice this week.
    touch(db, team.tom, brightway, TouchKind.VISIT, at(10), follow_up=at(19, 16))
    touch(db, team.tom, golden, TouchKind.CALL, at(23, 3), follow_up=at(25, 1), has_time=True)
    touch(db, team.tom, acme, TouchKind.VISIT, at(23, 4))
    touch(db, team.tom, acme, TouchKind.VISIT, at(24, 3))
    # Sara visits Pacific today, a follow-up for today (a date alone: not overdue yet).
    touch(db, team.sara, pacific, TouchKind.VISIT, at(25, 1), follow_up=at(24, 16))
    touch(db, team.ken, southern, TouchKind.VISIT, at(24))
    # Sara collects the Gears order: 1,500 due 20 Nov, 2,500 due 20 Dec; 500 paid.
    sara = actor_of(db, team.sara.id)
    with db.session() as session:
        order = orders.create_order(
            session,
            sara,
            OrderDraft(
                deal_id=ids["Gears"],
                delivery_date=date(2026, 11, 20),
                delivery_owner_id=sara.user_id,
                payment_owner_id=sara.user_id,
                instalments=[
                    InstalmentDraft(Decimal("1500"), date(2026, 11, 20)),
                    InstalmentDraft(Decimal("2500"), date(2026, 12, 20)),
                ],
            ),
            now=at(24),
        )
        assert order.id is not None
        orders.log_payment(
            session, sara, order.id, Decimal("500"), received_on=date(2026, 11, 22), now=at(24)
        )
    with db.session() as session:
        teams = {row.name: row.id or 0 for row in session.exec(select(Team))}
    return Seeded(team, director, ids, teams["North"], teams["South"])


def photo_and_text(answer: list[BotMessage]) -> tuple[BotMessage, BotMessage]:
    photo, text = answer[-2], answer[-1]
    assert photo.kind == "photo" and text.kind == "text", [m.kind for m in answer]
    return photo, text


MEI_MONTH = """📈 Funnel · North — this month, 1 Nov – 30 Nov 2026

Open deals (deals · value · weighted by stage probability)
• Lead (10%): 1 · USD 5,000.00 · weighted USD 500.00
• Qualified (25%): 0 · USD 0.00 · weighted USD 0.00
• Quoted (50%): 1 · USD 20,000.00 · weighted USD 10,000.00
• Negotiation (70%): 1 · USD 12,000.00 · weighted USD 8,400.00
• Contract review (90%): 0 · USD 0.00 · weighted USD 0.00
Total: 3 · USD 37,000.00 · weighted USD 18,900.00
Not in the chart (it shows USD): 1 · CNY 50,000.00 · weighted CNY 5,000.00

Forecast (expected to close this month, 1 Nov – 30 Nov 2026)
• Lead: 0 · USD 0.00 · weighted USD 0.00; 1 · CNY 50,000.00 · weighted CNY 5,000.00
• Quoted: 1 · USD 20,000.00 · weighted USD 10,000.00
Total: 1 · USD 20,000.00 · weighted USD 10,000.00; 1 · CNY 50,000.00 · weighted CNY 5,000.00
1 open deal without an expected close date.

Closed (this month, 1 Nov – 30 Nov 2026)
🏆 Won: 2 · USD 12,000.00
✖ Lost: 1 · USD 3,000.00
Win rate: 67% · Average days to close: 12.3

Tap a stage for its deals."""


def bars(*rows: tuple[str, int, str, str]) -> list[PipelineBar]:
    return [PipelineBar(name, count, Decimal(value), Decimal(w)) for name, count, value, w in rows]


async def test_manager_funnel_numbers_chart_and_periods(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    mei = seed.team.manager
    photo, text = photo_and_text(await bot.send(mei, "/funnel"))
    assert text.text == MEI_MONTH
    assert photo.text.startswith("📈 Funnel · North: open deals by stage in USD")
    assert text.button_texts() == [
        "Lead (2)",
        "Quoted (1)",
        "Negotiation (1)",
        "✓ This month",
        "This quarter",
        "📅 Choose days",
    ]
    # The chart's own figures, and the very picture the bot sent.
    with db.session() as session:
        scope = analytics.resolve_scope(session, actor_of(db, mei.id), "my")
        funnel = analytics.funnel(
            session,
            actor_of(db, mei.id),
            scope=scope,
            period=period_of(PeriodKind.MONTH, date(2026, 11, 25)),
            currency="USD",
        )
    chart = chart_of(bot.deps.renderer, "en", funnel, bot.deps.documents.font)
    assert chart.bars == bars(
        ("Lead", 1, "5000.00", "500.00"),
        ("Qualified", 0, "0.00", "0.00"),
        ("Quoted", 1, "20000.00", "10000.00"),
        ("Negotiation", 1, "12000.00", "8400.00"),
        ("Contract review", 0, "0.00", "0.00"),
        ("Forecast", 1, "20000.00", "10000.00"),
    )
    sent = emulator.file(photo.file_id or "").content
    assert sent.startswith(PNG_SIGNATURE) and sent == chart.png

    # This quarter: Pumps (15 Dec) joins the forecast; the October win joins the closed.
    photo, text = photo_and_text(await bot.press(mei, "This quarter"))
    assert "— this quarter, 1 Oct – 31 Dec 2026" in text.text
    assert "• Lead: 1 · USD 5,000.00 · weighted USD 500.00; 1 · CNY 50,000.00" in text.text
    assert (
        "Total: 2 · USD 25,000.00 · weighted USD 10,500.00; 1 · CNY 50,000.00 · weighted "
        "CNY 5,000.00" in text.text
    )
    assert "🏆 Won: 3 · USD 13,000.00\n✖ Lost: 1 · USD 3,000.00" in text.text
    assert "Win rate: 75% · Average days to close: 21.2" in text.text
    assert "✓ This quarter" in text.button_texts()
    # Ken's (team South) deals never appear.
    assert "100,000" not in text.text and "Silo" not in text.text
    assert photo.kind == "photo"


async def test_funnel_stage_list_deal_card_and_back(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    mei = seed.team.manager
    await bot.send(mei, "/funnel")
    await bot.press(mei, "Lead (2)")
    listing = mei.last()
    assert listing.text.startswith("📈 Lead · North: 2 open deals")
    assert (
        "• Belts · Acme Machinery · CNY 50,000.00 · 10% · closes 30 Nov 2026 · Tom" in listing.text
    )
    assert "• Pumps · Golden Harvest Foods · USD 5,000.00 · 10% · closes 15 Dec 2026 · Tom" in (
        listing.text
    )
    assert listing.button_texts() == [
        "Belts · Acme Machinery",
        "Pumps · Golden Harvest Foods",
        "◀ Back to the funnel",
    ]
    await bot.press(mei, "◀ Back to the funnel")
    assert mei.last().text == MEI_MONTH
    await bot.press(mei, "Quoted (1)")
    await bot.press(mei, "Lathes · Acme Machinery")
    card = mei.last()
    assert "💼 Lathes" in card.text and "Stage: Quoted" in card.text
    with db.session() as session:
        lathes = session.get(Deal, seed.deals["Lathes"])
        assert lathes is not None and lathes.stage_key == "quoted"


async def test_stage_list_pages(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = NOW
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery")
    for n in range(1, 11):
        deal(db, team.tom, acme, f"Deal {n:02d}", "100", created=at(n), close=date(2026, 12, n))
    await bot.send(team.tom, "/funnel")
    await bot.press(team.tom, "Lead (10)")
    first = team.tom.last()
    assert "10 open deals (page 1 of 2)" in first.text
    assert first.button_texts()[0] == "Deal 01 · Acme Machinery"
    assert first.button_texts()[-2:] == ["Next ▶", "◀ Back to the funnel"]
    await bot.press(team.tom, "Next ▶")
    second = team.tom.last()
    assert "(page 2 of 2)" in second.text
    assert second.button_texts() == [
        "Deal 09 · Acme Machinery",
        "Deal 10 · Acme Machinery",
        "◀ Previous",
        "◀ Back to the funnel",
    ]
    # A page past the end, forged: Not found.
    await bot.settle(await team.tom.press_data("fun:s:my:month:lead:2"))
    assert team.tom.callback_answers[-1]["text"] == "Not found."


async def test_rep_funnel_is_their_own(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    _, text = photo_and_text(await bot.send(seed.team.tom, "/funnel"))
    assert text.text.startswith("📈 Funnel · your deals — this month")
    assert "Total: 2 · USD 25,000.00 · weighted USD 10,500.00" in text.text
    assert "🏆 Won: 1 · USD 8,000.00\n✖ Lost: 1 · USD 3,000.00" in text.text
    assert "Win rate: 50% · Average days to close: 20.0" in text.text
    assert "Negotiation (1)" not in text.button_texts()  # Sara's
    assert "👥 Pick a team" not in text.button_texts()


async def test_director_picks_a_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    dave = seed.director
    _, text = photo_and_text(await bot.send(dave, "/funnel"))
    assert text.text.startswith("📈 Funnel · all teams — this month")
    assert "• Lead (10%): 2 · USD 105,000.00 · weighted USD 10,500.00" in text.text
    assert "🏆 Won: 3 · USD 21,000.00" in text.text
    await bot.press(dave, "👥 Pick a team")
    assert dave.last().button_texts() == ["All teams", "North", "South"]
    photo, text = photo_and_text(await bot.press(dave, "South"))
    assert text.text.startswith("📈 Funnel · South — this month")
    assert "Total: 1 · USD 100,000.00 · weighted USD 10,000.00" in text.text
    assert "🏆 Won: 1 · USD 9,000.00\n✖ Lost: 0" in text.text
    assert photo.text.startswith("📈 Funnel · South")


async def test_forged_funnel_buttons_answer_not_found(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    mei, tom = seed.team.manager, seed.team.tom
    await bot.send(mei, "/funnel")
    before = len(mei.messages)
    forged = [
        f"fun:v:t{seed.south}:month",  # another team
        f"fun:s:t{seed.south}:month:lead:0",
        "fun:s:my:month:won:0",  # not an open stage
        "fun:s:my:month:nosuch:0",
        "fun:v:my:year",  # no such period
        "fun:v:my:r20261301-20261130",
        "fun:v:my:r20250101-20261130",  # longer than a year
        "fun:teams:month",  # a manager has no team picker
        "fun:range:t999",
        f"deal:open:{seed.deals['Conveyor']}",  # Ken's deal
        "fun:s:my:month",
    ]
    for data in forged:
        await bot.settle(await mei.press_data(data))
        expected = (
            "You can't do that with your role." if data == "fun:teams:month" else "Not found."
        )
        assert mei.callback_answers[-1]["text"] == expected, data
    await bot.settle(await tom.press_data(f"fun:v:t{seed.north}:month"))
    assert tom.callback_answers[-1]["text"] == "Not found."
    assert len(mei.messages) == before  # nothing was shown
    # A missing team and another team's answer alike.
    await bot.settle(await mei.press_data("fun:v:t99999:month"))
    assert mei.callback_answers[-1]["text"] == "Not found."


async def test_funnel_typed_range_with_nonsense_first(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    mei = seed.team.manager
    await bot.send(mei, "/funnel")
    await bot.press(mei, "📅 Choose days")
    assert mei.last().text.startswith("📅 Which days? Type the first and the last day")
    for nonsense in (
        "whenever",
        "30 Nov - 1 Nov",
        "2025-01-01 to 2026-12-31",
        "2026-13-01 to 2026-12-01",
    ):
        answer = await bot.send(mei, nonsense)
        assert len(answer) == 1 and answer[0].text.startswith(
            f'I couldn\'t read "{nonsense}" as two days'
        ), nonsense
    answer = await bot.send(mei, "1 Oct - 15 Nov")
    photo, text = photo_and_text(answer)
    assert text.text.startswith("📈 Funnel · North — chosen days, 1 Oct – 15 Nov 2026")
    assert "No open deal is expected to close then." in text.text
    assert "🏆 Won: 1 · USD 1,000.00\n✖ Lost: 0" in text.text
    assert "Win rate: 100% · Average days to close: 39.0" in text.text
    assert "✓ 📅 Choose days" in text.button_texts()
    # The range travels with the buttons: a stage and back keep it.
    await bot.press(mei, "Lead (2)")
    await bot.press(mei, "◀ Back to the funnel")
    assert "chosen days, 1 Oct – 15 Nov 2026" in mei.last().text
    assert photo.kind == "photo"
    # The conversation is over: text is a search again, not a range.
    assert "Which days" not in texts(await bot.send(mei, "acme"))


TEAM_WEEK = "\n".join(
    [
        "👥 Team · North — this week, 23 Nov – 29 Nov 2026",
        "Who needs help first: most overdue follow-ups, then most money"
        " overdue, then the tier-A customer left longest without a touch.",
        "",
        "1. Tom",
        "🚗 2 visits · 📞 1 call · 💼 1 new deal",
        "🏆 Won 0 · ✖ Lost 1 (USD 3,000.00) · win rate 0%",
        "⚠️ 2 overdue follow-ups",
        "⭐ Tier A, last touch: 上海宏达机电有限公司 never, Golden Harvest Foods 2 days"
        " ago, Acme Machinery 1 day ago",
        "",
        "2. Sara",
        "🚗 1 visit · 📞 0 calls · 💼 0 new deals",
        "🏆 Won 1 (USD 4,000.00) · ✖ Lost 0 · win rate 100% · 4.5 days to close",
        "⚠️ 0 overdue follow-ups · 💰 USD 1,000.00 overdue to collect",
        "⭐ Tier A, last touch: Pacific Steel Works 0 days ago",
    ]
)


async def test_manager_team_week_month_and_range(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    mei = seed.team.manager
    [answer] = await bot.send(mei, "/team")
    assert answer.text == TEAM_WEEK
    assert answer.button_texts() == ["✓ This week", "This month", "📅 Choose days"]
    assert "Ken" not in answer.text
    await bot.press(mei, "This month")
    month = mei.last().text
    assert month.startswith("👥 Team · North — this month, 1 Nov – 30 Nov 2026")
    assert (
        "1. Tom\n🚗 3 visits · 📞 1 call · 💼 5 new deals\n🏆 Won 1 (USD 8,000.00) · ✖ Lost 1 "
        "(USD 3,000.00) · win rate 50% · 20.0 days to close" in month
    )
    assert "2. Sara\n🚗 1 visit · 📞 0 calls · 💼 2 new deals" in month
    await bot.press(mei, "📅 Choose days")
    unclear = await bot.send(mei, "nope")
    assert unclear[-1].text.startswith('I couldn\'t read "nope" as two days')
    [report] = await bot.send(mei, "2026-11-23 to 2026-11-23")
    assert report.text.startswith("👥 Team · North — chosen days, 23 Nov – 23 Nov 2026")
    assert "1. Tom\n🚗 1 visit · 📞 1 call · 💼 0 new deals\n🏆 Won 0 · ✖ Lost 1" in report.text
    assert "2. Sara\n🚗 0 visits" in report.text


async def test_team_refuses_reps_and_forged_buttons(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    tom, mei = seed.team.tom, seed.team.manager
    [answer] = await bot.send(tom, "/team")
    assert answer.text == "You can't do that with your role."
    await bot.settle(await tom.press_data("team:v:my:week"))
    assert tom.callback_answers[-1]["text"] == "You can't do that with your role."
    await bot.send(mei, "/team")
    for data in (
        f"team:v:t{seed.south}:week",
        "team:v:my:quarter",  # /team has no quarter
        "team:v:my",
        f"team:range:t{seed.south}",
    ):
        await bot.settle(await mei.press_data(data))
        assert mei.callback_answers[-1]["text"] == "Not found.", data


async def test_director_team_all_and_one(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    dave = seed.director
    [answer] = await bot.send(dave, "/team")
    assert answer.text.startswith("👥 Team · all teams — this week")
    assert "1. Tom (North)" in answer.text and "2. Sara (North)" in answer.text
    assert "3. Ken (South)\n🚗 1 visit · 📞 0 calls · 💼 0 new deals\n🏆 Won 1 (USD 9,000.00)" in (
        answer.text
    )
    assert "⭐ Tier A, last touch: Southern Mills 1 day ago" in answer.text
    await bot.press(dave, "👥 Pick a team")
    await bot.press(dave, "South")
    south = dave.last().text
    assert south.startswith("👥 Team · South — this week") and "Tom" not in south


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 Nov - 30 Nov", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-10-01 to 2026-12-31", (date(2026, 10, 1), date(2026, 12, 31))),
        ("11月1日至11月30日", (date(2026, 11, 1), date(2026, 11, 30))),
        ("1 Dec – 15 Jan 2027", (date(2026, 12, 1), date(2027, 1, 15))),
        ("2026-11-01 2026-11-07", (date(2026, 11, 1), date(2026, 11, 7))),
        ("whenever", None),
        ("30 Nov - 1 Nov", None),
        ("1 Nov 9am - 30 Nov", None),
        ("2025-01-01 to 2026-12-31", None),
        ("", None),
    ],
)
def test_typed_ranges(typed: str, expected: tuple[date, date] | None) -> None:
    found = parse_range(typed, now=NOW, zone="Asia/Shanghai")
    assert (None if found is None else (found.first, found.last)) == expected


async def test_range_step_re_asks_for_a_location_and_leaves_with_cancel(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    mei = seed.team.manager
    await bot.send(mei, "/team")
    await bot.press(mei, "📅 Choose days")
    await bot.settle(await mei.send_location(31.2, 121.5))
    assert mei.last().text == (
        "Let's finish this first: answer the question above, or send /cancel to leave it."
    )
    await bot.send(mei, "/cancel")
    assert mei.last().text == "Cancelled. Nothing was saved."
    assert "Which days" not in texts(await bot.send(mei, "Acme"))


async def test_chinese_manager_reads_funnel_chart_and_team_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    seed = await seeded(bot, emulator, db, clock)
    mei = seed.team.manager
    await bot.send(mei, "/language")
    await bot.press(mei, "中文")
    photo, text = photo_and_text(await bot.send(mei, "/funnel"))
    assert text.text.startswith("📈 销售漏斗 · North——本月，11月1日 – 2026年11月30日")
    assert "• 已报价（50%）：1 个 · US$20,000.00 · 加权 US$10,000.00" in text.text
    assert "赢单率：67% · 平均成交天数：12.3" in text.text
    assert text.button_texts()[:3] == ["线索（2）", "已报价（1）", "谈判中（1）"]
    assert photo.text.startswith("📈 销售漏斗 · North：各阶段进行中的商机（USD）")
    with db.session() as session:
        actor = actor_of(db, mei.id)
        funnel = analytics.funnel(
            session,
            actor,
            scope=analytics.resolve_scope(session, actor, "my"),
            period=period_of(PeriodKind.MONTH, date(2026, 11, 25)),
            currency="USD",
        )
    chart = chart_of(bot.deps.renderer, "zh", funnel, bot.deps.documents.font)
    assert [bar.name for bar in chart.bars] == [
        "线索",
        "已确认需求",
        "已报价",
        "谈判中",
        "合同审核",
        "预测",
    ]
    assert emulator.file(photo.file_id or "").content == chart.png
    [report] = await bot.send(mei, "/team")
    assert report.text.startswith("👥 团队 · North——本周，11月23日 – 2026年11月29日")
    assert "1. Tom\n🚗 拜访 2 次 · 📞 电话 1 个 · 💼 新商机 1 个" in report.text
    assert "⚠️ 逾期跟进 0 个 · 💰 逾期待收 US$1,000.00" in report.text
    assert report.button_texts() == ["✓ 本周", "本月", "📅 自选日期"]


REFUSED = "You can't do that with your role."


async def test_role_matrix_for_funnel_and_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    """/funnel, /team and a North stage button × every kind of person."""
    seed = await seeded(bot, emulator, db, clock)
    team = seed.team
    south_manager = await register(bot, emulator, team.admin, Role.MANAGER, 5401, "Sam", "South")
    finance = await register(bot, emulator, team.admin, Role.FINANCE, 5402, "Fay")
    contact = await link_contact(bot, emulator, team.tom, "acme", "Acme Machinery", "Li Na", 5501)
    stranger = emulator.user(5999, "Stranger")
    north_lead = f"fun:s:t{seed.north}:month:lead:0"
    # person → (first line of /funnel's text, of /team's, the answer to the North stage button)
    matrix: list[tuple[SimUser, str, str, str]] = [
        (team.tom, "📈 Funnel · your deals — this month", REFUSED, "Not found."),
        (team.ken, "📈 Funnel · your deals — this month", REFUSED, "Not found."),
        (team.manager, "📈 Funnel · North — this month", "👥 Team · North — this week", ""),
        (
            south_manager,
            "📈 Funnel · South — this month",
            "👥 Team · South — this week",
            "Not found.",
        ),
        (
            seed.director,
            "📈 Funnel · all teams — this month",
            "👥 Team · all teams — this week",
            "",
        ),
        (team.admin, "📈 Funnel · all teams — this month", "👥 Team · all teams — this week", ""),
        (finance, "📈 Funnel · all teams — this month", "👥 Team · all teams — this week", ""),
    ]
    for person, funnel_line, team_line, button in matrix:
        answer = await bot.send(person, "/funnel")
        assert answer[-1].text.split(",")[0].startswith(funnel_line.split(",")[0]), (
            person.first_name
        )
        answer = await bot.send(person, "/team")
        assert answer[-1].text.startswith(team_line), person.first_name
        before = len(person.callback_answers)
        await bot.settle(await person.press_data(north_lead))
        if button:
            assert person.callback_answers[-1]["text"] == button, person.first_name
        else:
            assert len(person.callback_answers) == before + 1
            assert person.last().text.startswith("📈 Lead · North: 2 open deals"), person.first_name
    # A customer's contact and a stranger get no staff view.
    for outsider in (contact, stranger):
        for command in ("/funnel", "/team"):
            answer = await bot.send(outsider, command)
            assert not any(
                "Funnel" in message.text or "Team ·" in message.text for message in answer
            ), (outsider.first_name, command)
            assert answer, (outsider.first_name, command)
    assert stranger.last().text.startswith("Hello! I am the sales team's assistant")
