"""End to end: a person's private calendar feed (issue 16). ``/calendar`` gives the URL, the
bot's own web server serves the iCalendar at it: follow-ups at their time in the person's zone
(with its VTIMEZONE), deliveries and instalments all day, each linking back to the bot; done or
moved follow-ups change; *Reset link*, deactivation and guesses get 404; only hashes are kept."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from icalendar import Calendar
from sqlmodel import col, select

from bot.app import build_application
from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.local import LocalBot
from bot.services import calendar_feed, orders, visits
from bot.settings import Settings
from bot.web import WebServer
from models import CalendarFeed, Role, SalesOrder, Touch, User
from tests.conftest import FakeClock, settings_for
from tests.flows import actor_of, add_customer, make_order, sales_team, set_zone, texts

PUBLIC = "https://crm.example.com"
FEED_LINK = re.compile(re.escape(PUBLIC) + r"/calendar/([A-Za-z0-9_-]+)\.ics")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url).model_copy(update={"public_url": PUBLIC})


@dataclass
class FeedServer:
    """The bot's web server, as a calendar app reaches it behind PUBLIC_URL."""

    server: WebServer

    def local(self, url: str) -> str:
        assert url.startswith(PUBLIC), url
        return f"http://127.0.0.1:{self.server.port}" + url[len(PUBLIC) :]

    async def fetch(self, url: str) -> tuple[int, str, bytes]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.local(url)) as response,
        ):
            return response.status, response.headers.get("Content-Type", ""), await response.read()

    async def calendar(self, url: str) -> Calendar:
        status, content_type, body = await self.fetch(url)
        assert status == 200, body
        assert content_type == "text/calendar; charset=utf-8"
        return Calendar.from_ical(body)


@pytest.fixture
async def feeds(bot: LocalBot) -> AsyncIterator[FeedServer]:
    assert bot.app is not None
    server = WebServer(bot.app)
    await server.start("127.0.0.1", 0)
    try:
        yield FeedServer(server)
    finally:
        await server.stop()


def events(calendar: Calendar) -> dict[str, Any]:
    """The feed's events by summary."""
    found = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "two events with one summary"
    return found


async def feed_url(bot: LocalBot, person: SimUser) -> str:
    answer = texts(await bot.send(person, "/calendar"))
    found = FEED_LINK.search(answer)
    assert found, answer
    return found.group(0)


def touch_of(db: Database, customer_id: int) -> int:
    """The customer's touch with an open follow-up."""
    with db.session() as session:
        touch = session.exec(
            select(Touch).where(
                Touch.customer_id == customer_id, col(Touch.follow_up_done_at).is_(None)
            )
        ).one()
        assert touch.id is not None
        return touch.id


