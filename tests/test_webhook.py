"""Webhook mode and the operations pages: the real Application behind our aiohttp server, the
emulator posting updates to it as Telegram does; ``/healthz`` and ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.app import SalesbotApplication, build_application
from bot.context import Deps
from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.runner import Webhook, start_bot, stop_bot
from bot.settings import load_settings
from bot.web import SECRET_HEADER, WebServer
from models import Customer, OutboxMessage, Role, Touch, User
from tests.conftest import ADMIN_ID

SECRET = "s3cret_Token-for-tests"


@dataclass
class WebhookBot:
    app: SalesbotApplication
    server: WebServer
    url: str

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.root + path) as response:
            return response.status, await response.text()

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.root + "/healthz") as response,
        ):
            return response.status, await response.json()

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        status, body = await self.get("/metrics")
        assert status == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body)
            for sample in family.samples
        }


@pytest.fixture
async def webhook_bot(deps: Deps, emulator: BotAPIEmulator) -> AsyncIterator[WebhookBot]:
    app = build_application(
        deps,
        token=emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
    )
    server = WebServer(app, webhook_path="/telegram/updates", webhook_secret=SECRET)
    await server.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.port}/telegram/updates"
    await start_bot(
        app, poll_timeout=timedelta(seconds=2), schedule=False, webhook=Webhook(url, SECRET)
    )
    try:
        yield WebhookBot(app=app, server=server, url=url)
    finally:
        await stop_bot(app)
        await server.stop()
    assert app.handler_errors == [], f"handlers failed: {app.handler_errors!r}"
    assert emulator.rejections == [], f"the Bot API refused: {emulator.rejections!r}"


async def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until ``condition()`` holds (for what the emulator does not announce)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def start_update(update_id: int, user_id: int) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Mallory"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_764_000_000,
            "chat": {**person, "type": "private"},
            "from": person,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_only_updates_with_the_secret_are_handled(
    webhook_bot: WebhookBot, emulator: BotAPIEmulator
) -> None:
    # The bot registered its webhook, with the secret and the updates it wants.
    assert emulator.webhook_url == webhook_bot.url
    assert emulator.webhook_secret == SECRET
    assert set(emulator.allowed_updates) == {
        "message",
        "callback_query",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
    }

    mallory = emulator.user(ADMIN_ID, "Mallory")  # the admin's id: /start would register them
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            async with session.post(
                webhook_bot.url, json=start_update(500, ADMIN_ID), headers=headers
            ) as response:
                assert response.status == 403
    await asyncio.sleep(0.3)
    assert mallory.messages == []
    assert webhook_bot.app.update_queue.qsize() == 0

    # Through the emulator, as Telegram: the header carries the secret and the bot answers.
    admin = emulator.user(ADMIN_ID, "Alice", last_name="Admin")
    await admin.send("/start")
    [welcome] = await admin.wait_for_messages(1)
    assert "registered as admin" in welcome.text
    assert emulator.webhook_deliveries == 1 and emulator.webhook_errors == []

    # A wrong secret on Telegram's side: refused, kept and tried again until it is right.
    emulator.webhook_secret = "not-the-secret"
    await admin.send("/help")
    await eventually(lambda: len(emulator.webhook_errors) >= 2)  # refused, and tried again
    assert all("403" in error for error in emulator.webhook_errors)
    assert len(admin.messages) == 1 and emulator.pending_updates() == 1
    emulator.webhook_secret = SECRET
    await admin.wait_for_messages(2)
    assert emulator.pending_updates() == 0

    # A malformed body with the right secret is refused, not handled.
    async with (
        aiohttp.ClientSession() as session,
        session.post(webhook_bot.url, data=b"not json", headers={SECRET_HEADER: SECRET}) as answer,
    ):
        assert answer.status == 400


async def test_a_standby_refuses_updates_with_503(deps: Deps, emulator: BotAPIEmulator) -> None:
    app = build_application(deps, token=emulator.token, base_url=emulator.base_url)
    server = WebServer(app, role=lambda: "standby", webhook_path="/hook", webhook_secret=SECRET)
    await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{server.port}"
            async with session.post(
                url + "/hook", json=start_update(1, ADMIN_ID), headers={SECRET_HEADER: SECRET}
            ) as response:
                assert response.status == 503
            async with session.get(url + "/healthz") as response:
                assert response.status == 200
                body = await response.json()
        assert body["role"] == "standby" and body["healthy"] is True
        assert body["scheduler"] == {"ok": True, "running": False}
    finally:
        await server.stop()


def unreachable_database(url: str) -> Database:
    """A database that cannot be reached: PostgreSQL on a closed port, SQLite in no directory."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return Database(parsed.set(port=1).render_as_string(hide_password=False))
    return Database("sqlite:////nonexistent-directory/salesbot.db")


