"""End to end: customers near me (issue 16). A customer's place set from its card or kept from
the first check-in at a visit; a location shared outside a flow (or after /near) answers with
the person's visible customers nearby, nearest first, and a map pin of the nearest; the morning
brief names customers past their cadence near yesterday's route."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services import nearby
from bot.services.errors import NotFound
from models import Customer, Role, Touch
from tests.conftest import FakeClock
from tests.flows import actor_of, add_customer, register, sales_team, texts

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 10:00 in Shanghai
HERE = (31.2304, 121.4737)  # People's Square, Shanghai
KM_LAT = 1 / 111.195  # a kilometre north, in degrees
KM_LON = 1 / (111.195 * math.cos(math.radians(HERE[0])))  # a kilometre east, there
CADENCE = {"A": 14, "B": 30, "C": 90}
LOG_WITH_THIS = "📝 Log a visit with this"


@pytest.fixture(autouse=True)
def message_dates_follow_the_clock(emulator: BotAPIEmulator, clock: FakeClock) -> None:
    emulator.message_clock = lambda: clock().timestamp()


def place(db: Database, customer_id: int, north_km: float, east_km: float) -> None:
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.latitude = HERE[0] + north_km * KM_LAT
        customer.longitude = HERE[1] + east_km * KM_LON


def touched(
    db: Database,
    author: SimUser,
    customer_id: int,
    when: datetime,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
) -> int:
    with db.session() as session:
        touch = Touch(
            customer_id=customer_id,
            author_id=actor_of(db, author.id).user_id,
            kind="visit",
            notes="dropped by",
            created_at=when,
            updated_at=when,
            latitude=latitude,
            longitude=longitude,
        )
        session.add(touch)
        session.flush()
        return touch.id or 0


def set_tier(db: Database, customer_id: int, tier: str) -> None:
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.tier = tier


def where_is(db: Database, customer_id: int) -> tuple[float | None, float | None]:
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer.latitude, customer.longitude


async def test_a_place_is_set_from_the_card_with_nonsense_asked_again(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = NOW
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "Acme Machinery")
    tom = team.tom
    await bot.send(tom, "acme")
    await bot.press(tom, "Acme Machinery")
    await bot.press(tom, "📍 Set location")
    asked = tom.last().text
    assert asked.startswith("📍 Where is Acme Machinery?")
    assert "already" not in asked
    assert tom.reply_keyboard is not None
    assert tom.reply_keyboard[0][0] == {"text": "📍 I am there now", "request_location": True}

    reask = (
        "I need a location for Acme Machinery: 📎 → Location (a point on the map), or the button "
        "below if you are there. /cancel to stop."
    )
    assert texts(await bot.send(tom, "next to the river, 3rd gate")) == reask
    await bot.settle(await tom.send_sticker())
    assert tom.last().text == reask
    await bot.settle(await tom.send_photo(b"\xff\xd8 the gate"))
    assert tom.last().text == reask
    assert where_is(db, acme) == (None, None)

    await bot.settle(await tom.send_venue(31.2394, 121.4737, "Acme Plant", "1 Gate Road"))
    assert tom.last().text == (
        "📍 Saved as the place of Acme Machinery. It now shows when you share your location "
        "nearby (/near)."
    )
    assert tom.reply_keyboard is None
    assert where_is(db, acme) == (31.2394, 121.4737)
    assert texts(await bot.send(tom, "/cancel")).startswith("There is nothing to cancel.")

    # Again: it says the old place is replaced; where Tom stands now is the new one.
    await bot.send(tom, "acme")
    await bot.press(tom, "Acme Machinery")
    await bot.press(tom, "📍 Set location")
    assert "(It has a place already; a new one replaces it.)" in tom.last().text
    await bot.settle(await tom.send_location(*HERE))
    assert "(the old one is replaced)" in tom.last().text
    assert where_is(db, acme) == HERE

    # /cancel leaves the place as it was.
    await bot.send(tom, "acme")
    await bot.press(tom, "Acme Machinery")
    await bot.press(tom, "📍 Set location")
    await bot.send(tom, "/cancel")
    await bot.settle(await tom.send_location(10.0, 10.0))
    assert where_is(db, acme) == HERE


async def test_near_me_lists_the_visible_customers_nearest_first_with_a_pin(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = NOW
    team = await sales_team(bot, emulator)
    tom = team.tom
    acme = add_customer(db, tom, "Acme Machinery")  # 1 km north, tier A, 20 days untouched
    bolt = add_customer(db, tom, "Bolt Works")  # 500 m east, touched this morning
    cobalt = add_customer(db, tom, "Cobalt Ltd")  # 3 km south, never touched
    delta = add_customer(db, tom, "Delta Far")  # 7 km away: not near
    add_customer(db, tom, "Echo Nowhere")  # no place
    saras = add_customer(db, team.sara, "Sara's Shop")  # 200 m, Sara's (same team)
    kens = add_customer(db, team.ken, "Ken's Kiosk")  # 300 m, Ken's (team South)
    place(db, acme, 1, 0)
    place(db, bolt, 0, 0.5)
    place(db, cobalt, -3, 0)
    place(db, delta, 5, 5)
    place(db, saras, 0.2, 0)
    place(db, kens, 0, -0.3)
    set_tier(db, acme, "A")
    touched(db, tom, acme, NOW - timedelta(days=20))
    touched(db, tom, bolt, NOW - timedelta(hours=1))

    await bot.settle(await tom.send_location(*HERE))
    listing, pin = tom.messages[-2:]
    assert listing.text.splitlines() == [
        "📍 Got your location. Is it from a visit? Log one with it: I'll ask which customer.",
        "",
        "Your customers within 5 km, nearest first:",
        "1. Bolt Works · 0.5 km · touched today",
        "2. Acme Machinery [A] · 1.0 km · 20 days since the last touch ⚠️ due for a visit",
        "3. Cobalt Ltd · 3.0 km · never touched",
    ]
    assert listing.button_texts() == [
        "Bolt Works · 0.5 km",
        "⚠️ Acme Machinery · 1.0 km",
        "Cobalt Ltd · 3.0 km",
        LOG_WITH_THIS,
    ]
    assert [b.callback_data for b in listing.buttons()[:3]] == [
        f"cus:open:{bolt}",
        f"cus:open:{acme}",
        f"cus:open:{cobalt}",
    ]
    assert (pin.kind, pin.title, pin.address) == ("venue", "Bolt Works", "0.5 km from you")
    assert (pin.latitude, pin.longitude) == where_is(db, bolt)

    # A button opens the card; the offer still logs a visit with the location.
    await bot.press(tom, "⚠️ Acme Machinery · 1.0 km", listing)
    assert "Acme Machinery" in tom.message(listing.message_id).text.splitlines()[0]
    await bot.settle(await tom.send_location(*HERE))
    await bot.press(tom, LOG_WITH_THIS, tom.messages[-2])
    assert tom.messages[-2].text.startswith("Which customer?")
    await bot.send(tom, "/cancel")

    # The manager sees the team's (Sara's too), not team South's; Ken only his own.
    await bot.settle(await team.manager.send_location(*HERE))
    assert team.manager.messages[-2].button_texts()[:2] == [
        "Sara's Shop · 0.2 km",
        "Bolt Works · 0.5 km",
    ]
    assert "Ken's Kiosk" not in team.manager.messages[-2].text
    assert team.manager.last().title == "Sara's Shop"
    await bot.settle(await team.ken.send_location(*HERE))
    assert team.ken.messages[-2].button_texts() == ["Ken's Kiosk · 0.3 km", LOG_WITH_THIS]
    assert team.ken.last().title == "Ken's Kiosk"


async def test_near_asks_for_the_location_and_an_empty_neighbourhood_says_so(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = NOW
    team = await sales_team(bot, emulator)
    tom = team.tom
    place(db, add_customer(db, tom, "Acme Machinery"), 1, 0)
    asked = texts(await bot.send(tom, "/near"))
    assert asked.startswith("📍 Where are you? Share your location with the button below")
    assert tom.reply_keyboard == [[{"text": "📍 Share my location", "request_location": True}]]
    sent_before = len(tom.messages)
    await bot.settle(await tom.send_location(39.9042, 116.4074))  # Beijing
    [answer] = tom.messages[sent_before:]
    assert answer.kind == "text"
    assert answer.text.endswith(
        "None of your customers with a place is within 5 km. A customer gets a place from "
        "📍 Set location on its card, or from a check-in at a visit."
    )
    assert answer.button_texts() == [LOG_WITH_THIS]
    menu = emulator.commands_for({"type": "chat", "chat_id": tom.id})
    assert {"command": "near", "description": "Customers near me: share your location"} in menu


async def test_near_me_in_chinese(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = NOW
    team = await sales_team(bot, emulator)
    emulator.user(5301, "伟", last_name="王", language_code="zh-hans")
    wang = await register(bot, emulator, team.admin, Role.REP, 5301, "伟")
    hongda = add_customer(db, wang, "上海宏达机电")
    place(db, hongda, 0, 1.2)
    await bot.settle(await wang.send_location(*HERE))
    listing, pin = wang.messages[-2:]
    assert listing.text.splitlines()[2:] == [
        "5 公里内你的客户，由近到远：",
        "1. 上海宏达机电 · 1.2 公里 · 从未跟进",
    ]
    assert listing.button_texts() == ["上海宏达机电 · 1.2 公里", "📝 用它记一次拜访"]
    assert pin.address == "距你 1.2 公里"
    await bot.send(wang, "宏达")
    await bot.press(wang, "上海宏达机电")
    await bot.press(wang, "📍 设置位置")
    assert wang.last().text.startswith("📍 上海宏达机电 在哪里？（已有位置，新的会替换它。）")
    assert texts(await bot.send(wang, "在河边")).startswith("需要 上海宏达机电 的位置")
    await bot.settle(await wang.send_location(*HERE))
    assert wang.last().text.startswith("📍 已保存为 上海宏达机电 的位置（替换了原来的位置）")


async def test_finance_may_not_set_a_place_and_impossible_points_are_refused(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = NOW
    team = await sales_team(bot, emulator)
    fay = await register(bot, emulator, team.admin, Role.FINANCE, 5290, "Fay")
    acme = add_customer(db, team.tom, "Acme Machinery")
    await bot.send(fay, "acme")
    await bot.press(fay, "Acme Machinery")
    assert "📍 Set location" not in fay.last().button_texts()
    await bot.settle(await fay.press_data(f"loc:set:{acme}", fay.last()))
    assert fay.callback_answers[-1]["text"] == "You can't do that with your role."
    assert where_is(db, acme) == (None, None)

    # A forged button for a customer Ken may not see, and points not on Earth.
    await bot.settle(await team.ken.press_data(f"loc:set:{acme}"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    with db.session() as session:
        tom = actor_of(db, team.tom.id)
        for latitude, longitude in ((91.0, 0.0), (0.0, 181.0), (math.nan, 0.0), (0.0, math.inf)):
            with pytest.raises(nearby.PlaceInvalid):
                nearby.set_location(session, tom, acme, latitude, longitude, now=NOW)
            with pytest.raises(nearby.PlaceInvalid):
                nearby.near(session, tom, latitude, longitude, now=NOW, cadence_days=CADENCE)
    assert where_is(db, acme) == (None, None)


async def test_the_first_check_in_at_a_customer_is_offered_as_its_place_once(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = NOW
    team = await sales_team(bot, emulator)
    tom = team.tom
    acme = add_customer(db, tom, "Acme Machinery")
    bolt = add_customer(db, tom, "Bolt Works")

    async def visit_with_check_in(search: str, name: str, at: tuple[float, float]) -> None:
        await bot.settle(await tom.send_location(*at))
        await bot.press(tom, LOG_WITH_THIS)
        await bot.send(tom, search)
        await bot.press(tom, name)
        await bot.press(tom, "🚗 Visit")
        await bot.send(tom, "walked the plant")
        await bot.press(tom, "Skip")
        await bot.press(tom, "No follow-up")
        await bot.press(tom, "✅ Save")

    spot = (HERE[0] + 0.01, HERE[1] + 0.01)
    await visit_with_check_in("acme", "Acme Machinery", spot)
    saved = tom.last()
    assert saved.button_texts()[-1] == "📍 Keep as its place"
    await bot.press(tom, "📍 Keep as its place", saved)
    assert tom.last().text.startswith("📍 Saved as the place of Acme Machinery.")
    assert where_is(db, acme) == spot

    # Acme has a place now: its next check-in asks nothing.
    await visit_with_check_in("acme", "Acme Machinery", HERE)
    assert "📍 Keep as its place" not in tom.last().button_texts()
    assert where_is(db, acme) == spot

    # Bolt's first check-in is offered, not taken; its second is not offered again.
    await visit_with_check_in("bolt", "Bolt Works", HERE)
    assert tom.last().button_texts()[-1] == "📍 Keep as its place"
    await visit_with_check_in("bolt", "Bolt Works", spot)
    assert "📍 Keep as its place" not in tom.last().button_texts()
    assert where_is(db, bolt) == (None, None)

    # Keeping needs a check-in of a customer the person may change.
    with db.session() as session:
        no_check_in = touched(db, tom, bolt, NOW)
        with pytest.raises(NotFound):
            nearby.keep_check_in(session, actor_of(db, tom.id), no_check_in, now=NOW)
    [first_bolt] = [
        touch
        for touch in _touches(db)
        if touch.customer_id == bolt and touch.latitude == HERE[0] and touch.id != no_check_in
    ]
    await bot.settle(await team.ken.press_data(f"loc:keep:{first_bolt.id}"))
    assert team.ken.callback_answers[-1]["text"] == "Not found."
    assert where_is(db, bolt) == (None, None)


def _touches(db: Database) -> list[Touch]:
    with db.session() as session:
        return list(session.exec(select(Touch).order_by(Touch.id)).all())  # type: ignore[arg-type]


async def test_the_brief_suggests_customers_past_their_cadence_near_yesterdays_route(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tue 10:00 in Shanghai
    team = await sales_team(bot, emulator)
    tom = team.tom
    acme = add_customer(db, tom, "Acme Machinery")  # visited yesterday: not suggested
    bolt = add_customer(db, tom, "Bolt Works")  # tier A, 30 days: suggested
    cobalt = add_customer(db, tom, "Cobalt Ltd")  # touched two days ago: not due
    delta = add_customer(db, tom, "Delta Far")  # due, but 9 km away
    echo = add_customer(db, tom, "Echo Trading")  # C, created 2025: due, 2 km from the route
    for customer_id, north, east in ((acme, 0, 0), (bolt, 0.4, 0), (cobalt, 0, 0.3)):
        place(db, customer_id, north, east)
    place(db, delta, 9, 0)
    place(db, echo, 0, -2)
    for customer_id in (bolt,):
        set_tier(db, customer_id, "A")
    with db.session() as session:
        old = session.get(Customer, echo)
        assert old is not None
        old.created_at = datetime(2025, 1, 1, tzinfo=UTC)
    touched(db, tom, bolt, datetime(2026, 10, 25, tzinfo=UTC))
    touched(db, tom, cobalt, datetime(2026, 11, 23, tzinfo=UTC))
    # Yesterday (Tue, Shanghai) Tom checked in at Acme; Ken checked in there too.
    touched(db, tom, acme, datetime(2026, 11, 24, 3, 0, tzinfo=UTC), latitude=HERE[0],
            longitude=HERE[1])  # fmt: skip
    touched(db, team.ken, acme, datetime(2026, 11, 24, 3, 0, tzinfo=UTC), latitude=HERE[0],
            longitude=HERE[1])  # fmt: skip
    # … and later at Foxtrot, 8 km east, where Golf (due) is a kilometre further on.
    foxtrot = add_customer(db, tom, "Foxtrot Mills")
    golf = add_customer(db, tom, "Golf Supplies")  # C, created 2025: due
    place(db, foxtrot, 0, 8)
    place(db, golf, 0, 9)
    with db.session() as session:
        old_golf = session.get(Customer, golf)
        assert old_golf is not None
        old_golf.created_at = datetime(2025, 1, 1, tzinfo=UTC)
    touched(db, tom, foxtrot, datetime(2026, 11, 24, 6, 0, tzinfo=UTC), latitude=HERE[0],
            longitude=HERE[1] + 8 * KM_LON)  # fmt: skip

    clock.current = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # Wed 08:30 in Shanghai
    await bot.tick()
    await bot.tick()
    [brief] = [m.text for m in tom.messages if m.text.startswith("☀️")]
    lines = brief.splitlines()
    at = lines.index("Near yesterday's route (due for a visit)")
    assert lines[at + 1 :] == [
        "📍 Bolt Works [A] · 0.4 km from where you were · 31 days",
        "📍 Golf Supplies · 1.0 km from where you were · never touched",
        "📍 Echo Trading · 2.0 km from where you were · never touched",
    ]
    [kens] = [m.text for m in team.ken.messages if m.text.startswith("☀️")]
    assert "Near yesterday's route" not in kens  # none of his customers is near
    [sara] = [m.text for m in team.sara.messages if m.text.startswith("☀️")]
    assert sara == "☀️ Good morning, Sara: nothing due today (Wed 25 Nov)."


async def test_near_finds_places_across_the_antimeridian(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    """Fiji, 16.5° S (a degree of longitude is 106.6 km there): places either side of ±180°
    are found the short way round, by "near me" and by the route of yesterday's check-ins."""
    clock.current = NOW
    team = await sales_team(bot, emulator)
    east, west, far = (add_customer(db, team.tom, name) for name in ("East", "West", "Far"))
    for customer_id, longitude in ((east, 179.998), (west, -179.997), (far, -179.9)):
        with db.session() as session:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            customer.latitude, customer.longitude = -16.5, longitude
    tom = actor_of(db, team.tom.id)
    with db.session() as session:
        found = nearby.near(session, tom, -16.5, 179.999, now=NOW, cadence_days=CADENCE)
        assert [(c.name, round(c.km, 2)) for c in found] == [("East", 0.11), ("West", 0.43)]
        found = nearby.near(session, tom, -16.5, -179.99, now=NOW, cadence_days=CADENCE)
        assert [(c.name, round(c.km, 2)) for c in found] == [("West", 0.75), ("East", 1.28)]
    yesterday = NOW - timedelta(hours=3)
    touched(db, team.tom, east, yesterday, latitude=-16.5, longitude=179.999)
    touched(db, team.tom, east, yesterday, latitude=-16.5, longitude=-179.92)
    with db.session() as session:
        route = nearby.near_route(
            session,
            tom,
            since=NOW - timedelta(days=1),
            until=NOW,
            now=NOW,
            cadence_days={"A": 1, "B": 1, "C": 1},
        )
    # East was visited; West is 0.43 km from the first check-in, Far 2.13 km from the second.
    assert [(c.name, round(c.km, 2)) for c in route] == [("West", 0.43), ("Far", 2.13)]
