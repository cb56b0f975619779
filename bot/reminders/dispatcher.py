"""Sending what the outbox holds: claim due rows, check each is still wanted (opted out, quiet
hours, an open complaint, a moved follow-up…), send it within Telegram's limits, and record the
outcome. Every row ends as sent, skipped with a reason, or failed with the error.

Sending is a rolling schedule, not batch after batch: rows are claimed while fewer than about one
second of sends wait and no more than HOLD_SECONDS of them are held; each chat has a queue of its
own and the time of its next allowed send (OUTBOX_CHAT_INTERVAL after the last), so a chat with
many rows never holds back the others; the overall pace (OUTBOX_MAX_PER_SECOND) is one limiter
shared by every send.

Claims carry "<instance id>/<run id>" and a lease (OUTBOX_LEASE_SECONDS) that a heartbeat extends
every OUTBOX_HEARTBEAT_SECONDS while the rows are held: a slow send never loses its rows, a dead
process's rows are free within the lease, and a restarted instance takes back its own at once.
Delivery is at least once: a process that dies after Telegram accepted a message but before the
row was marked sent (a few milliseconds) leaves the row to be sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import warnings
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.context import Host
from bot.metrics import OUTBOX_OUTCOMES, TELEGRAM_429
from bot.reminders import outbox
from bot.reminders.instance import InstanceLock, default_instance_id, lock_instance
from bot.reminders.pace import Pace
from bot.reminders.timing import quiet_until
from bot.services import company
from models import Contact, Customer, OutboxMessage, Ticket, TicketKind, TicketStatus, User

logger = logging.getLogger("salesbot.outbox")
_T = TypeVar("_T")

LATE_AFTER = timedelta(minutes=15)
QUIET = "quiet hours"
BATCH = 100  # rows per claim
READY_SECONDS = 1  # claim more while fewer than this many seconds of sends are under way
HOLD_SECONDS = 10  # and while fewer than this many seconds of sends are held
RECLAIM_EVERY = 1.0  # seconds: look for newly due rows this often while sending
RUN_ID_LENGTH = 12

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

    def count(self, outcome: str, reason: str | None = None) -> None:
        """One row's outcome: "sent", "skipped" (with its reason), "failed" or "postponed"."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        if reason is not None:
            self.reasons[reason] += 1
        OUTBOX_OUTCOMES.labels(outcome=outcome).inc()


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


@dataclass
class _Flight:
    """One run's rows: each chat's queue and sender, and how many rows are where."""

    report: DispatchReport
    queues: dict[int, deque[int]] = field(default_factory=dict)  # chat -> rows not yet begun
    senders: dict[int, asyncio.Task[None]] = field(default_factory=dict)  # chat -> its sender
    held: int = 0  # claimed by this run, outcome not yet recorded
    under_way: int = 0  # taken from a queue: being prepared, waiting for the pace, or sent
    stopping: bool = False
    errors: list[BaseException] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def queued(self) -> list[int]:
        return [row_id for queue in self.queues.values() for row_id in queue]


def open_complaint(session: Session, customer_id: int) -> bool:
    return bool(open_complaints(session, [customer_id]))


def open_complaints(session: Session, customer_ids: list[int]) -> set[int]:
    """Which of the customers have a complaint not resolved yet."""
    if not customer_ids:
        return set()
    return set(
        session.exec(
            select(Ticket.customer_id)
            .where(
                col(Ticket.customer_id).in_(customer_ids),
                Ticket.kind == TicketKind.COMPLAINT.value,
                col(Ticket.status) != TicketStatus.RESOLVED.value,
            )
            .distinct()
        )
    )


