"""End to end: customer tiers computed from a known set of payments (A/B/C by the trailing 12
months' paid revenue), RFM scores and lifecycle stages; a manual tier that wins until cleared;
/segments counts and lists within each person's scope, with nonsense and forged buttons; the
nightly run once a day; one win-back nudge for a tier-A customer turning lapsed; the Monday
brief's customers past their visit cadence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services import orders
from bot.settings import Settings, load_settings
from models import ChangeEntry, Customer, OutboxMessage, Role, SalesOrder, Touch
from tests.conftest import ADMIN_ID, FakeClock
from tests.flows import (
    SalesTeam,
    actor_of,
    add_customer,
    make_order,
    register,
    sales_team,
    texts,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The shared settings, with revenue counted in CNY (the orders of ``make_order``)."""
    return load_settings(
        DATABASE_URL=database_url,
        ADMIN_TELEGRAM_IDS=str(ADMIN_ID),
        DEFAULT_TIMEZONE="Asia/Shanghai",
        DEFAULT_CURRENCY="CNY",
        TELEGRAM_BOT_TOKEN=None,
        OUTBOX_CHAT_INTERVAL="0",
        OUTBOX_MAX_PER_SECOND="1000",
    )


ORDERED = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


def sell(
    db: Database,
    rep: SimUser,
    customer_id: int,
    *amounts: str,
    ordered: datetime = ORDERED,
    paid: bool = True,
) -> None:
    """One order per amount on ``customer_id``, each paid in full four days later (or not)."""
    for number, amount in enumerate(amounts):
        when = ordered + timedelta(days=number)
        order_id, _ = make_order(
            db, rep, rep, customer_id, f"Order {number + 1}", [(amount, when.date())], ordered=when
        )
        if paid:
            with db.session() as session:
                orders.log_payment(
                    session,
                    actor_of(db, rep.id),
                    order_id,
                    Decimal(amount),
                    received_on=(when + timedelta(days=4)).date(),
                    now=when,
                )


def customer_row(db: Database, customer_id: int) -> Customer:
    with db.session() as session:
        found = session.get(Customer, customer_id)
        assert found is not None
        return found


def segments_of(db: Database, ids: dict[str, int]) -> dict[str, tuple[str | None, str | None]]:
    return {
        name: (customer_row(db, cid).tier, customer_row(db, cid).lifecycle)
        for name, cid in ids.items()
    }


async def known_company(db: Database, team: SalesTeam) -> dict[str, int]:
    """Paid in the last 12 months (CNY): 5000, 3000, 1000, 400, 300, 200, 100, of 10000 in all.
    A: 5000 and 3000 (80 %); B: 1000, 400, 300 (up to 95 %); C: the rest."""
    ids = {
        name: add_customer(db, team.sara if name == "Golf" else team.tom, name)
        for name in (
            "Alpha",
            "Bravo",
            "Charlie",
            "Delta",
            "Echo",
            "Foxtrot",
            "Golf",
            "Hotel",
            "India",
            "Juliet",
        )
    }
    ids["Kilo"] = add_customer(db, team.ken, "Kilo")  # another team's prospect
    sell(db, team.tom, ids["Alpha"], "2500", "2500")  # tier A, two orders: loyal
    sell(db, team.tom, ids["Bravo"], "3000")  # tier A, one order: first-time
    sell(db, team.tom, ids["Charlie"], "500", "500")  # tier B, two orders: repeat
    sell(db, team.tom, ids["Delta"], "80", "80", "80", "80", "80")  # five in 12 months: loyal
    sell(db, team.tom, ids["Echo"], "300")
    sell(db, team.tom, ids["Foxtrot"], "200")
    sell(db, team.sara, ids["Golf"], "100")
    sell(db, team.tom, ids["Hotel"], "2000", paid=False)  # ordered, nothing paid: C
    # Paid a lot, but more than a year ago: no revenue in the window, and lapsed.
    sell(db, team.tom, ids["India"], "50000", ordered=datetime(2025, 9, 1, tzinfo=UTC))
    return ids


