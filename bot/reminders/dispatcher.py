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
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.reminders import outbox
from bot.reminders.timing import quiet_until
from models import Contact, Customer, OutboxMessage, Ticket, TicketKind, TicketStatus, User

logger = logging.getLogger("salesbot.outbox")

LATE_AFTER = timedelta(minutes=15)
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
    """Sends due outbox rows through ``bot`` (python-telegram-bot's, with its rate limiter)."""

    def __init__(self, app: object) -> None:
        from bot.app import SalesbotApplication

        assert isinstance(app, SalesbotApplication)
        self.app = app
        self.deps = app.deps
        self.worker = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.paused_until: datetime | None = None  # flood control from Telegram

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

    async def _send_one(self, row_id: int, report: DispatchReport) -> bool:
        deps = self.deps
        now = deps.now()
        with deps.db.session() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.claimed_by != self.worker:
                return False
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
                report.postponed += 1
                return False
            recipient, reason = self._recipient(session, row)
            check = VALIDATORS.get(row.kind)
            if recipient is not None and check is not None:
                reason = check(session, row, now) or ""
            if recipient is None or reason:
                self._skip(session, row, now, reason, report)
                return False
            if row.expires_at is not None and now >= row.expires_at:
                self._skip(session, row, now, "expired: its day had passed", report)
                return False
            quiet_end = quiet_until(now, recipient.zone, recipient.quiet_hours)
            if quiet_end is not None:
                if row.expires_at is not None and quiet_end >= row.expires_at:
                    self._skip(session, row, now, "quiet hours passed the window", report)
                else:
                    outbox.postpone(
                        session,
                        row_id,
                        self.worker,
                        now=now,
                        until=quiet_end,
                        reason="quiet hours",
                        count_attempt=False,
                    )
                    report.postponed += 1
                return False
            late = now - row.due_at > LATE_AFTER
            text = row.text
            if late and row.kind in LATE_NOTE_KINDS:
                note = deps.renderer.message(
                    recipient.language, "outbox/late", due_at=row.due_at, timezone=recipient.zone
                )
                text = note + "\n" + text
            chat_id, photo = row.chat_id, row.photo
            markup = self._markup(row)
        try:
            message = await self._deliver(chat_id, text, photo, markup)
        except RetryAfter as flood:
            wait = flood.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self.paused_until = now + timedelta(seconds=max(seconds, 1))
            self._after_error(row_id, self.paused_until, "flood control", count=False)
            report.postponed += 1
            return False
        except Forbidden as refused:
            self._unreachable(row_id, now, refused.message, report)
            return False
        except BadRequest as refused:
            self._fail(row_id, now, refused.message, report)
            return False
        except NetworkError as error:
            self._network_error(row_id, now, error, report)
            return False
        except TelegramError as error:
            self._fail(row_id, now, error.message, report)
            return False
        with deps.db.session() as session:
            outbox.mark_sent(
                session,
                row_id,
                self.worker,
                now=deps.now(),
                message_id=message.message_id,
                late=late,
            )
        report.sent += 1
        return True

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
        if photo is not None:
            return await bot.send_photo(chat_id, photo, caption=text, reply_markup=markup)
        return await bot.send_message(chat_id, text, reply_markup=markup)

    def _skip(
        self,
        session: Session,
        row: OutboxMessage,
        now: datetime,
        reason: str,
        report: DispatchReport,
    ) -> None:
        outbox.mark_skipped(session, row.id or 0, self.worker, now=now, reason=reason)
        logger.info("outbox %s skipped (%s): %s", row.id, row.kind, reason)
        report.skipped += 1
        report.reasons[reason] += 1

    def _fail(self, row_id: int, now: datetime, error: str, report: DispatchReport) -> None:
        with self.deps.db.session() as session:
            outbox.mark_failed(session, row_id, self.worker, now=now, reason=error[:1000])
        logger.warning("outbox %s failed: %s", row_id, error)
        report.failed += 1

    def _after_error(self, row_id: int, until: datetime, reason: str, *, count: bool) -> None:
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

    def _network_error(
        self, row_id: int, now: datetime, error: NetworkError, report: DispatchReport
    ) -> None:
        with self.deps.db.session() as session:
            row = session.get(OutboxMessage, row_id)
            attempts = row.attempts if row is not None else 0
        if attempts >= self.deps.settings.outbox_max_attempts:
            self._fail(row_id, now, f"network error after {attempts} attempts: {error}", report)
            return
        backoff = timedelta(seconds=min(5 * 2 ** (attempts - 1), 900))
        self._after_error(row_id, now + backoff, f"network error: {error}", count=True)
        report.postponed += 1

    def _unreachable(self, row_id: int, now: datetime, error: str, report: DispatchReport) -> None:
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
        report.skipped += 1
        report.reasons[reason] += 1
