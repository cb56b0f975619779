"""End to end: the manager's digest, on demand with /digest and at DIGEST_TIME in the reader's
zone (across a daylight-saving change), once a day; a manager sees their team, a director every
team; an empty day is one line; the funnel comes as a PNG."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from bot.charts import FunnelStage, funnel_png
from bot.db import Database
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.reminders.producers.digest import CAPTION_LIMIT, digest_text
from bot.rendering import MESSAGE_LIMIT, Renderer, visible_length
from bot.services import orders
from bot.services.digest import (
    ClosedDeal,
    Digest,
    FunnelRow,
    OverdueFollowUp,
    PersonDay,
    QuoteItem,
    StageMove,
)
from bot.services.orders import InstalmentDraft, OpenInstalment, OrderDraft
from bot.services.visits import TouchDraft, log_touch
from models import Deal, OutboxMessage, Role, TouchKind
from tests.conftest import FakeClock
from tests.flows import SalesTeam, actor_of, add_customer, register, sales_team, set_zone
from tests.test_deals import create_deal
from tests.test_quotes import add_products, build_quote

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
WEDNESDAY = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # the digest's day, 10:00 in Shanghai

MEI_DIGEST = """📊 Digest · North — Wed 25 Nov 2026

Touches: 3
• Tom: 1 visit, 1 call
• Sara: 1 meeting

Stage moves: 1
• Lathes · Acme Machinery: Lead → Negotiation (Tom)

Won: 1
🏆 Presses · Pacific Steel Works: CNY 8,000.00 (Sara)

Lost: 1
✖ Pumps · Golden Harvest Foods: USD 5,000.00 (Tom) — other: they closed the plant

New quotes: 1
🧾 Acme Machinery · Lathes: CNY 8,500.00 (Tom) — waiting for the manager

Waiting for approval: 1
⏳ Acme Machinery · Lathes: CNY 8,500.00 (Tom) — waiting for the manager since 25 Nov 10:00

Overdue
• Sara: 💰 CNY 6,000.00 in 1 payment (Pacific Steel Works)
• Tom: ⚠️ 1 follow-up (Golden Harvest Foods)

Open deals: 2 deals · CNY 50,000.00 + USD 20,000.00
Not in the chart (it shows USD): Lead 1 · CNY 50,000.00"""

THURSDAY_DIGEST = """📊 Digest · North — Thu 26 Nov 2026

Touches: 0
No touches: Sara, Tom

Waiting for approval: 1
⏳ Acme Machinery · Lathes: CNY 8,500.00 (Tom) — waiting for the manager since 25 Nov 10:00

Overdue
• Sara: ⚠️ 1 follow-up (Pacific Steel Works) · 💰 CNY 10,000.00 in 2 payments (Pacific Steel Works)
• Tom: ⚠️ 1 follow-up (Golden Harvest Foods)