EXPECTED = {
    "Alpha": ("A", "loyal"),
    "Bravo": ("A", "first"),
    "Charlie": ("B", "repeat"),
    "Delta": ("B", "loyal"),
    "Echo": ("B", "first"),
    "Foxtrot": ("C", "first"),
    "Golf": ("C", "first"),
    "Hotel": ("C", "first"),
    "India": ("C", "lapsed"),
    "Juliet": ("C", "prospect"),
    "Kilo": ("C", "prospect"),
}


async def test_tiers_rfm_and_lifecycle_from_a_known_set_of_payments(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    ids = await known_company(db, team)
    assert "not computed yet" in texts(await bot.send(team.admin, "/segments"))
    assert all(customer_row(db, cid).computed_tier is None for cid in ids.values())

    # A rep may not recompute; nonsense after the command is explained, nothing computed.
    assert "can't" in texts(await bot.send(team.tom, "/segments recompute")).lower()
    answer = texts(await bot.send(team.admin, "/segments please now"))
    assert "I didn't understand that" in answer and "/segments recompute" in answer
    assert "/segments recompute" not in texts(await bot.send(team.tom, "/segments what"))
    assert customer_row(db, ids["Alpha"]).segmented_at is None

    answer = texts(await bot.send(team.admin, "/segments recompute"))
    assert "computed again for every customer" in answer
    assert "Tier A: 2\n• Tier B: 3\n• Tier C: 6" in answer
    assert "Prospects: 2\n• First-time buyers: 5\n• Repeat buyers: 1\n• Loyal: 2\n• Lapsed: 1" in (
        answer
    )
    assert segments_of(db, ids) == EXPECTED
    alpha, india, hotel = (customer_row(db, ids[name]) for name in ("Alpha", "India", "Hotel"))
    assert alpha.computed_tier == "A" and alpha.manual_tier is None
    assert alpha.segmented_at == clock() and alpha.last_order_at == ORDERED + timedelta(days=1)
    # RFM by quintile among the nine customers with orders: Alpha paid the most (M 5), India
    # ordered longest ago and nothing in 12 months (R 1, F 1, M 1), Hotel paid nothing (M 1).
    assert alpha.rfm is not None and alpha.rfm[2] == "5"
    assert customer_row(db, ids["Bravo"]).rfm[2] == "4"  # type: ignore[index]
    assert india.rfm == "111" and hotel.rfm is not None and hotel.rfm[2] == "1"
    assert customer_row(db, ids["Juliet"]).rfm is None  # no orders, no score
    assert customer_row(db, ids["Delta"]).rfm[1] == "5"  # type: ignore[index]

    # Computing again changes nothing.
    await bot.send(team.admin, "/segments recompute")
    assert segments_of(db, ids) == EXPECTED

    # The card says which tier applies and how it came about.
    await bot.send(team.tom, "/customers alpha")
    await bot.press(team.tom, "Alpha")
    card = team.tom.last().text
    assert "Alpha · tier A (computed)" in card
    assert f"Buyer stage: loyal · RFM {alpha.rfm}" in card


async def test_a_manual_tier_wins_until_it_is_cleared(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    ids = await known_company(db, team)
    await bot.send(team.admin, "/segments recompute")
    await bot.send(team.manager, "/customers hotel")
    await bot.press(team.manager, "Hotel")
    assert "Hotel · tier C (computed)" in team.manager.last().text
    await bot.press(team.manager, "✏️ Edit")
    await bot.press(team.manager, "Tier")
    assert "choose with the buttons" in texts(await bot.send(team.manager, "A+"))
    assert customer_row(db, ids["Hotel"]).manual_tier is None
    await bot.press(team.manager, "Tier A")
    assert "Hotel · tier A (set by hand; computed C)" in team.manager.last().text
    hotel = customer_row(db, ids["Hotel"])
    assert (hotel.tier, hotel.manual_tier, hotel.computed_tier) == ("A", "A", "C")

    # The nightly run and an admin's recompute keep the manual tier (and count it as A).
    clock.advance(timedelta(days=1))
    await bot.tick()
    answer = texts(await bot.send(team.admin, "/segments recompute"))
    assert "Tier A: 3" in answer
    hotel = customer_row(db, ids["Hotel"])
    assert (hotel.tier, hotel.manual_tier, hotel.computed_tier) == ("A", "A", "C")

    # Cleared: the computed tier applies again at once.
    await bot.send(team.manager, "/customers hotel")
    await bot.press(team.manager, "Hotel")
    await bot.press(team.manager, "✏️ Edit")
    await bot.press(team.manager, "Tier")
    await bot.press(team.manager, "✖ Leave it empty")
    assert "Hotel · tier C (computed)" in team.manager.last().text
    hotel = customer_row(db, ids["Hotel"])
    assert (hotel.tier, hotel.manual_tier, hotel.computed_tier) == ("C", None, "C")
    with db.session() as session:
        recorded = session.exec(
            select(ChangeEntry)
            .where(
                ChangeEntry.record_kind == "customer",
                ChangeEntry.record_id == str(ids["Hotel"]),
                ChangeEntry.field == "manual_tier",
            )
            .order_by(col(ChangeEntry.id))
        ).all()
    assert [(c.field, c.old_value, c.new_value) for c in recorded] == [
        ("manual_tier", None, "A"),
        ("manual_tier", "A", None),
    ]
    assert "Tier A: 2" in texts(await bot.send(team.admin, "/segments recompute"))


async def test_segments_counts_and_lists_within_each_persons_scope(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5205, "Dora", team=None)
    ids = await known_company(db, team)
    for number in range(12):  # enough prospects of Tom's for two pages
        ids[f"Zulu {number:02d}"] = add_customer(db, team.tom, f"Zulu {number:02d}")
    await bot.send(team.admin, "/segments recompute")

    answer = texts(await bot.send(team.tom, "/segments"))
    assert "21 customers (your own)" in answer and "Tier C: 16" in answer
    assert team.tom.last().button_texts() == [
        "Tier A (2)",
        "Tier B (3)",
        "Tier C (16)",
        "🌱 Prospects (13)",
        "🆕 First-time (4)",
        "🔁 Repeat (1)",
        "💎 Loyal (2)",
        "💤 Lapsed (1)",
    ]
    assert "Tier A (2)" in [b.text for b in team.tom.last().buttons()]
    assert "22 customers" in texts(await bot.send(team.manager, "/segments"))  # North
    assert "1 customer (your own)" in texts(await bot.send(team.ken, "/segments"))
    assert "23 customers" in texts(await bot.send(director, "/segments"))

    # A tier lists its customers with buttons to their cards.
    await bot.press(team.manager, "Tier A (2)")
    listed = team.manager.last()
    assert "Tier A</b>" not in listed.text and listed.text.startswith("Tier A (2):")
    assert "• Alpha [A] · loyal · RFM" in listed.text and "· Tom" in listed.text
    assert listed.button_texts() == ["Alpha", "Bravo", "◀ Segments"]
    await bot.press(team.manager, "Alpha")
    assert team.manager.last().text.startswith("Alpha · tier A (computed)")

    # A stage of two pages: Next and Previous.
    await bot.send(team.tom, "/segments")
    await bot.press(team.tom, "🌱 Prospects (13)")
    first = team.tom.last()
    assert first.text.startswith("Prospects (13), page 1 of 2:")
    assert "Juliet" in first.text and "Zulu 08" in first.text and "Zulu 09" not in first.text
    assert "Kilo" not in first.text and "· Tom" not in first.text  # a rep's own, no owner
    await bot.press(team.tom, "Next ▶")
    assert team.tom.last().text.startswith("Prospects (13), page 2 of 2:")
    assert "Zulu 11" in team.tom.last().text
    await bot.press(team.tom, "◀ Previous")
    assert "Juliet" in team.tom.last().text
    await bot.press(team.tom, "◀ Segments")
    assert "21 customers (your own)" in team.tom.last().text

    # Forged buttons: another team's segment shows only one's own; a made-up one is not found.
    await bot.settle(await team.ken.press_data("seg:t:A:0"))
    assert "no customers here" in team.ken.last().text
    await bot.settle(await team.ken.press_data("seg:s:prospect:99"))  # beyond the last page
    assert "Kilo" in team.ken.last().text and "Juliet" not in team.ken.last().text
    await bot.settle(await team.ken.press_data("seg:t:Z:0"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    await bot.settle(await team.ken.press_data("seg:s:vip:0"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    await bot.settle(await team.ken.press_data("seg:t:A:x"))
    assert "no longer works" in team.ken.callback_answers[-1]["text"]
    await bot.settle(await team.ken.press_data(f"cus:open:{ids['Alpha']}"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."

    # A stranger gets only the invite hint.
    stranger = emulator.user(5299, "Nobody")
    assert "ask your admin for an invite" in texts(await bot.send(stranger, "/segments")).lower()

    # The command is in each role's menu.
    for person in (team.tom, team.manager, director, team.admin):
        menu = [c["command"] for c in emulator.commands_for({"type": "chat", "chat_id": person.id})]
        assert "segments" in menu, person.first_name


async def test_the_nightly_run_is_once_a_day_at_its_time(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    ids = await known_company(db, team)
    # 25 Nov 17:00 in Shanghai: past today's 02:00, so the first tick works everyone out.
    await bot.tick()
    assert segments_of(db, ids) == EXPECTED
    done_at = clock()
    # Hotel pays 2000 the same evening: tiers move only at the next night's run.
    with db.session() as session:
        order = session.exec(select(SalesOrder).where(SalesOrder.customer_id == ids["Hotel"])).one()
        orders.log_payment(
            session,
            actor_of(db, team.tom.id),
            order.id or 0,
            Decimal("2000"),
            received_on=date(2026, 11, 25),
            now=clock(),
        )
    clock.advance(timedelta(hours=8))  # 26 Nov 01:00 in Shanghai
    await bot.tick()
    assert customer_row(db, ids["Hotel"]).tier == "C"
    assert customer_row(db, ids["Alpha"]).segmented_at == done_at
    clock.advance(timedelta(hours=1))  # 02:00
    await bot.tick()
    # 12000 in all now: Alpha 5000, Bravo 3000 (66 %), Hotel 2000 (83 %): A; Charlie B.
    assert customer_row(db, ids["Hotel"]).tier == "A"
    assert customer_row(db, ids["Alpha"]).segmented_at == clock()
    again = clock()
    clock.advance(timedelta(hours=3))
    await bot.tick()
    assert customer_row(db, ids["Alpha"]).segmented_at == again  # not again the same day
    # A customer added during the day is a prospect at the next tick, nobody else is redone.
    later = add_customer(db, team.tom, "Lima")
    await bot.tick()
    assert customer_row(db, later).lifecycle == "prospect"
    assert customer_row(db, ids["Alpha"]).segmented_at == again


def winbacks(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "winback")))


async def test_a_tier_a_customer_turning_lapsed_sends_one_win_back_nudge(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    big = add_customer(db, team.tom, "Big Buyer")
    small = add_customer(db, team.sara, "Small Buyer")
    sell(db, team.tom, big, "9000", "1000")
    sell(db, team.sara, small, "100")
    await bot.tick()  # today's run: Big Buyer is tier A and loyal
    assert (customer_row(db, big).tier, customer_row(db, big).lifecycle) == ("A", "loyal")
    # The last order was on 2 October: LAPSED_DAYS (180) later is 31 March. Nothing before.
    clock.current = datetime(2027, 3, 30, 18, 0, tzinfo=UTC)  # 31 Mar 02:00 in Shanghai
    await bot.tick()
    assert winbacks(db) == [] and customer_row(db, big).lifecycle == "loyal"
    clock.current = datetime(2027, 3, 31, 18, 0, tzinfo=UTC)  # 1 Apr 02:00
    await bot.tick()
    assert customer_row(db, big).lifecycle == "lapsed"
    assert customer_row(db, small).lifecycle == "lapsed"  # tier C: no nudge for it
    assert customer_row(db, big).winback_at == clock()
    (nudge,) = winbacks(db)
    assert nudge.user_id == actor_of(db, team.tom.id).user_id and nudge.customer_id == big
    # 02:00 is in the quiet hours: it goes out when they end, with its button.
    clock.current = datetime(2027, 3, 31, 23, 5, tzinfo=UTC)  # 1 Apr 07:05
    await bot.tick()
    message = next(m for m in team.tom.messages if "Win back" in m.text)
    assert "Big Buyer" in message.text and "no order for 180 days" in message.text
    assert "Fri, 2 Oct 2026" in message.text or "2 Oct" in message.text
    assert message.button_texts() == ["📝 Log visit"]
    assert not any("Win back" in m.text for m in team.sara.messages)
    # Never again for the same lapse: the next nights, and an admin's recompute.
    for _night in range(3):
        clock.advance(timedelta(days=1))
        await bot.tick()
    await bot.send(team.admin, "/segments recompute")
    await bot.tick()
    assert len(winbacks(db)) == 1
    assert sum("Win back" in m.text for m in team.tom.messages) == 1
    # The button starts logging a visit on that customer.
    await bot.press(team.tom, "📝 Log visit", message)
    assert "Big Buyer" in team.tom.last().text


async def test_the_monday_brief_lists_customers_past_their_visit_cadence(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    long_ago = datetime(2026, 7, 1, tzinfo=UTC)
    star = add_customer(db, team.tom, "Star Works", now=long_ago)
    steady = add_customer(db, team.tom, "Steady Co", now=long_ago)
    sell(db, team.tom, star, "9000")  # tier A: every 14 days
    sell(db, team.tom, steady, "1000")  # tier B: every 30 days
    quiet = [add_customer(db, team.tom, f"Quiet {n:02d}", now=long_ago) for n in range(11)]
    fresh = add_customer(db, team.tom, "Fresh Lead", now=datetime(2026, 11, 20, tzinfo=UTC))
    add_customer(db, team.sara, "Sara's Old One", now=long_ago)
    author = actor_of(db, team.tom.id).user_id
    with db.session() as session:
        for customer_id, day in ((star, 10), (steady, 10), (quiet[0], 20)):
            session.add(
                Touch(
                    customer_id=customer_id,
                    author_id=author,
                    kind="visit",
                    notes="talked",
                    created_at=datetime(2026, 11, day, 3, 0, tzinfo=UTC),
                )
            )
    await bot.tick()  # tiers: Star Works A, Steady Co B, the rest C

    # Thursday's brief has no such list.
    clock.current = datetime(2026, 11, 26, 0, 31, tzinfo=UTC)
    await bot.tick()
    assert "Due for a visit" not in team.tom.last().text
    # Monday 30 Nov 08:30: Star Works 19 days since its visit (over 14); Steady Co 19 (not over
    # 30); ten of the Quiet ones never touched since July (over 90); Quiet 00 touched on the
    # 20th; Fresh Lead added ten days ago. Tier A first, then the longest without a touch.
    clock.current = datetime(2026, 11, 30, 0, 31, tzinfo=UTC)
    await bot.tick()
    brief = team.tom.last().text
    assert "Due for a visit (11: longer without a touch than their tier's cadence)" in brief
    listed = [line for line in brief.splitlines() if line.startswith("👣")]
    assert listed[0] == "👣 Star Works [A] · 19 days (every 14)"
    assert listed[1] == "👣 Quiet 01 [C] · 152 days (every 90)"
    assert len(listed) == 10 and "… and 1 more." in brief
    assert not any(name in brief for name in ("Steady Co", "Quiet 00", "Fresh Lead"))
    assert "Sara's Old One" not in brief
    assert "Sara's Old One" in texts([m for m in team.sara.messages if "Due for a visit" in m.text])
    assert fresh and customer_row(db, fresh).tier == "C"


async def test_a_win_back_nudge_is_not_sent_once_the_customer_ordered_again(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    team = await sales_team(bot, emulator)
    big = add_customer(db, team.tom, "Big Buyer")
    sell(db, team.tom, big, "9000")
    await bot.tick()
    clock.current = datetime(2027, 3, 31, 18, 0, tzinfo=UTC)  # 1 Apr 02:00 in Shanghai
    await bot.tick()
    (nudge,) = winbacks(db)
    assert nudge.state == "pending"
    # Before the quiet hours end, Tom's customer orders again.
    sell(db, team.tom, big, "500", ordered=datetime(2027, 3, 31, 22, 0, tzinfo=UTC), paid=False)
    clock.current = datetime(2027, 3, 31, 23, 5, tzinfo=UTC)
    await bot.tick()
    (nudge,) = winbacks(db)
    assert nudge.state == "skipped" and nudge.reason == "ordered again"
    assert not any("Win back" in m.text for m in team.tom.messages)
    # The next night: two orders and tier A make it loyal; the lapse is over.
    clock.advance(timedelta(days=1))
    await bot.tick()
    assert customer_row(db, big).lifecycle == "loyal" and customer_row(db, big).winback_at is None
