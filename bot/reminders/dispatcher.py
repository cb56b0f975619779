"""Sending what the outbox holds: claim due rows, check each is still wanted (opted out, quiet
hours, an open complaint, a moved follow-up…), send it within Telegram's limits, and record the
outcome. Every row ends as sent, skipped with a reason, or failed with the error.

Delivery is at least once: a process that dies after Telegram accepted a message but before the
row was marked sent (a few milliseconds) leaves the row to be sent again when its lease ends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.reminders import outbox
from bot.reminders.timing import quiet_until
from models import Contact, Customer, OutboxMessage, Ticket, TicketKind, TicketStatus, User

logger = logging.getLogger("salesbot.outbox")
_T = TypeVar("_T")

LATE_AFTER = timedelta(minutes=15)
QUIET = "quiet hours"
BATCH = 100

# Per kind: a check run just before sending; a returned text is the reason to skip the row.
Validator = Callable[[Session, OutboxMessage, datetime], str | None]
VALIDATORS: dict[str, Validator] = {}
# Kinds whose lateness matters to the reader: a line saying so is put on top when late.
LATE_NOTE_KINDS: set[str] = set()


def validator(kind: str) -> Callable[[Validator], Validator]:
    def register(function: Validator) -> Validator:
        VALIDATORS[kind] = function
        return function

    return register


@dataclass
class DispatchReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    postponed: int = 0
    reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class _Ready:
    chat_id: int
    text: str
    photo: bytes | None
    markup: InlineKeyboardMarkup | None
    late: bool


@dataclass(frozen=True)
class _Recipient:
    zone: str
    quiet_hours: str
    language: str | None


def open_complaint(session: Session, customer_id: int) -> bool:
    return (
        session.exec(
            select(Ticket.id).where(
                Ticket.customer_id == customer_id,
                Ticket.kind == TicketKind.COMPLAINT.value,
                col(Ticket.status) != TicketStatus.RESOLVED.value,
            )
        ).first()
        is not None
    )


class Dispatcher:
    """Sends due outbox rows through ``bot``, within Telegram's limits."""

    def __init__(self, app: object) -> None:
        from bot.app import SalesbotApplication

        assert isinstance(app, SalesbotApplication)
        self.app = app
        self.deps = app.deps
        self.worker = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.paused_until: datetime | None = None  # flood control from Telegram
        # Telegram's broadcast limit, for the outbox's sends only (answers to a person are not
        # paced): a bucket of one refilled OUTBOX_MAX_PER_SECOND times a second, so no rolling
        # second holds more than that (plus one). A 429 still comes back to us and pauses.
        self._pace = AsyncLimiter(1, 1 / self.deps.settings.outbox_max_per_second)
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="outbox")
        # Called at "claimed" (rows taken) and "delivered" (Telegram accepted, row not yet
        # marked): tests raise here to stand for the process dying at that point.
        self.checkpoint: Callable[[str], None] = lambda point: None

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    async def run(self) -> DispatchReport:
        """Send everything due now, batch after batch; stop early under flood control."""
        report = DispatchReport()
        while True:
            now = self.deps.now()
            if self.paused_until is not None and now < self.paused_until:
                break
            settings = self.deps.settings
            with self.deps.db.session() as session:
                ids = outbox.claim(
                    session,
                    now=now,
                    worker=self.worker,
                    limit=BATCH,
                    lease=timedelta(seconds=settings.outbox_lease_seconds),
                )
            if not ids:
                break
            self.checkpoint("claimed")
            by_chat: dict[int, list[int]] = defaultdict(list)
            with self.deps.db.session() as session:
                for row_id, chat_id in session.exec(
                    select(OutboxMessage.id, OutboxMessage.chat_id)
                    .where(col(OutboxMessage.id).in_(ids))
                    .order_by(col(OutboxMessage.send_after), col(OutboxMessage.id))
                ):
                    by_chat[chat_id].append(row_id or 0)
            await asyncio.gather(*(self._send_chat(rows, report) for rows in by_chat.values()))
        return report

    async def _send_chat(self, row_ids: list[int], report: DispatchReport) -> None:
        interval = self.deps.settings.outbox_chat_interval
        for index, row_id in enumerate(row_ids):
            sent = await self._send_one(row_id, report)
            if sent and interval and index + 1 < len(row_ids):
                await asyncio.sleep(interval)  # about one message a second to one chat

    def _recipient(self, session: Session, row: OutboxMessage) -> tuple[_Recipient | None, str]:
        """Who gets it, or (None, the reason not to send)."""
        settings = self.deps.settings
        if row.contact_id is not None:
            contact = session.get(Contact, row.contact_id)
            if contact is None or contact.telegram_chat_id != row.chat_id:
                return None, "contact no longer linked"
            if not contact.opted_in:
                return None, "opted out"
            if contact.unreachable_at is not None:
                return None, "unreachable: blocked the bot"
            if row.promotional and open_complaint(session, contact.customer_id):
                return None, "open complaint"
            zone = contact.timezone or settings.default_timezone
            return _Recipient(zone, settings.contact_quiet_hours, contact.language), ""
        if row.user_id is not None:
            user = session.get(User, row.user_id)
            if user is None or not user.is_active:
                return None, "deactivated"
            if user.unreachable_at is not None:
                return None, "unreachable: blocked the bot"
            return _Recipient(user.timezone, settings.staff_quiet_hours, user.language), ""
        return _Recipient(settings.default_timezone, "00:00-00:00", None), ""

    async def _db(self, function: Callable[..., _T], *args: Any) -> _T:
        """Database work off the event loop, so commits to several rows overlap."""
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, partial(function, *args)
        )

    def _prepare(self, row_id: int, now: datetime) -> _Ready | str | None:
        """The message ready to send; or the outcome ("skipped: reason" / "postponed") that was
        recorded instead; None if the row is no longer this worker's."""
        deps = self.deps
        with deps.db.session() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.claimed_by != self.worker:
                return None
            if self.paused_until is not None and now < self.paused_until:
                outbox.postpone(
                    session,
                    row_id,
                    self.worker,
                    now=now,
                    until=self.paused_until,
                    reason="flood control",
                    count_attempt=False,
                )
                return "postponed"
            recipient, reason = self._recipient(session, row)
            check = VALIDATORS.get(row.kind)
            if recipient is not None and check is not None:
                reason = check(session, row, now) or ""
            if recipient is None or reason:
                return self._skip(session, row, now, reason)
            if row.expires_at is not None and now >= row.expires_at:
                return self._skip(session, row, now, "expired: its day had passed")
            quiet_end = quiet_until(now, recipient.zone, recipient.quiet_hours)
            if quiet_end is not None:
                if row.expires_at is not None and quiet_end >= row.expires_at:
                    return self._skip(session, row, now, "quiet hours passed the window")
                outbox.postpone(
                    session,
                    row_id,
                    self.worker,
                    now=now,
                    until=quiet_end,
                    reason=QUIET,
                    count_attempt=False,
                )
                return "postponed"
            # Late: it was due a while ago (the bot was down), not held back on purpose.
            late = now - row.due_at > LATE_AFTER and row.reason != QUIET
            text = row.text
            if late and row.kind in LATE_NOTE_KINDS:
                note = deps.renderer.message(
                    recipient.language, "outbox/late", due_at=row.due_at, timezone=recipient.zone
                )
                text = note + "\n" + text
            return _Ready(row.chat_id, text, row.photo, self._markup(row), late)

    async def _send_one(self, row_id: int, report: DispatchReport) -> bool:
        deps = self.deps
        now = deps.now()
        ready = await self._db(self._prepare, row_id, now)
        if not isinstance(ready, _Ready):
            if ready == "postponed":
                report.postponed += 1
            elif ready is not None:
                report.skipped += 1
                report.reasons[ready.removeprefix("skipped: ")] += 1
            return False
        try:
            message = await self._deliver(ready.chat_id, ready.text, ready.photo, ready.markup)
        except RetryAfter as flood:
            with warnings.catch_warnings():  # PTB 22 announces a type change; both are handled
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = flood.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self.paused_until = now + timedelta(seconds=max(seconds, 1))
            await self._db(self._after_error, row_id, self.paused_until, "flood control", False)
            report.postponed += 1
            return False
        except Forbidden as refused:
            await self._db(self._unreachable, row_id, now, refused.message)
            report.skipped += 1
            report.reasons["unreachable"] += 1
            return False
        except BadRequest as refused:
            await self._db(self._fail, row_id, now, refused.message)
            report.failed += 1
            return False
        except NetworkError as error:
            if await self._db(self._network_error, row_id, now, error):
                report.postponed += 1
            else:
                report.failed += 1
            return False
        except TelegramError as error:
            await self._db(self._fail, row_id, now, error.message)
            report.failed += 1
            return False
        self.checkpoint("delivered")
        await self._db(self._mark_sent, row_id, message.message_id, ready.late)
        report.sent += 1
        return True

    def _mark_sent(self, row_id: int, message_id: int, late: bool) -> None:
        with self.deps.db.session() as session:
            outbox.mark_sent(
                session, row_id, self.worker, now=self.deps.now(), message_id=message_id, late=late
            )

    @staticmethod
    def _markup(row: OutboxMessage) -> InlineKeyboardMarkup | None:
        rows = outbox.buttons_of(row)
        if not rows:
            return None
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=data) for label, data in line]
                for line in rows
            ]
        )

    async def _deliver(
        self, chat_id: int, text: str, photo: bytes | None, markup: InlineKeyboardMarkup | None
    ) -> Message:
        bot = self.app.bot
        async with self._pace:
            if photo is not None:
                return await bot.send_photo(chat_id, photo, caption=text, reply_markup=markup)
            return await bot.send_message(chat_id, text, reply_markup=markup)

    def _skip(self, session: Session, row: OutboxMessage, now: datetime, reason: str) -> str:
        outbox.mark_skipped(session, row.id or 0, self.worker, now=now, reason=reason)
        logger.info("outbox %s skipped (%s): %s", row.id, row.kind, reason)
        return f"skipped: {reason}"

    def _fail(self, row_id: int, now: datetime, error: str) -> None:
        with self.deps.db.session() as session:
            outbox.mark_failed(session, row_id, self.worker, now=now, reason=error[:1000])
        logger.warning("outbox %s failed: %s", row_id, error)

    def _after_error(self, row_id: int, until: datetime, reason: str, count: bool) -> None:
        with self.deps.db.session() as session:
            outbox.postpone(
                session,
                row_id,
                self.worker,
                now=self.deps.now(),
                until=until,
                reason=reason,
                count_attempt=count,
            )

    def _network_error(self, row_id: int, now: datetime, error: NetworkError) -> bool:
        """Try again later with backoff (True), or give up after OUTBOX_MAX_ATTEMPTS (False)."""
        with self.deps.db.session() as session:
            row = session.get(OutboxMessage, row_id)
            attempts = row.attempts if row is not None else 0
        if attempts >= self.deps.settings.outbox_max_attempts:
            self._fail(row_id, now, f"network error after {attempts} attempts: {error}")
            return False
        backoff = timedelta(seconds=min(5 * 2 ** (attempts - 1), 900))
        self._after_error(row_id, now + backoff, f"network error: {error}", True)
        return True

    def _unreachable(self, row_id: int, now: datetime, error: str) -> None:
        """They blocked the bot: mark them, skip the row, and tell the owner rep once."""
        from bot.reminders.notices import unreachable_notice

        with self.deps.db.session() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            reason = f"unreachable: {error}"
            outbox.mark_skipped(session, row_id, self.worker, now=now, reason=reason)
            if row.contact_id is not None:
                contact = session.get(Contact, row.contact_id)
                if contact is not None and contact.unreachable_at is None:
                    contact.unreachable_at = now
                    customer = session.get(Customer, contact.customer_id)
                    if customer is not None:
                        unreachable_notice(session, self.deps, contact, customer, now=now)
            elif row.user_id is not None:
                user = session.get(User, row.user_id)
                if user is not None and user.unreachable_at is None:
                    user.unreachable_at = now
        logger.info("outbox %s: recipient unreachable (%s)", row_id, error)