async def test_healthz(webhook_bot: WebhookBot, deps: Deps) -> None:
    # The leader has not ticked yet (the scheduler is not installed in this test): unhealthy.
    status, body = await webhook_bot.health()
    assert status == 503
    assert body["role"] == "leader"
    assert body["database"] == {"ok": True}
    assert body["scheduler"]["ok"] is False and body["scheduler"]["last_tick"] is None

    await webhook_bot.app.scheduler.tick()
    status, body = await webhook_bot.health()
    assert status == 200 and body["healthy"] is True
    assert body["scheduler"]["ok"] is True and body["scheduler"]["seconds_since"] < 5
    assert set(body) == {"healthy", "role", "instance", "database", "scheduler"}

    working = deps.db
    deps.db = unreachable_database(working.url)
    try:
        status, body = await webhook_bot.health()
    finally:
        deps.db.dispose()
        deps.db = working
    assert status == 503 and body["healthy"] is False
    assert body["database"]["ok"] is False and body["database"]["error"]
    assert body["scheduler"]["ok"] is True

    # A scheduler whose last tick is long past is unhealthy too.
    scheduler = webhook_bot.app.scheduler
    assert scheduler.last_tick is not None
    scheduler.last_tick -= 3600
    status, body = await webhook_bot.health()
    assert status == 503 and body["database"] == {"ok": True}
    assert body["scheduler"]["ok"] is False


def seed_due_follow_up(deps: Deps, emulator: BotAPIEmulator) -> None:
    with deps.db.session() as session:
        user = User(telegram_id=930001, full_name="Rep", timezone="UTC", role=Role.ADMIN)
        session.add(user)
        session.flush()
        customer = Customer(name="Acme Tools", owner_id=user.id or 0)
        session.add(customer)
        session.flush()
        session.add(
            Touch(
                customer_id=customer.id or 0,
                author_id=user.id or 0,
                kind="call",
                notes="called",
                next_step="send the quote",
                follow_up_at=deps.now() - timedelta(minutes=10),
                follow_up_has_time=True,
            )
        )
    emulator.user(930001, "Rep").known = True


def value(
    metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics(webhook_bot: WebhookBot, deps: Deps, emulator: BotAPIEmulator) -> None:
    before = await webhook_bot.metrics()  # the metrics are process-wide: compare differences
    admin = emulator.user(ADMIN_ID, "Alice", last_name="Admin")
    await admin.send("/start")
    await admin.wait_for_messages(1)
    for number in range(2):
        await admin.send("/help")
        await admin.wait_for_messages(2 + number)
    seed_due_follow_up(deps, emulator)
    await webhook_bot.app.scheduler.tick()
    after = await webhook_bot.metrics()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("salesbot_updates_total", kind="message") == 3
    assert grew("salesbot_updates_total", kind="callback_query") == 0
    assert grew("salesbot_handler_seconds_count") == 3
    assert grew("salesbot_handler_seconds_sum") > 0
    assert grew("salesbot_handler_errors_total") == 0
    for producer in ("followups", "brief", "digest", "birthdays"):
        assert grew("salesbot_tick_seconds_count", producer=producer) == 1, producer
    with deps.db.session() as session:
        counts = dict(
            session.exec(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ).all()
        )
    assert counts.get("sent", 0) >= 1  # the follow-up reminder
    for state in ("pending", "sending", "sent", "skipped", "failed"):
        assert value(after, "salesbot_outbox_rows", state=state) == counts.get(state, 0), state
    assert value(after, "salesbot_last_tick_timestamp_seconds") > 0
    assert ("salesbot_telegram_429_total", ()) in after
    assert ("salesbot_conversation_timeouts_total", ()) in after


async def test_settings_for_webhook_mode() -> None:
    from bot.settings import SettingsError, require_webhook

    with pytest.raises(SettingsError, match="WEBHOOK_URL is not set"):
        require_webhook(load_settings(WEBHOOK_URL="", WEBHOOK_SECRET="abc"))
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is not set"):
        require_webhook(load_settings(WEBHOOK_URL="https://bot.example.com/hook"))
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is invalid"):
        load_settings(WEBHOOK_SECRET="has spaces!")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is invalid"):
        load_settings(WEBHOOK_SECRET="x" * 257)
    with pytest.raises(SettingsError, match="WEBHOOK_URL='ftp://x' is invalid"):
        load_settings(WEBHOOK_URL="ftp://x")
    assert require_webhook(
        load_settings(WEBHOOK_URL="https://bot.example.com/hook", WEBHOOK_SECRET="a-Z_9")
    ) == ("https://bot.example.com/hook", "a-Z_9")


def test_webhook_mode_without_its_settings_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from tests.test_process import run_main

    token = "123456789:TEST-token-for-settings"
    code, out, err = run_main(tmp_path, "--webhook", TELEGRAM_BOT_TOKEN=token)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("salesbot: WEBHOOK_URL is not set: --webhook expects")
    code, _, err = run_main(
        tmp_path,
        "--webhook",
        TELEGRAM_BOT_TOKEN=token,
        WEBHOOK_URL="https://bot.example.com/hook",
        WEBHOOK_SECRET="no spaces please",
    )
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("salesbot: WEBHOOK_SECRET is invalid: expected 1-256 characters")
    assert "no spaces" not in err  # a secret is never printed
