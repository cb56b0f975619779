"""The pipeline board Mini App (issue 16): Telegram's initData checked as Telegram documents it;
the board's API and page against the bot's own web server, in a real headless Chromium
(Playwright): a manager sees the team's deals by stage with totals, a drag moves a deal through
the same service as the chat's buttons (Lost asks a reason), forged, stale or deactivated
initData gets 401 and nothing; and /board and the managers' menu button through the emulator."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo
from telegram.error import BadRequest

from bot.db import Database
from bot.emulator import BotAPIEmulator, SimUser
from bot.formatting import format_money
from bot.handlers.menu import publish_menu
from bot.local import LocalBot
from bot.services import orders
from bot.services.deals import DealDraft, create_deal, move_stage
from bot.services.webapp_auth import InitDataRefused, check_init_data
from bot.settings import Settings
from bot.web import WebServer
from models import Deal, DealStageChange, Role, Timeframe, User
from tests.conftest import FakeClock, settings_for
from tests.flows import SalesTeam, actor_of, add_customer, register, sales_team

PUBLIC_URL = "https://board.example.com"
TOKEN = "123456789:TEST-token"  # the emulator's, which the bot under test runs with


# -- initData as Telegram signs it (https://core.telegram.org/bots/webapps) ------------------


def signed_init_data(
    telegram_id: int,
    *,
    signed_at: datetime,
    token: str = TOKEN,
    first_name: str = "Mei",
    language_code: str = "en",
) -> str:
    """initData as Telegram builds it: the fields, and ``hash`` = HMAC-SHA-256 of the
    data-check-string (the fields sorted by key, ``key=value`` joined by line feeds) keyed with
    HMAC-SHA-256(key "WebAppData", message the bot token)."""
    user = json.dumps(
        {"id": telegram_id, "first_name": first_name, "language_code": language_code},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": user,
        "auth_date": str(int(signed_at.timestamp())),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def forged(init_data: str, **changes: str) -> str:
    """The same initData with fields changed and the hash kept: what a forger can make."""
    pairs = [pair.split("=", 1) for pair in init_data.split("&")]
    return "&".join(
        f"{key}={quote(changes[key]) if key in changes else value}" for key, value in pairs
    )


def test_init_data_signed_as_telegram_documents_is_accepted(clock: FakeClock) -> None:
    data = signed_init_data(5201, signed_at=clock() - timedelta(hours=23))
    user = check_init_data(data, bot_token=TOKEN, now=clock())
    assert (user.telegram_id, user.first_name, user.language_code) == (5201, "Mei", "en")


def test_a_known_vector() -> None:
    # Worked out once with the documented algorithm (signed_init_data above): a fixed token,
    # user and date always give this hash.
    moment = datetime.fromisoformat("2026-11-25T09:00:00+00:00")
    data = signed_init_data(42, signed_at=moment, token="111111:AAAAAAAAAAAAAAAAAAAA")
    assert data.endswith("&hash=" + KNOWN_HASH)
    user = check_init_data(data, bot_token="111111:AAAAAAAAAAAAAAAAAAAA", now=moment)
    assert user.telegram_id == 42


KNOWN_HASH = "9cd15b05846917ba38e3a199e3124f86e7e71a423443b21c633a75be2d00608a"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing", "missing"),
        ("other bot", "forged"),
        ("another person", "forged"),
        ("no hash", "forged"),
        ("older than a day", "stale"),
        ("not url-encoded", "malformed"),
    ],
)
def test_init_data_refused(clock: FakeClock, case: str, reason: str) -> None:
    good = signed_init_data(5201, signed_at=clock() - timedelta(minutes=5))
    data = {
        "missing": "",
        "other bot": signed_init_data(5201, signed_at=clock(), token="987654321:OTHER-token-x"),
        "another person": forged(good, user='{"id":5204,"first_name":"Ken"}'),
        "no hash": "&".join(part for part in good.split("&") if not part.startswith("hash=")),
        "older than a day": signed_init_data(
            5201, signed_at=clock() - timedelta(days=1, seconds=1)
        ),
        "not url-encoded": "user=%zz&hash",
    }[case]
    with pytest.raises(InitDataRefused) as refused:
        check_init_data(data, bot_token=TOKEN, now=clock())
    assert refused.value.reason == reason


# -- a seeded team behind the bot's web server ---------------------------------------------


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url).model_copy(update={"public_url": PUBLIC_URL})


@dataclass
class Seeded:
    team: SalesTeam
    lathes: int  # Tom's (North), in Lead
    pumps: int  # Sara's (North), in Qualified
    drills: int  # Ken's (South)


def _deal(
    db: Database,
    owner: SimUser,
    customer: str,
    title: str,
    amount: str,
    *,
    close: date,
    timeframe: Timeframe,
    now: datetime,
) -> int:
    actor = actor_of(db, owner.id)
    customer_id = add_customer(db, owner, customer)
    with db.session() as session:
        deal = create_deal(
            session,
            actor,
            DealDraft(customer_id, title, Decimal(amount), "CNY", close, timeframe),
            now=now,
        )
        assert deal.id is not None
        return deal.id


async def seed(bot: LocalBot, emulator: BotAPIEmulator, db: Database, now: datetime) -> Seeded:
    team = await sales_team(bot, emulator)
    lathes = _deal(
        db, team.tom, "Acme Machinery", "Lathes", "120000",
        close=date(2026, 12, 15), timeframe=Timeframe.WITHIN_3_MONTHS, now=now,
    )  # fmt: skip
    pumps = _deal(
        db, team.sara, "Orbit Pumps", "Pumps", "50000",
        close=date(2027, 1, 20), timeframe=Timeframe.NOW, now=now,
    )  # fmt: skip
    drills = _deal(
        db, team.ken, "Zeta Tools", "Secret Drills", "99000",
        close=date(2026, 12, 1), timeframe=Timeframe.NOW, now=now,
    )  # fmt: skip
    with db.session() as session:
        move_stage(session, actor_of(db, team.sara.id), pumps, "qualified", now=now)
    return Seeded(team, lathes, pumps, drills)


@pytest.fixture
async def board_root(bot: LocalBot) -> AsyncIterator[str]:
    """The bot's web server (with PUBLIC_URL set, the board's pages are on it)."""
    assert bot.app is not None
    server = WebServer(bot.app)
    await server.start("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def api(
    root: str,
    method: str,
    path: str,
    init_data: str | None,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    headers = {"Authorization": f"tma {init_data}"} if init_data is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, root + path, headers=headers, json=body) as response,
    ):
        return response.status, await response.json()


def stage_of(db: Database, deal_id: int) -> tuple[str, str | None, str | None]:
    with db.session() as session:
        deal = session.get(Deal, deal_id)
        assert deal is not None
        return deal.stage_key, deal.lost_reason, deal.lost_note


def titles(board: dict[str, Any]) -> dict[str, list[str]]:
    return {
        column["key"]: [card["title"] for card in column["cards"]] for column in board["columns"]
    }


def deactivate(db: Database, person: SimUser) -> None:
    with db.session() as session:
        row = session.exec(select(User).where(User.telegram_id == person.id)).one()
        row.is_active = False


# -- the API ------------------------------------------------------------------------------


async def test_the_api_shows_each_person_the_deals_they_may_see_with_totals(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, board_root: str
) -> None:
    seeded = await seed(bot, emulator, db, clock())
    team = seeded.team

    status, board = await api(
        board_root, "GET", "/board/api/deals", signed_init_data(team.manager.id, signed_at=clock())
    )
    assert status == 200
    assert titles(board) == {
        "lead": ["Lathes"],
        "qualified": ["Pumps"],
        "quoted": [],
        "negotiation": [],
        "contract_review": [],
        "won": [],
        "lost": [],
    }
    lead = board["columns"][0]
    assert (lead["name"], lead["count"]) == ("Lead", 1)
    assert lead["totals"] == [{"currency": "CNY", "amount": "120000.00", "text": "CNY 120,000.00"}]
    assert lead["weighted"][0]["amount"] == "12000.00"  # Lead is 10 %
    assert board["columns"][1]["weighted"][0]["amount"] == "12500.00"  # Qualified 25 % of 50,000
    assert [rep["name"] for rep in board["reps"]] == ["Mei", "Sara", "Tom"]
    card = lead["cards"][0]
    assert (card["customer"], card["owner"], card["amount"]) == (
        "Acme Machinery",
        "Tom",
        "120000.00",
    )

    # A rep sees their own; the rep of the other team theirs only; a director everyone's.
    status, board = await api(
        board_root, "GET", "/board/api/deals", signed_init_data(team.tom.id, signed_at=clock())
    )
    assert [t for ts in titles(board).values() for t in ts] == ["Lathes"]
    status, board = await api(
        board_root, "GET", "/board/api/deals", signed_init_data(team.ken.id, signed_at=clock())
    )
    assert [t for ts in titles(board).values() for t in ts] == ["Secret Drills"]
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dora", team=None)
    status, board = await api(
        board_root, "GET", "/board/api/deals", signed_init_data(director.id, signed_at=clock())
    )
    assert sorted(t for ts in titles(board).values() for t in ts) == [
        "Lathes",
        "Pumps",
        "Secret Drills",
    ]

    # Filters: rep, purchase timeframe, close month.
    mei = signed_init_data(team.manager.id, signed_at=clock())
    sara_id = next(rep["id"] for rep in board["reps"] if rep["name"] == "Sara")
    for query, expected in (
        (f"?rep={sara_id}", ["Pumps"]),
        ("?timeframe=3m", ["Lathes"]),
        ("?month=2027-01", ["Pumps"]),
        ("?month=2026-12&timeframe=now", []),
    ):
        status, board = await api(board_root, "GET", "/board/api/deals" + query, mei)
        assert status == 200
        assert [t for ts in titles(board).values() for t in ts] == expected, query
    status, answer = await api(board_root, "GET", "/board/api/deals?month=2026-13", mei)
    assert (status, answer) == (400, {"error": "failed"})


async def test_forged_stale_or_deactivated_init_data_gets_401_and_nothing(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, board_root: str
) -> None:
    seeded = await seed(bot, emulator, db, clock())
    team = seeded.team
    good = signed_init_data(team.manager.id, signed_at=clock())
    deactivate(db, team.sara)
    refused = {
        "none": None,
        "empty": "",
        "forged": forged(good, user=f'{{"id":{team.ken.id},"first_name":"Ken"}}'),
        "stale": signed_init_data(team.manager.id, signed_at=clock() - timedelta(hours=25)),
        "deactivated": signed_init_data(team.sara.id, signed_at=clock()),
        "stranger": signed_init_data(777001, signed_at=clock()),
        "other bot": signed_init_data(team.manager.id, signed_at=clock(), token="1:x" * 5),
    }
    for case, data in refused.items():
        for method, path, body in (
            ("GET", "/board/api/deals", None),
            ("POST", f"/board/api/deals/{seeded.lathes}/stage", {"stage": "won"}),
        ):
            status, answer = await api(board_root, method, path, data, body)
            assert (status, answer) == (401, {"error": "unauthorized"}), (case, path)
    assert stage_of(db, seeded.lathes) == ("lead", None, None)
    # The clock moving past a day makes yesterday's good initData stale too.
    clock.advance(timedelta(days=1, minutes=1))
    status, _ = await api(board_root, "GET", "/board/api/deals", good)
    assert status == 401


async def test_moves_go_through_the_same_checks_as_the_chat(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database, clock: FakeClock, board_root: str
) -> None:
    seeded = await seed(bot, emulator, db, clock())
    team = seeded.team
    mei = signed_init_data(team.manager.id, signed_at=clock())
    ken = signed_init_data(team.ken.id, signed_at=clock())
    path = f"/board/api/deals/{seeded.lathes}/stage"

    assert await api(board_root, "POST", path, ken, {"stage": "won"}) == (404, {"error": "gone"})
    assert await api(board_root, "POST", path, mei, {"stage": "lost"}) == (
        422,
        {"error": "reason_needed"},
    )
    assert await api(board_root, "POST", path, mei, {"stage": "lost", "reason": "other"}) == (
        422,
        {"error": "note_needed"},
    )
    assert await api(board_root, "POST", path, mei, {"stage": "lead"}) == (
        409,
        {"error": "already"},
    )
    assert await api(board_root, "POST", path, mei, {"stage": "nowhere"}) == (
        404,
        {"error": "gone"},
    )
    assert stage_of(db, seeded.lathes) == ("lead", None, None)

    finance = await register(bot, emulator, team.admin, Role.FINANCE, 5302, "Fay", team=None)
    fay = signed_init_data(finance.id, signed_at=clock())
    status, board = await api(board_root, "GET", "/board/api/deals", fay)
    assert status == 200 and board["may_move"] is False
    assert await api(board_root, "POST", path, fay, {"stage": "won"}) == (
        403,
        {"error": "not_allowed"},
    )
    admin = signed_init_data(team.admin.id, signed_at=clock())
    assert await api(board_root, "GET", "/board/api/deals", admin) == (
        403,
        {"error": "not_allowed"},
    )

    # A board drawn before someone else moved the deal does not undo their move.
    status, board = await api(board_root, "GET", "/board/api/deals", mei)
    [drawn] = [card for card in board["columns"][0]["cards"] if card["id"] == seeded.lathes]
    with db.session() as session:
        move_stage(session, actor_of(db, team.tom.id), seeded.lathes, "qualified", now=clock())
    stale_move = {"stage": "quoted", "seen": drawn["seen"]}
    assert await api(board_root, "POST", path, mei, stale_move) == (409, {"error": "changed"})
    assert stage_of(db, seeded.lathes) == ("qualified", None, None)

    status, answer = await api(
        board_root, "POST", path, mei, {"stage": "lost", "reason": "other", "note": "Went quiet"}
    )
    assert (status, answer) == (200, {"deal_id": seeded.lathes, "stage": "lost"})
    assert stage_of(db, seeded.lathes) == ("lost", "other", "Went quiet")
    with db.session() as session:
        change = session.exec(
            select(DealStageChange)
            .where(DealStageChange.deal_id == seeded.lathes)
            .order_by(DealStageChange.id.desc())  # type: ignore[union-attr]
        ).first()
    assert change is not None and change.changed_by_id == actor_of(db, team.manager.id).user_id

    # A won deal with an order stays won, on the board as in the chat.
    tom = actor_of(db, team.tom.id)
    with db.session() as session:
        move_stage(session, tom, seeded.lathes, "won", now=clock())
        orders.create_order(
            session,
            tom,
            orders.OrderDraft(
                deal_id=seeded.lathes,
                delivery_date=date(2026, 12, 20),
                delivery_owner_id=tom.user_id,
                payment_owner_id=tom.user_id,
                instalments=[orders.InstalmentDraft(Decimal("120000"), date(2026, 12, 31))],
            ),
            now=clock(),
        )
    assert await api(board_root, "POST", path, mei, {"stage": "quoted"}) == (
        409,
        {"error": "has_order"},
    )


async def test_the_page_is_plain_and_served_from_the_bot(bot: LocalBot, board_root: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(board_root + "/board?lang=zh") as response:
            assert response.status == 200
            page = await response.text()
            policy = response.headers["Content-Security-Policy"]
        async with session.get(board_root + "/board/static/board.js") as response:
            assert response.status == 200
            script = await response.text()
        async with session.get(board_root + "/board/static/..%2Fsettings.py") as response:
            assert response.status == 404
    assert "<title>销售看板</title>" in page and "清除筛选" in page
    assert "built-in method" not in page  # every text is the template's, none a dict's method
    assert "script-src 'self'" in policy
    # Nothing from a CDN: every script and style is the bot's own.
    assert "http" not in page.replace("https://core.telegram.org", "")
    assert "tgWebAppData" in script and "http" not in script


# -- in a real browser --------------------------------------------------------------------


def chromium() -> str | None:
    """A Chromium to drive: $CHROMIUM, Debian's, or one on PATH (None: no browser here)."""
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        pytest.skip("no browser: Playwright is not installed (pip install -e '.[test]')")
    executable = chromium()
    async with async_playwright() as playwright:
        if executable is None:
            bundled = playwright.chromium.executable_path
            if not await asyncio.to_thread(Path(bundled).is_file):
                pytest.skip(
                    "no browser: no Chromium found (apt-get install chromium, "
                    "or playwright install chromium)"
                )
        browser = await playwright.chromium.launch(executable_path=executable)
        try:
            # Wide enough for every column side by side (a phone scrolls and taps instead).
            page = await browser.new_page(locale="en-US", viewport={"width": 1800, "height": 900})
            # CI runs the SQLite and PostgreSQL suites side by side on two cores: be patient.
            page.set_default_timeout(15_000)
            expect.set_options(timeout=15_000)
            yield page
        finally:
            await browser.close()