async def test_a_reps_feed_has_follow_ups_deliveries_and_instalments_linking_back(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, feeds: FeedServer
) -> None:
    team = await sales_team(bot, emulator)
    set_zone(db, team.tom, "Europe/Berlin")
    acme = add_customer(db, team.tom, "Acme Machinery")
    brightway = add_customer(db, team.tom, "Brightway Logistics")
    add_customer(db, team.sara, "Pacific Steel Works")
    # 25 Nov, 10:00 in Berlin: a follow-up tomorrow at 10:00, one in two days (a date alone).
    await bot.send(team.tom, "/visit Acme Machinery: demo; next: quote tomorrow 10am")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.tom, "/visit Brightway: call; next: samples in 2 days")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.sara, "/visit Pacific Steel: call; next: call back tomorrow 11am")
    await bot.press(team.sara, "✅ Save")
    order_id, _ = make_order(
        db,
        team.tom,
        team.tom,
        acme,
        "Lathes",
        [("5000", date(2026, 12, 10)), ("7000", date(2027, 1, 10))],
        delivery_date=date(2026, 12, 1),
    )

    answer = (await bot.send(team.tom, "/calendar"))[-1]
    assert answer.text.startswith("📅 Your calendar link")
    assert "Add Subscribed Calendar" in answer.text and "From URL" in answer.text
    assert answer.button_texts() == ["🔄 Reset link"]
    url = FEED_LINK.search(answer.text)
    assert url is not None
    calendar = await feeds.calendar(url.group(0))

    assert str(calendar["x-wr-calname"]) == "salesbot · Tom"
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    found = events(calendar)
    assert set(found) == {
        "🔔 Acme Machinery: quote",
        "🔔 Brightway Logistics: samples",
        "💰 CNY 5,000.00 due · Acme Machinery",
        "💰 CNY 7,000.00 due · Acme Machinery",
        f"🚚 Delivery {_order_number(db, order_id)} · Acme Machinery",
    }
    quote = found["🔔 Acme Machinery: quote"]
    assert quote["dtstart"].params["TZID"] == "Europe/Berlin"
    assert quote.decoded("dtstart") == datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN)
    assert quote.decoded("dtend") == datetime(2026, 11, 26, 10, 30, tzinfo=BERLIN)
    link = f"https://t.me/{emulator.bot_username}?start=cus_{acme}"
    assert str(quote["url"]) == link
    assert link in str(quote["description"])
    samples = found["🔔 Brightway Logistics: samples"]
    assert samples.decoded("dtstart") == date(2026, 11, 27)
    assert samples.decoded("dtend") == date(2026, 11, 28)
    delivery = found[f"🚚 Delivery {_order_number(db, order_id)} · Acme Machinery"]
    assert delivery.decoded("dtstart") == date(2026, 12, 1)
    assert str(delivery["url"]).endswith(f"?start=ord_{order_id}")
    assert found["💰 CNY 5,000.00 due · Acme Machinery"].decoded("dtstart") == date(2026, 12, 10)
    assert "Pacific Steel" not in calendar.to_ical().decode()  # Sara's, never Tom's

    # The links back open the records, for whoever may see them.
    card = (await bot.send(team.tom, f"/start cus_{acme}"))[-1]
    assert card.text.startswith("Acme Machinery") and "📝 Log visit" in card.button_texts()
    order_card = texts(await bot.send(team.tom, f"/start ord_{order_id}"))
    assert _order_number(db, order_id) in order_card
    assert texts(await bot.send(team.sara, f"/start cus_{acme}")) == "Not found."
    for forged in ("cus_99999999999999999999999", "ord_0", f"ord_{order_id + 1}"):
        assert texts(await bot.send(team.tom, f"/start {forged}")) == "Not found.", forged

    # A moved follow-up keeps its event (the same UID) at its new time; a done one is gone.
    uids = {summary: str(event["uid"]) for summary, event in found.items()}
    with db.session() as session:
        visits.move_follow_up(
            session,
            actor_of(db, team.tom.id),
            touch_of(db, brightway),
            datetime(2026, 11, 30, 14, 0, tzinfo=BERLIN).astimezone(UTC),
            has_time=True,
            now=clock(),
        )
    await bot.send(team.tom, "/visit Acme Machinery: sent the quote")
    await bot.press(team.tom, "✅ Save")
    with db.session() as session:
        orders.mark_delivered(session, actor_of(db, team.tom.id), order_id, now=clock())
    found = events(await feeds.calendar(url.group(0)))
    assert "🔔 Acme Machinery: quote" not in found
    assert not any(summary.startswith("🚚") for summary in found)
    samples = found["🔔 Brightway Logistics: samples"]
    assert str(samples["uid"]) == uids["🔔 Brightway Logistics: samples"]
    assert samples.decoded("dtstart") == datetime(2026, 11, 30, 14, 0, tzinfo=BERLIN)

    # The feed is bounded: a follow-up more than a year ahead is not in it (yet).
    with db.session() as session:
        visits.move_follow_up(
            session,
            actor_of(db, team.tom.id),
            touch_of(db, brightway),
            datetime(2028, 1, 10, 9, 0, tzinfo=UTC),
            has_time=True,
            now=clock(),
        )
    found = events(await feeds.calendar(url.group(0)))
    assert set(found) == {
        "💰 CNY 5,000.00 due · Acme Machinery",
        "💰 CNY 7,000.00 due · Acme Machinery",
    }