class Dispatcher:
    """Sends due outbox rows through ``app.bot``, within Telegram's limits."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self.deps = app.deps
        settings = self.deps.settings
        # The deployment; the lock taken at the first run decides whether it is ours alone.
        self.instance = settings.instance_id or default_instance_id(self.deps.db.url)
        self.worker = f"{self.instance}/{uuid.uuid4().hex[:RUN_ID_LENGTH]}"
        self.paused_until: datetime | None = None  # flood control from Telegram
        # Telegram's broadcast limit, for the outbox's sends only (answers to a person are not
        # paced): no rolling second holds more than OUTBOX_MAX_PER_SECOND of them. A 429 still
        # comes back to us and pauses.
        self._pace = Pace(settings.outbox_max_per_second)
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="outbox")
        self._lock: InstanceLock | None = None
        self._started = False
        # Chat -> the event loop's time from which it may get the next message.
        self._next_send: dict[int, float] = {}
        # Called at "claimed" (rows taken) and "delivered" (Telegram accepted, row not yet
        # marked): tests raise here to stand for the process dying at that point.
        self.checkpoint: Callable[[str], None] = lambda point: None

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    # -- start-up, lease and heartbeat ---------------------------------------------------------

    def start(self) -> int:
        """Once per process, before the first claim: take this instance's lock and give back at
        once what an earlier run of it still held; returns how many rows. When another running
        process has the instance's lock, work under an id of our own and take nothing back."""
        if self._started:
            return 0
        lock = lock_instance(self.deps.db.url, self.instance)
        self._started = True
        if lock is None:
            taken = self.instance
            self.instance = f"{taken}~{uuid.uuid4().hex[:6]}"
            self.worker = f"{self.instance}/{self.worker.rpartition('/')[2]}"
            logger.warning(
                "outbox: instance %s is in use by another running process; this one works as %s "
                "(set INSTANCE_ID to tell processes on one machine apart)",
                taken,
                self.instance,
            )
            return 0
        self._lock = lock
        with self.deps.db.session() as session:
            count = outbox.reclaim(
                session, instance=self.instance, worker=self.worker, now=self.deps.now()
            )
        if count:
            logger.info("outbox: took back %d rows an earlier run of %s held", count, self.instance)
        return count

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.deps.settings.outbox_lease_seconds)

    def heartbeat(self) -> int:
        """Keep the rows this dispatcher holds its own for another lease; returns how many."""
        with self.deps.db.session() as session:
            return outbox.extend_lease(
                session, worker=self.worker, now=self.deps.now(), lease=self.lease
            )

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.deps.settings.outbox_heartbeat_seconds)
            try:
                await self._db(self.heartbeat)
            except Exception:
                logger.exception("outbox heartbeat failed")

    # -- the rolling schedule ------------------------------------------------------------------

    def _paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until

    async def run(self) -> DispatchReport:
        """Send everything due now; return when nothing more is due (or under flood control,
        once the rows in hand are sent or postponed)."""
        report = DispatchReport()
        if not self._started:
            await self._db(self.start)
        if self._paused(self.deps.now()):
            return report
        now = asyncio.get_running_loop().time()
        self._next_send = {chat: at for chat, at in self._next_send.items() if at > now}
        flight = _Flight(report)
        heartbeat = asyncio.create_task(self._keep_alive(), name="salesbot-outbox-heartbeat")
        try:
            await self._pump(flight)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return report

    async def _pump(self, flight: _Flight) -> None:
        """Claim while the window has room, hand rows to their chats' senders, and wait."""
        loop = asyncio.get_running_loop()
        rate = self.deps.settings.outbox_max_per_second
        hold = max(BATCH, rate * HOLD_SECONDS)
        ready = max(1, rate * READY_SECONDS)
        exhausted_at: float | None = None  # when a claim last found fewer rows than asked
        try:
            while not flight.errors:
                # Rows under way wait for the shared pace in the order they came: keep about
                # READY_SECONDS of them, so that a chat's next turn is not queued behind more.
                want = min(BATCH, hold - flight.held, ready - flight.under_way)
                may_claim = (
                    not self._paused(self.deps.now())
                    and want > 0
                    and (
                        exhausted_at is None
                        or not flight.senders
                        or loop.time() - exhausted_at >= RECLAIM_EVERY
                    )
                )
                if may_claim:
                    ids = await self._db(self._claim, want, self._full_chats(flight))
                    exhausted_at = loop.time() if len(ids) < want else None
                    if ids:
                        self.checkpoint("claimed")
                        await self._hand_out(flight, ids)
                        await asyncio.sleep(0)  # the new senders take their first rows
                        continue
                if not flight.senders:
                    break  # nothing more is due now, or flood control holds the rest
                flight.changed.clear()
                timeout = RECLAIM_EVERY if exhausted_at is not None else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(flight.changed.wait(), timeout)
        except asyncio.CancelledError:
            for sender in flight.senders.values():
                sender.cancel()
            raise
        except BaseException as error:
            flight.errors.insert(0, error)
        if flight.errors:
            await self._stop(flight)
            raise flight.errors[0]

    async def _stop(self, flight: _Flight) -> None:
        """After an error: give back the rows not begun, let the ones under way finish."""
        flight.stopping = True
        queued = flight.queued()
        for queue in flight.queues.values():
            queue.clear()
        flight.held -= len(queued)
        if queued:
            with contextlib.suppress(Exception):  # they come back when their lease ends
                await self._db(self._release, queued)
        await asyncio.gather(*flight.senders.values(), return_exceptions=True)

    def _full_chats(self, flight: _Flight) -> list[int]:
        """Chats with more rows in hand than they can get in HOLD_SECONDS: claiming more of
        theirs would only fill the window with rows that must wait (one chat with a thousand
        rows would hold back every other chat)."""
        interval = self.deps.settings.outbox_chat_interval
        if not interval:
            return []
        enough = max(1, int(HOLD_SECONDS / interval))
        return [chat for chat, queue in flight.queues.items() if len(queue) >= enough]

    def _claim(self, limit: int, skip_chats: list[int]) -> list[int]:
        with self.deps.db.session() as session:
            return outbox.claim(
                session,
                now=self.deps.now(),
                worker=self.worker,
                limit=limit,
                lease=self.lease,
                skip_chats=skip_chats,
            )

    def _release(self, row_ids: list[int]) -> None:
        with self.deps.db.session() as session:
            outbox.release(session, row_ids, self.worker, now=self.deps.now())

    def _chats_of(self, row_ids: list[int]) -> list[tuple[int, int]]:
        with self.deps.db.session() as session:
            return [
                (row_id or 0, chat_id)
                for row_id, chat_id in session.exec(
                    select(OutboxMessage.id, OutboxMessage.chat_id)
                    .where(col(OutboxMessage.id).in_(row_ids))
                    .order_by(col(OutboxMessage.send_after), col(OutboxMessage.id))
                )
            ]

    async def _hand_out(self, flight: _Flight, row_ids: list[int]) -> None:
        flight.held += len(row_ids)
        for row_id, chat_id in await self._db(self._chats_of, row_ids):
            flight.queues.setdefault(chat_id, deque()).append(row_id)
            if chat_id not in flight.senders:
                flight.senders[chat_id] = asyncio.create_task(self._send_chat(flight, chat_id))

    async def _send_chat(self, flight: _Flight, chat_id: int) -> None:
        """One chat's rows in order, OUTBOX_CHAT_INTERVAL apart (about one a second)."""
        loop = asyncio.get_running_loop()
        interval = self.deps.settings.outbox_chat_interval
        queue = flight.queues[chat_id]
        try:
            while queue and not flight.stopping:
                wait = self._next_send.get(chat_id, 0.0) - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                row_id = queue.popleft()
                flight.under_way += 1
                try:
                    sent = await self._send_one(row_id, flight.report)
                finally:
                    flight.under_way -= 1
                    flight.held -= 1
                    flight.changed.set()
                if sent and interval:
                    self._next_send[chat_id] = loop.time() + interval
        except Exception as error:
            flight.errors.append(error)
        finally:
            del flight.senders[chat_id]
            if not queue:
                del flight.queues[chat_id]
            flight.changed.set()

    # -- one row -------------------------------------------------------------------------------

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
            quiet = company.effective(session, settings).contact_quiet_hours  # admin's, else env
            return _Recipient(zone, quiet.text, contact.language), ""
        if row.user_id is not None:
            user = session.get(User, row.user_id)
            if user is None or not user.is_active:
                return None, "deactivated"
            if user.unreachable_at is not None:
                return None, "unreachable: blocked the bot"
            quiet = company.effective(session, settings).staff_quiet_hours
            return _Recipient(user.timezone, quiet.text, user.language), ""
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
                report.count("postponed")
            elif ready is not None:
                report.count("skipped", ready.removeprefix("skipped: "))
            return False
        try:
            message = await self._deliver(ready.chat_id, ready.text, ready.photo, ready.markup)
        except RetryAfter as flood:
            TELEGRAM_429.inc()
            with warnings.catch_warnings():  # PTB 22 announces a type change; both are handled
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = flood.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            until = now + timedelta(seconds=max(seconds, 1))
            if self.paused_until is None or until > self.paused_until:
                self.paused_until = until
            await self._db(self._after_error, row_id, self.paused_until, "flood control", False)
            report.count("postponed")
            return False
        except Forbidden as refused:
            await self._db(self._unreachable, row_id, now, refused.message)
            report.count("skipped", "unreachable")
            return False
        except BadRequest as refused:
            await self._db(self._fail, row_id, now, refused.message)
            report.count("failed")
            return False
        except NetworkError as error:
            if await self._db(self._network_error, row_id, now, error):
                report.count("postponed")
            else:
                report.count("failed")
            return False
        except TelegramError as error:
            await self._db(self._fail, row_id, now, error.message)
            report.count("failed")
            return False
        self.checkpoint("delivered")
        await self._db(self._mark_sent, row_id, message.message_id, ready.late)
        report.count("sent")
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
        async with self._pace.turn():
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