async def open_board(page: Any, root: str, init_data: str, query: str = "") -> None:
    """Open the board as Telegram opens a Mini App: initData in the URL fragment."""
    await page.goto(f"{root}/board{query}#tgWebAppData={quote(init_data)}&tgWebAppVersion=8.0")


async def test_a_manager_sees_the_board_and_drags_deals_across_it(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    db: Database,
    clock: FakeClock,
    board_root: str,
    browser_page: Any,
) -> None:
    from playwright.async_api import expect

    page = browser_page
    seeded = await seed(bot, emulator, db, clock())
    team = seeded.team
    await open_board(page, board_root, signed_init_data(team.manager.id, signed_at=clock()))

    lead = page.locator('[data-stage="lead"]')
    qualified = page.locator('[data-stage="qualified"]')
    await expect(lead.locator("[data-deal]")).to_have_count(1)
    await expect(lead.locator("h2")).to_have_text("Lead 1")
    await expect(lead.locator(".total")).to_have_text("CNY 120,000.00")
    await expect(lead.locator(".weighted")).to_have_text("weighted CNY 12,000.00")
    await expect(lead.locator(f'[data-deal="{seeded.lathes}"]')).to_contain_text("Acme Machinery")
    await expect(lead.locator(f'[data-deal="{seeded.lathes}"]')).to_contain_text("Tom")
    await expect(qualified.locator(f'[data-deal="{seeded.pumps}"]')).to_contain_text("Sara")
    await expect(page.locator("#board")).not_to_contain_text("Secret Drills")  # Ken, South
    assert await page.locator("[data-deal]").count() == 2
    if shot := os.environ.get("BOARD_SCREENSHOT"):  # the README's picture (docs/board.png)
        await page.screenshot(path=shot, clip={"x": 0, "y": 0, "width": 1720, "height": 270})

    # Tapping a deal shows its card.
    await lead.locator(f'[data-deal="{seeded.lathes}"]').click()
    card = page.locator("dialog#card")
    await expect(card).to_contain_text("Lathes")
    await expect(card).to_contain_text(format_money(Decimal("120000"), "CNY", "en"))
    await expect(card).to_contain_text("Within 3 months")
    await card.get_by_role("button", name="Close").click()

    # Dropped back on its own column, nothing happens.
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    await lead.locator(f'[data-deal="{seeded.lathes}"]').drag_to(lead)
    assert stage_of(db, seeded.lathes) == ("lead", None, None)

    # A drag to Qualified moves it, in the database too.
    await lead.locator(f'[data-deal="{seeded.lathes}"]').drag_to(qualified)
    await expect(page.locator("#status")).to_have_text("Moved to Qualified.")
    assert posts == [f"{board_root}/board/api/deals/{seeded.lathes}/stage"]  # one move only
    await expect(qualified.locator("[data-deal]")).to_have_count(2)
    await expect(qualified.locator(".total")).to_have_text("CNY 170,000.00")
    assert stage_of(db, seeded.lathes) == ("qualified", None, None)

    # The chat's deal card is the same afterwards.
    await bot.send(team.manager, "/deals")
    await bot.settle(await team.manager.press_data(f"deal:open:{seeded.lathes}"))
    assert "Stage: Qualified" in team.manager.last().text

    # A drag to Lost asks why; cancelling leaves the deal where it was.
    lost = page.locator('[data-stage="lost"]')
    await qualified.locator(f'[data-deal="{seeded.pumps}"]').drag_to(lost)
    dialog = page.locator("dialog#lost")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()
    assert stage_of(db, seeded.pumps) == ("qualified", None, None)
    await qualified.locator(f'[data-deal="{seeded.pumps}"]').drag_to(lost)
    await page.locator("#lost-reason").select_option("competitor")
    await dialog.get_by_role("button", name="Mark lost").click()
    await expect(lost.locator(f'[data-deal="{seeded.pumps}"]')).to_have_count(1)
    assert stage_of(db, seeded.pumps) == ("lost", "competitor", None)
    await bot.settle(await team.manager.press_data(f"deal:open:{seeded.pumps}"))
    assert "Stage: Lost (competitor)" in team.manager.last().text

    # "Other" needs a few words, asked on the page.
    await qualified.locator(f'[data-deal="{seeded.lathes}"]').drag_to(lost)
    await page.locator("#lost-reason").select_option("other")
    await dialog.get_by_role("button", name="Mark lost").click()
    await expect(page.locator("#lost-error")).to_have_text(
        "Write a few words about why it was lost."
    )
    await page.locator("#lost-note").fill("Budget moved to next year")
    await dialog.get_by_role("button", name="Mark lost").click()
    await expect(lost.locator("[data-deal]")).to_have_count(2)
    assert stage_of(db, seeded.lathes) == ("lost", "other", "Budget moved to next year")