def _order_number(db: Database, order_id: int) -> str:
    with db.session() as session:
        order = session.get(SalesOrder, order_id)
        assert order is not None
        return order.number


async def test_reset_deactivation_and_guesses_get_nothing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, feeds: FeedServer
) -> None:
    team = await sales_team(bot, emulator)
    first = await feed_url(bot, team.tom)
    assert (await feeds.fetch(first))[0] == 200

    # Asking again shows no link (none is kept) and does not break the one subscribed to.
    again = (await bot.send(team.tom, "/calendar"))[-1]
    assert again.text.startswith("📅 You already have a calendar link (made Wed 25 Nov 2026,")
    assert FEED_LINK.search(again.text) is None
    assert (await feeds.fetch(first))[0] == 200

    # Reset: a new link in its place, and the old one answers 404.
    clock.advance(timedelta(minutes=5))
    await bot.press(team.tom, "🔄 Reset link", again)
    reset = again  # the button's message now shows the new link
    assert reset.text.startswith("🔄 Your new calendar link")
    found = FEED_LINK.search(reset.text)
    assert found is not None
    second = found.group(0)
    assert second != first
    status, _, body = await feeds.fetch(first)
    assert (status, body) == (404, b"not found")
    assert (await feeds.fetch(second))[0] == 200

    # Only the SHA-256 of the token is stored.
    token = found.group(1)
    assert len(token) >= 43
    with db.session() as session:
        rows = session.exec(select(CalendarFeed)).all()
    assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in row.token_hash for row in rows)

    # Guesses: a random token, a malformed one, another path: the same 404.
    for guess in (
        f"{PUBLIC}/calendar/{secrets.token_urlsafe(32)}.ics",
        f"{PUBLIC}/calendar/short.ics",
        f"{PUBLIC}/calendar/{token}.ICS",
        f"{PUBLIC}/calendar/{token}",
    ):
        assert (await feeds.fetch(guess))[0] == 404, guess

    # A deactivated person's link opens nothing; Sara's own feed has none of Tom's.
    sara = await feed_url(bot, team.sara)
    assert (await feeds.fetch(sara))[0] == 200
    with db.session() as session:
        row = session.exec(select(User).where(User.telegram_id == team.tom.id)).one()
        row.is_active = False
    status, _, body = await feeds.fetch(second)
    assert (status, body) == (404, b"not found")

    # Deactivated in /users, Sara's link is revoked for good: reactivated, the old link still
    # opens nothing, and /calendar makes her a new one.
    admin = team.admin
    for shown, action in (("Sara", "Deactivate"), ("⛔ Sara", "Reactivate")):
        await bot.send(admin, "/users")
        await bot.press(admin, f"{shown} · Sales rep")
        await bot.press(admin, action)
    with db.session() as session:
        assert session.exec(select(User).where(User.telegram_id == team.sara.id)).one().is_active
    assert (await feeds.fetch(sara))[0] == 404
    renewed = await feed_url(bot, team.sara)
    assert renewed != sara and (await feeds.fetch(renewed))[0] == 200