Open deals: 2 deals · CNY 50,000.00 + USD 20,000.00
Not in the chart (it shows USD): Lead 1 · CNY 50,000.00"""


def deal_id(db: Database, title: str) -> int:
    with db.session() as session:
        deal = session.exec(select(Deal).where(Deal.title == title)).one()
        assert deal.id is not None
        return deal.id


def won_with_order(
    db: Database, rep: SimUser, title: str, schedule: list[tuple[str, date]]
) -> None:
    """The won deal's order, collected by the rep, through the service (the flow refuses due
    dates in the past; this sets up money that is already late)."""
    actor = actor_of(db, rep.id)
    with db.session() as session:
        orders.create_order(
            session,
            actor,
            OrderDraft(
                deal_id=deal_id(db, title),
                delivery_date=date(2026, 11, 20),
                delivery_owner_id=actor.user_id,
                payment_owner_id=actor.user_id,
                instalments=[InstalmentDraft(Decimal(amount), due) for amount, due in schedule],
            ),
            now=MONDAY,
        )


def touch(db: Database, rep: SimUser, customer_id: int, kind: TouchKind, now: datetime) -> None:
    with db.session() as session:
        log_touch(session, actor_of(db, rep.id), TouchDraft(customer_id, kind, "talked"), now=now)


async def open_deal(bot: LocalBot, rep: SimUser, title: str, db: Database) -> BotMessage:
    await bot.settle(await rep.press_data(f"deal:open:{deal_id(db, title)}"))
    return rep.last()


async def busy_day(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> tuple[SalesTeam, SimUser]:
    """Monday: customers, deals, orders and promised follow-ups. Wednesday (the digest's day):
    visits by Tom, Sara and Ken, stage moves, a deal won and one lost, a quote for approval."""
    clock.current = MONDAY
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dave")
    acme = add_customer(db, team.tom, "Acme Machinery")
    add_customer(db, team.tom, "Golden Harvest Foods")
    add_customer(db, team.sara, "Pacific Steel Works")
    cranes = add_customer(db, team.sara, "Orient Cranes")
    add_customer(db, team.ken, "Southern Mills")
    add_customer(db, team.ken, "Delta Pumps")
    add_products(db)

    await create_deal(bot, team.tom, "Acme Machinery", "Lathes", "20k")
    await create_deal(bot, team.tom, "Golden Harvest Foods", "Pumps", "5k")
    await create_deal(bot, team.sara, "Pacific Steel Works", "Presses", "¥8,000")
    await create_deal(bot, team.sara, "Pacific Steel Works", "Boilers", "¥10,000")
    await bot.press(team.sara, "→ Won")
    await create_deal(bot, team.sara, "Orient Cranes", "Cranes", "¥50,000")
    await create_deal(bot, team.ken, "Southern Mills", "Mill line", "¥3,000")
    await bot.press(team.ken, "→ Won")
    await create_deal(bot, team.ken, "Delta Pumps", "Mill upgrade", "2k")
    # Sara's first instalment was due Tuesday (late on Wednesday), the second is due Wednesday.
    won_with_order(
        db, team.sara, "Boilers", [("6000", date(2026, 11, 24)), ("4000", date(2026, 11, 25))]
    )
    won_with_order(db, team.ken, "Mill line", [("3000", date(2026, 11, 24))])
    # Tom's call back is due Tuesday (a date alone), Ken's Tuesday 15:00, Sara's Wednesday.
    await bot.send(team.tom, "/visit Golden Harvest: tasting went well; next: call back tue")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.ken, "/visit Southern Mills: met the buyer; next: send samples tue 3pm")
    await bot.press(team.ken, "✅ Save")
    await bot.send(team.sara, "/visit Pacific Steel: site visit; next: send drawings wed")
    await bot.press(team.sara, "✅ Save")

    clock.current = WEDNESDAY
    await bot.send(team.tom, "/visit Acme: demo went well")
    await bot.press(team.tom, "✅ Save")
    touch(db, team.tom, acme, TouchKind.CALL, WEDNESDAY)
    touch(db, team.sara, cranes, TouchKind.MEETING, WEDNESDAY)
    await bot.send(team.ken, "/visit Delta Pumps: plant tour")
    await bot.press(team.ken, "✅ Save")

    await bot.press(team.tom, "→ Negotiation", await open_deal(bot, team.tom, "Lathes", db))
    await bot.press(team.sara, "→ Won", await open_deal(bot, team.sara, "Presses", db))
    await bot.press(team.ken, "→ Qualified", await open_deal(bot, team.ken, "Mill upgrade", db))
    await bot.press(team.tom, "→ Lost", await open_deal(bot, team.tom, "Pumps", db))
    await bot.press(team.tom, "Other…")
    await bot.send(team.tom, "they closed the plant")
    await build_quote(bot, team.tom, "CNC-100", "10", "15")
    await bot.press(team.tom, "📤 Submit")
    return team, director


async def ken_moves_four_deals(bot: LocalBot, team: SalesTeam) -> None:
    """More of team South's day: enough for the director's digest not to fit a caption."""
    for letter in "ABCD":
        await create_deal(bot, team.ken, "Delta Pumps", f"Conveyor {letter}", "1k")
        await bot.press(team.ken, "→ Quoted")


def png_size(content: bytes) -> tuple[int, int]:
    assert content.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", content[16:24])
    return width, height


def expected_chart(bot: LocalBot, scope: str, stages: dict[str, tuple[int, str]]) -> bytes:
    """The funnel PNG the digest should carry: every open stage, in pipeline order, in USD."""
    names = ["Lead", "Qualified", "Quoted", "Negotiation", "Contract review"]
    return funnel_png(
        [
            FunnelStage(name, stages.get(name, (0, "0"))[0], Decimal(stages.get(name, (0, "0"))[1]))
            for name in names
        ],
        title=f"Open deals · {scope} · Wed 25 Nov 2026",
        currency="USD",
        font=bot.deps.documents.font,
    )


def digests(db: Database, user: SimUser) -> list[OutboxMessage]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "digest", OutboxMessage.chat_id == user.id)
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            )
        )


async def test_the_managers_digest_shows_her_teams_day_per_rep_with_the_funnel_chart(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team, _ = await busy_day(bot, emulator, db, clock)
    clock.current = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    answer = await bot.send(team.manager, "/digest")

    # Short enough for a caption: one photo message, the digest as its caption.
    assert [message.kind for message in answer] == ["photo"]
    [photo] = answer
    assert photo.text == MEI_DIGEST
    assert visible_length(photo.html or "") <= CAPTION_LIMIT
    chart = emulator.file(photo.file_id or "").content
    assert png_size(chart) == (800, 500)  # five open stages
    assert chart == expected_chart(bot, "North", {"Negotiation": (1, "20000.00")})
    # Nothing of Ken's (team South) is in it.
    assert "Ken" not in photo.text and "Southern Mills" not in photo.text
    assert "Mill" not in photo.text and "Delta Pumps" not in photo.text


async def test_the_directors_digest_covers_every_team(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team, director = await busy_day(bot, emulator, db, clock)
    await ken_moves_four_deals(bot, team)
    clock.current = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    answer = await bot.send(director, "/digest")

    # Longer than a caption: the text, then the chart with a short caption.
    assert [message.kind for message in answer] == ["text", "photo"]
    text, photo = answer
    assert visible_length(text.html or "") > CAPTION_LIMIT
    assert text.text.startswith("📊 Digest · all teams — Wed 25 Nov 2026\n\nTouches: 4\n")
    assert "• Tom (North): 1 visit, 1 call\n" in text.text
    assert "• Ken (South): 1 visit\n" in text.text
    assert "• Sara (North): 1 meeting\n" in text.text
    moves = text.text.split("Stage moves: 6\n")[1].split("\n\n")[0]
    assert moves.splitlines() == [
        "• Lathes · Acme Machinery: Lead → Negotiation (Tom)",
        "• Mill upgrade · Delta Pumps: Lead → Qualified (Ken)",
        "• Conveyor A · Delta Pumps: Lead → Quoted (Ken)",
        "• Conveyor B · Delta Pumps: Lead → Quoted (Ken)",
        "• Conveyor C · Delta Pumps: Lead → Quoted (Ken)",
        "• Conveyor D · Delta Pumps: Lead → Quoted (Ken)",
    ]
    assert "🏆 Presses · Pacific Steel Works: CNY 8,000.00 (Sara)" in text.text
    assert "✖ Pumps · Golden Harvest Foods: USD 5,000.00 (Tom) — other: they closed the plant" in (
        text.text
    )
    overdue = text.text.split("Overdue\n")[1].split("\n\n")[0]
    assert overdue.splitlines() == [
        "• Sara (North): 💰 CNY 6,000.00 in 1 payment (Pacific Steel Works)",
        "• Tom (North): ⚠️ 1 follow-up (Golden Harvest Foods)",
        "• Ken (South): ⚠️ 1 follow-up (Southern Mills) · 💰 CNY 3,000.00 in 1 payment "
        "(Southern Mills)",
    ]
    assert "Open deals: 7 deals · CNY 50,000.00 + USD 26,000.00" in text.text
    assert photo.text == "📊 Open deals by stage, USD — all teams, Wed 25 Nov"
    chart = emulator.file(photo.file_id or "").content
    assert chart == expected_chart(
        bot,
        "All teams",
        {"Qualified": (1, "2000.00"), "Quoted": (4, "4000.00"), "Negotiation": (1, "20000.00")},
    )


async def test_the_scheduled_digest_comes_once_at_six_in_the_readers_zone(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team, director = await busy_day(bot, emulator, db, clock)
    await ken_moves_four_deals(bot, team)
    set_zone(db, director, "Europe/Berlin")
    clock.current = datetime(2026, 11, 25, 9, 59, tzinfo=UTC)
    await bot.tick()
    assert digests(db, team.manager) == []
    before = len(team.manager.messages)

    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    await bot.tick()
    await bot.tick()
    [row] = digests(db, team.manager)
    assert row.key == f"digest:{actor_of(db, team.manager.id).user_id}:2026-11-25"
    assert row.state == "sent" and row.photo is not None
    assert row.expires_at == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    [message] = [m for m in team.manager.messages[before:] if m.text.startswith("📊")]
    assert message.kind == "photo" and message.text == MEI_DIGEST
    assert emulator.file(message.file_id or "").content.startswith(PNG_SIGNATURE)
    assert digests(db, director) == []  # 11:00 in Berlin

    clock.current = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
    await bot.tick()
    await bot.tick()
    text_row, chart_row = digests(db, director)
    assert text_row.photo is None and chart_row.photo is not None
    assert chart_row.key == text_row.key + ":chart"
    assert [m.kind for m in director.messages if m.text.startswith("📊")] == ["text", "photo"]
    assert len(digests(db, team.manager)) == 1

    # Thursday: nobody has touched anyone yet; Sara's Wednesday follow-up and instalment are
    # late now, and the quote still waits.
    clock.current = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    await bot.tick()
    assert len(digests(db, team.manager)) == 2
    assert [m.text for m in team.manager.messages if m.text.startswith("📊")][-1] == (
        THURSDAY_DIGEST
    )


async def test_both_days_around_berlins_clock_change_get_it_at_six_local(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = datetime(2027, 3, 27, 8, 0, tzinfo=UTC)
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dave")
    set_zone(db, director, "Europe/Berlin")

    # Saturday is still winter time (UTC+1), Sunday summer time (UTC+2).
    for day, manager_due, director_due in (
        (27, datetime(2027, 3, 27, 10, 0, tzinfo=UTC), datetime(2027, 3, 27, 17, 0, tzinfo=UTC)),
        (28, datetime(2027, 3, 28, 10, 0, tzinfo=UTC), datetime(2027, 3, 28, 16, 0, tzinfo=UTC)),
    ):
        for due, person in ((manager_due, team.manager), (director_due, director)):
            sent_before = len(digests(db, person))
            clock.current = due - timedelta(minutes=1)
            await bot.tick()
            assert len(digests(db, person)) == sent_before, f"early on the {day}th"
            clock.current = due
            await bot.tick()
            await bot.tick()
            rows = digests(db, person)
            assert len(rows) == sent_before + 1, f"not once on the {day}th"
            assert rows[-1].due_at == due and rows[-1].state == "sent"
            assert rows[-1].key.endswith(f":2027-03-{day}")

    lines = [m for m in director.messages if m.text.startswith("📊")]
    assert [(m.kind, m.text) for m in lines] == [
        (
            "text",
            "📊 All teams, Sat 27 Mar: a quiet day — no touches, no deal moves or quotes, "
            "nothing overdue.",
        ),
        (
            "text",
            "📊 All teams, Sun 28 Mar: a quiet day — no touches, no deal moves or quotes, "
            "nothing overdue.",
        ),
    ]
    assert all(row.photo is None for row in digests(db, director) + digests(db, team.manager))


async def test_an_empty_day_is_one_line_and_a_rep_has_no_digest(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    answer = await bot.send(team.manager, "/digest")
    assert [(m.kind, m.text) for m in answer] == [
        (
            "text",
            "📊 North, Wed 25 Nov: a quiet day — no touches, no deal moves or quotes, "
            "nothing overdue.",
        )
    ]
    refused = await bot.send(team.tom, "/digest")
    assert [m.text for m in refused] == ["You can't do that with your role."]


def test_a_huge_digest_is_cut_to_fit_one_message() -> None:
    """Fifty reps with everything overdue and forty items per section: fewer items are shown,
    each section says how many more there are, and the text is one valid message."""
    renderer = Renderer()
    when = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    long = "Very Long Customer Name & Sons International Trading Co " * 3
    instalment = OpenInstalment(
        1, 1, 1, "O-2026-00001", 1, long, 1, 1, "CNY", Decimal(9), Decimal(9), date(2026, 11, 1)
    )
    people = [
        PersonDay(
            user_id=index,
            name=f"Representative Number {index} With A Long Name",
            team_name="Team <East> & North",
            is_rep=True,
            touches={"visit": 3, "call": 2, "meeting": 1, "message": 4},
            overdue_follow_ups=[OverdueFollowUp(index, 1, long, "x", when, False)] * 5,
            overdue_payments=[instalment] * 4,
        )
        for index in range(50)
    ]
    move = StageMove(1, long, long, "lead", "negotiation", long, when)
    closed = ClosedDeal(1, long, long, long, Decimal("12345678.90"), "CNY", when, "other", long)
    quote = QuoteItem(1, None, long, long, long, Decimal(1), "CNY", "pending_manager", when)
    digest = Digest(
        day=date(2026, 11, 25),
        all_teams=True,
        team_name=None,
        currency="USD",
        people=people,
        moves=[move] * 40,
        won=[closed] * 40,
        lost=[closed] * 40,
        new_quotes=[quote] * 40,
        pending_quotes=[quote] * 40,
        funnel=[FunnelRow("lead", 3, Decimal(5), 2, {"CNY": Decimal(7), "EUR": Decimal(1)})],
    )
    limit, text = digest_text(
        lambda n: renderer.message(
            "en", "digest/digest", digest=digest, timezone="Asia/Shanghai", limit=n
        )
    )
    assert limit < 10 and visible_length(text) <= MESSAGE_LIMIT
    assert f"… and {40 - limit} more" in text and f"… and {50 - 3 * limit} more" in text
    assert "&amp; Sons" in text and "&lt;East&gt;" in text  # escaped, never cut mid-entity
    assert "&amp…" not in text and "&am…" not in text