async def test_on_a_phone_a_tap_and_move_to_moves_and_filters_narrow_the_board(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    db: Database,
    clock: FakeClock,
    board_root: str,
    browser_page: Any,
) -> None:
    from playwright.async_api import expect

    page = browser_page
    seeded = await seed(bot, emulator, db, clock())
    team = seeded.team
    await open_board(page, board_root, signed_init_data(team.manager.id, signed_at=clock()))
    await expect(page.locator("[data-deal]")).to_have_count(2)

    await page.locator("#filter-rep").select_option(label="Sara")
    await expect(page.locator("[data-deal]")).to_have_count(1)
    await expect(page.locator("#board")).to_contain_text("Pumps")
    await page.locator("#filter-rep").select_option(label="All reps")
    await page.locator("#filter-timeframe").select_option(label="Within 3 months")
    await expect(page.locator("[data-deal]")).to_have_count(1)
    await expect(page.locator("#board")).to_contain_text("Lathes")
    await page.get_by_role("button", name="Clear filters").click()
    await page.locator("#filter-month").fill("2027-01")
    await expect(page.locator("[data-deal]")).to_have_count(1)
    await expect(page.locator("#board")).to_contain_text("Pumps")
    await page.locator("#filter-clear").click()
    await expect(page.locator("[data-deal]")).to_have_count(2)

    await page.locator(f'[data-deal="{seeded.lathes}"]').click()
    await page.locator("#move-to").select_option(label="Negotiation")
    await page.locator("#move-button").click()
    await expect(page.locator('[data-stage="negotiation"] [data-deal]')).to_have_count(1)
    assert stage_of(db, seeded.lathes) == ("negotiation", None, None)