async def test_a_feed_shows_only_the_persons_own_work(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, feeds: FeedServer
) -> None:
    team = await sales_team(bot, emulator)
    add_customer(db, team.tom, "Acme Machinery")
    add_customer(db, team.sara, "Pacific Steel Works")
    await bot.send(team.tom, "/visit Acme Machinery: demo; next: quote tomorrow 10am")
    await bot.press(team.tom, "✅ Save")
    await bot.send(team.sara, "/visit Pacific Steel: call; next: call back tomorrow 11am")
    await bot.press(team.sara, "✅ Save")
    tom, sara, manager = [
        await feed_url(bot, person) for person in (team.tom, team.sara, team.manager)
    ]
    assert sorted(events(await feeds.calendar(tom))) == ["🔔 Acme Machinery: quote"]
    sara_events = events(await feeds.calendar(sara))
    assert sorted(sara_events) == ["🔔 Pacific Steel Works: call back"]
    # Default zone (Shanghai) for Sara: 11:00 there.
    assert sara_events["🔔 Pacific Steel Works: call back"].decoded("dtstart") == datetime(
        2026, 11, 26, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert events(await feeds.calendar(manager)) == {}  # the team's follow-ups are theirs


async def test_chinese_texts_and_feed(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, feeds: FeedServer
) -> None:
    team = await sales_team(bot, emulator)
    acme = add_customer(db, team.tom, "上海宏达机电")
    await bot.send(team.tom, "/language")
    await bot.press(team.tom, "中文")
    await bot.send(team.tom, "/visit 上海宏达: 演示; next: 报价 tomorrow 10am")
    await bot.press(team.tom, "✅ 保存")
    answer = (await bot.send(team.tom, "/calendar"))[-1]
    assert answer.text.startswith("📅 你的日历链接")
    assert "添加已订阅的日历" in answer.text
    assert answer.button_texts() == ["🔄 重置链接"]
    found = FEED_LINK.search(answer.text)
    assert found is not None
    calendar = await feeds.calendar(found.group(0))
    assert str(calendar["x-wr-calname"]) == "销售助手 · Tom"
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "🔔 上海宏达机电：报价"
    assert str(event["description"]).startswith("跟进 上海宏达机电：报价")
    assert f"在机器人中打开：https://t.me/{emulator.bot_username}?start=cus_{acme}" in str(
        event["description"]
    )
    again = texts(await bot.send(team.tom, "/calendar"))
    assert again.startswith("📅 你已经有一个日历链接")


async def test_without_public_url_the_answer_says_what_is_missing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    bot.deps.settings = bot.deps.settings.model_copy(update={"public_url": None})
    team = await sales_team(bot, emulator)
    answer = texts(await bot.send(team.tom, "/calendar"))
    assert answer.startswith("📅 Calendar links are not available yet")
    assert "PUBLIC_URL" in answer
    with db.session() as session:
        assert session.exec(select(CalendarFeed)).all() == []


async def test_a_standby_serves_feeds_too(
    deps: Deps, emulator: BotAPIEmulator, db: Database, clock: FakeClock
) -> None:
    """A standby process serves the pages without running the bot: the feed's links back learn
    the bot's username from the Bot API itself."""
    app = build_application(
        deps,
        token=emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
    )
    server = WebServer(app, role=lambda: "standby")
    await server.start("127.0.0.1", 0)
    try:
        tom = emulator.user(5202, "Tom")
        with db.session() as session:
            session.add(
                User(telegram_id=tom.id, full_name="Tom", timezone="Asia/Shanghai", role=Role.REP)
            )
        acme = add_customer(db, tom, "Acme Machinery")
        with db.session() as session:
            session.add(
                Touch(
                    customer_id=acme,
                    author_id=actor_of(db, tom.id).user_id,
                    kind="call",
                    next_step="quote",
                    follow_up_at=clock() + timedelta(days=1),
                    follow_up_has_time=True,
                )
            )
            token = calendar_feed.issue_token(session, actor_of(db, tom.id).user_id, clock())
        calendar = await FeedServer(server).calendar(calendar_feed.feed_url(PUBLIC, token))
        [event] = calendar.walk("VEVENT")
        assert str(event["url"]) == f"https://t.me/{emulator.bot_username}?start=cus_{acme}"
        assert event.decoded("dtstart") == datetime(
            2026, 11, 26, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai")
        )
    finally:
        await server.stop()
        await app.bot.shutdown()
