"""One error handler (issue 15): an error nobody foresaw gets the person an apology with an error
id that says "nothing was saved" only when nothing was; the log has the whole traceback under
that id; every admin gets a short alert with it, at most one per kind of error in 10 minutes."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import col, select
from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotContext
from bot.db import Database
from bot.emulator import BotAPIEmulator
from bot.local import LocalBot
from models import OutboxMessage, Role, Team
from tests.conftest import FakeClock
from tests.flows import register, sales_team


async def _fails(update: Update, context: BotContext) -> None:
    raise RuntimeError("a fault nobody foresaw")


async def _fails_after_saving(update: Update, context: BotContext) -> None:
    with context.deps.db.session() as session:
        session.add(Team(name="Saved before the fault"))
    raise KeyError("missing")


def _alerts(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "error_alert")
                .order_by(col(OutboxMessage.id))
            )
        )


async def test_an_unforeseen_error_is_apologised_for_logged_and_announced_once(
    bot: LocalBot,
    emulator: BotAPIEmulator,
    db: Database,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    team = await sales_team(bot, emulator)
    second_admin = await register(bot, emulator, team.admin, Role.ADMIN, 5299, "Ada", team=None)
    assert bot.app is not None
    # Handlers that fail, taken before any of the bot's own (after the access gate).
    bot.app.handlers[0][:0] = [
        CommandHandler("fails", _fails),
        CommandHandler("fails_after_saving", _fails_after_saving),
    ]

    with caplog.at_level(logging.ERROR):
        answer = (await bot.send(team.tom, "/fails"))[-1].text
    prefix = "Sorry, something went wrong on my side and nothing was saved. Please try again. "
    assert answer.startswith(prefix + "(Error E-")
    error_id = answer.removeprefix(prefix + "(Error ").rstrip(")")
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert "RuntimeError at tests/test_error_handler.py:" in record.getMessage()
    assert record.exc_info is not None and "a fault nobody foresaw" in str(record.exc_info[1])

    alerts = _alerts(db)
    assert sorted(alert.chat_id for alert in alerts) == sorted([team.admin.id, second_admin.id])
    assert all(alert.text.startswith(f"⚠️ Error {error_id}: RuntimeError at ") for alert in alerts)

    # The same kind again within 10 minutes: apologised for, logged, not announced again.
    clock.advance(timedelta(minutes=9))
    again = (await bot.send(team.sara, "/fails"))[-1].text
    assert again.startswith(prefix) and error_id not in again
    assert len(_alerts(db)) == 2
    clock.advance(timedelta(minutes=2))
    await bot.send(team.tom, "/fails")
    assert len(_alerts(db)) == 4

    # Something was saved before the fault: the person is not told otherwise.
    saved = (await bot.send(team.tom, "/fails_after_saving"))[-1].text
    assert saved.startswith(
        "Sorry, something went wrong on my side after your change was saved. Open the record"
    )
    assert len(_alerts(db)) == 6  # another kind of error: announced
    with db.session() as session:
        assert session.exec(select(Team).where(Team.name == "Saved before the fault")).one()

    assert [type(error) for error in bot.app.handler_errors] == [RuntimeError] * 3 + [KeyError]
    bot.app.handler_errors.clear()  # failed on purpose