async def test_a_person_reading_chinese_gets_the_board_in_chinese(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    db: Database,
    clock: FakeClock,
    board_root: str,
    browser_page: Any,
) -> None:
    from playwright.async_api import expect

    page = browser_page
    seeded = await seed(bot, emulator, db, clock())
    with db.session() as session:
        row = session.exec(select(User).where(User.telegram_id == seeded.team.manager.id)).one()
        row.language = "zh"
    await open_board(page, board_root, signed_init_data(seeded.team.manager.id, signed_at=clock()))
    await expect(page.locator("h1")).to_have_text("销售看板")
    await expect(page.locator('[data-stage="lead"] h2')).to_have_text("线索 1")
    await expect(page.locator('[data-stage="lead"] .total')).to_have_text("¥120,000.00")

    # What people typed is shown as text, never run as markup.
    typed = '<img src=x onerror="document.title=1">阀门'
    valves = _deal(
        db, seeded.team.tom, "<b>华东</b>", typed, "800",
        close=date(2026, 12, 3), timeframe=Timeframe.NOW, now=clock(),
    )  # fmt: skip
    await page.reload()
    card = page.locator(f'[data-deal="{valves}"]')
    await expect(card.locator("h3")).to_have_text(typed)
    await expect(card.locator(".customer")).to_have_text("<b>华东</b>")
    assert await page.locator("#board img, #board b").count() == 0
    assert await page.title() == "销售看板"


@pytest.mark.parametrize("case", ["forged", "stale", "deactivated", "none"])
async def test_the_page_shows_nothing_without_good_init_data(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    db: Database,
    clock: FakeClock,
    board_root: str,
    browser_page: Any,
    case: str,
) -> None:
    from playwright.async_api import expect

    page = browser_page
    seeded = await seed(bot, emulator, db, clock())
    team = seeded.team
    good = signed_init_data(team.tom.id, signed_at=clock())
    deactivate(db, team.sara)
    answers: list[int] = []
    page.on(
        "response",
        lambda response: answers.append(response.status) if "/board/api/" in response.url else None,
    )
    if case == "none":
        await page.goto(f"{board_root}/board")
    else:
        await open_board(
            page,
            board_root,
            {
                "forged": forged(good, user=f'{{"id":{team.manager.id},"first_name":"Mei"}}'),
                "stale": signed_init_data(team.tom.id, signed_at=clock() - timedelta(hours=25)),
                "deactivated": signed_init_data(team.sara.id, signed_at=clock()),
            }[case],
        )
    await expect(page.locator("#status")).to_contain_text("This board opens from the bot")
    body = await page.locator("body").inner_text()
    for secret in ("Lathes", "Pumps", "Acme", "Orbit", "Tom", "Sara", "120,000"):
        assert secret not in body
    assert await page.locator("[data-deal]").count() == 0
    assert answers == ([] if case == "none" else [401])


# -- /board and the menu button through the emulator ----------------------------------------


async def test_board_answers_with_a_mini_app_button_for_who_may_see_deals(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    finance = await register(bot, emulator, team.admin, Role.FINANCE, 5302, "Fay", team=None)
    for person in (team.manager, team.tom, finance):
        [answer] = await bot.send(person, "/board")
        assert answer.text.startswith("📊 Pipeline board")
        [button] = answer.buttons()
        assert button.text == "📊 Open the board"
        assert button.web_app_url == f"{PUBLIC_URL}/board?lang=en"
        assert button.callback_data is None
    [answer] = await bot.send(team.admin, "/board")
    assert answer.text == "You can't do that with your role."


async def test_without_public_url_board_says_what_is_missing(
    bot: LocalBot, emulator: BotAPIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = await sales_team(bot, emulator)
    assert bot.app is not None
    monkeypatch.setattr(bot.app.deps.settings, "public_url", None)
    [answer] = await bot.send(team.manager, "/board")
    assert "PUBLIC_URL" in answer.text and answer.buttons() == []
    monkeypatch.setattr(bot.app.deps.settings, "public_url", "http://plain.example.com")
    [answer] = await bot.send(team.manager, "/board")
    assert "https" in answer.text and answer.buttons() == []


async def test_managers_and_directors_get_the_board_as_their_menu_button(
    bot: LocalBot, emulator: BotAPIEmulator, db: Database
) -> None:
    team = await sales_team(bot, emulator)
    director = await register(bot, emulator, team.admin, Role.DIRECTOR, 5301, "Dora", team=None)
    for person in (team.manager, director):
        assert emulator.menu_buttons[person.id] == {
            "type": "web_app",
            "text": "📊 Board",
            "web_app": {"url": f"{PUBLIC_URL}/board?lang=en"},
        }
    for person in (team.tom, team.admin):
        assert emulator.menu_buttons.get(person.id, {"type": "default"}) == {"type": "default"}
    # Deactivated (or no longer a manager), the board button goes with the menu.
    assert bot.app is not None
    await publish_menu(bot.app, director.id, None, "en")
    assert emulator.menu_buttons[director.id] == {"type": "default"}
    await publish_menu(bot.app, team.manager.id, Role.REP, "zh")
    assert emulator.menu_buttons[team.manager.id] == {"type": "default"}
    await publish_menu(bot.app, team.manager.id, Role.MANAGER, "zh")
    assert emulator.menu_buttons[team.manager.id] == {
        "type": "web_app",
        "text": "📊 看板",
        "web_app": {"url": f"{PUBLIC_URL}/board?lang=zh"},
    }
    # The emulator refuses what Telegram refuses: a Mini App over plain http.
    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        await bot.app.bot.send_message(
            team.tom.id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("x", web_app=WebAppInfo("http://plain.example.com"))]]
            ),
        )
    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        await bot.app.bot.set_chat_menu_button(
            team.tom.id, MenuButtonWebApp("x", WebAppInfo("http://plain.example.com"))
        )
    assert [name for name, _ in emulator.rejections] == ["sendMessage", "setChatMenuButton"]
    emulator.rejections.clear()
