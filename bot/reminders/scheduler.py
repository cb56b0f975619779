"""The periodic tick: work out from the database what is due (each producer in
``bot.reminders.producers``), write it to the outbox, then send what the outbox holds.

Nothing due is kept in memory: a restart loses nothing, and moving a follow-up moves its
reminder. What each producer has covered is kept in the database (``producer_mark``): a tick
reads only what fell due since the one before (``Tick.covered``, ``Tick.may_pass``), and once an
hour a producer looks at its whole catch-up window again, for what changed behind its back (a
follow-up set in the past, a birthday entered on the day, a deal handed to someone in another
zone). APScheduler (python-telegram-bot's JobQueue) runs the tick every
SCHEDULER_TICK_SECONDS in the real process; tests call ``tick()`` with an injected clock.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlmodel import Session, col, select

from bot.metrics import LAST_TICK, TICK_SECONDS
from bot.reminders import outbox
from bot.reminders.dispatcher import Dispatcher, DispatchReport
from bot.reminders.outbox import Buttons, Envelope
from bot.reminders.timing import at_local, local_date, parse_time
from bot.services import templates
from models import Contact, OutboxMessage, ProducerMark, User

logger = logging.getLogger("salesbot.scheduler")

KEYS_PER_STATEMENT = 500  # outbox keys looked up at once (bound values in one statement)
SWEEP_EVERY = timedelta(hours=1)  # a producer looks at its whole catch-up window this often
QUARTER_HOUR = 15  # minutes: every zone's offset from UTC is a multiple of it


@dataclass
class Tick:
    """What a producer gets: a session, the settings and texts, and the instant of the tick."""

    session: Session
    deps: Any  # bot.app.Deps
    now: datetime
    # The instant up to which an earlier tick of this producer wrote everything due; None: look
    # at the whole catch-up window (the first tick, the hourly sweep, tests and the benchmark).
    covered: datetime | None = None
    written: list[str] = field(default_factory=list)
    # Outbox keys already looked up (True: a row exists), so a producer asks for the keys of
    # everything it found due in a few statements rather than one per item.
    _known: dict[str, bool] = field(default_factory=dict, repr=False)
    # Every staff member by id, loaded once and held (the session keeps objects weakly).
    _users: dict[int, User] | None = field(default=None, repr=False)
    _instants: dict[tuple[date, str, str], datetime] = field(default_factory=dict, repr=False)

    @property
    def settings(self) -> Any:
        return self.deps.settings

    @property
    def since(self) -> datetime:
        """The start of the catch-up window: what fell due before it is not sent any more."""
        return self.now - timedelta(hours=self.settings.catch_up_hours)

    @property
    def fresh_since(self) -> datetime:
        """Whatever fell due up to this instant was looked at by an earlier tick."""
        return self.since if self.covered is None else max(self.since, self.covered)

    def may_pass(self, *moments: str) -> bool:
        """Whether a local time of day (``HH:MM``) can have come since ``covered`` in some zone.

        Every zone's offset is a whole number of quarter hours, so 09:00 somewhere is a UTC
        instant on a whole minute that is 0, 15, 30 or 45 past the hour (and 08:50 one that is
        5, 20, 35 or 50 past). A producer whose messages fall due only at such moments has
        nothing new to write on the ticks between them."""
        if self.covered is None:
            return True
        first = self.covered.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for moment in moments:
            minute = int(moment.partition(":")[2] or 0) % QUARTER_HOUR
            wait = (minute - first.minute) % QUARTER_HOUR
            if first + timedelta(minutes=wait) <= self.now:
                return True
        return False

    def zones_passing(self, moment: str, zones: Iterable[str]) -> set[str] | None:
        """The zones among ``zones`` where the local time of day ``moment`` came since
        ``covered``; None (every zone, unrestricted) when there is no mark."""
        if self.covered is None:
            return None
        if not self.may_pass(moment):
            return set()
        covered, clock = self.covered, parse_time(moment)
        found = set()
        for zone in set(zones):
            tz = zone_info(zone)
            first, last = covered.astimezone(tz).date(), self.now.astimezone(tz).date()
            for day in (first, last) if first != last else (first,):
                # As ``at_local``: a moment skipped by a spring-forward change comes an hour on.
                instant = datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)
                if covered < instant <= self.now:
                    found.add(zone)
                    break
        return found

    def contact_zones_passing(self, moment: str) -> set[str] | None:
        """The zones where ``moment`` came since ``covered`` (None: all), for contacts, whose
        zones are not known in advance: any zone of the world."""
        return self.zones_passing(moment, world_zones())

    def staff_zones_passing(self, moment: str) -> set[str] | None:
        """The zones of active staff where ``moment`` came since ``covered`` (None: all)."""
        if not self.may_pass(moment):
            return set() if self.covered is not None else None
        return self.zones_passing(moment, {user.timezone for user in self.staff()})

    def render(self, language: str | None, template: str, **values: Any) -> str:
        return str(self.deps.renderer.message(language, template, **values))

    def label(self, language: str | None, name: str, *args: Any) -> str:
        return str(self.deps.renderer.label(language, name, *args))

    def exists(self, key: str) -> bool:
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = outbox.exists(self.session, key)
        return known

    def prefetch(self, keys: Iterable[str]) -> set[str]:
        """Look up which of ``keys`` the outbox holds already, KEYS_PER_STATEMENT at a time
        (a producer passes the keys of what it found due); ``exists`` then answers from
        memory. Returns the keys that exist."""
        wanted = list(dict.fromkeys(key for key in keys if key not in self._known))
        for start in range(0, len(wanted), KEYS_PER_STATEMENT):
            chunk = wanted[start : start + KEYS_PER_STATEMENT]
            found = set(
                self.session.exec(
                    select(OutboxMessage.key).where(col(OutboxMessage.key).in_(chunk))
                )
            )
            for key in chunk:
                self._known[key] = key in found
        return {key for key, known in self._known.items() if known}

    def enqueue(self, envelope: Envelope) -> bool:
        written = outbox.enqueue(self.session, envelope, now=self.now)
        self._known[envelope.key] = True
        if written:
            self.written.append(envelope.key)
        return written

    # -- recipients and their local time ---------------------------------------------------

    def users(self) -> dict[int, User]:
        """Every staff member (active or not) by id: a few hundred rows at most, loaded once
        per tick instead of one look-up per due item."""
        if self._users is None:
            self._users = {
                user.id or 0: user
                for user in self.session.exec(select(User).order_by(col(User.id)))
            }
        return self._users

    def user(self, user_id: int | None) -> User | None:
        return self.users().get(user_id) if user_id is not None else None

    def staff(self) -> list[User]:
        """The active staff, by id."""
        return [user for user in self.users().values() if user.is_active]

    def contact_zone(self, contact: Contact) -> str:
        return contact.timezone or self.settings.default_timezone

    def today(self, zone: str) -> date:
        return local_date(self.now, zone)

    def at(self, day: date, moment: str, zone: str) -> datetime:
        # Thousands of due items share a few days and zones: each instant is worked out once.
        found = self._instants.get((day, moment, zone))
        if found is None:
            found = self._instants[(day, moment, zone)] = at_local(day, moment, zone)
        return found

    def end_of_day(self, day: date, zone: str) -> datetime:
        return self.at(day + timedelta(days=1), "00:00", zone)

    def to_user(
        self,
        user: User,
        *,
        key: str,
        kind: str,
        due_at: datetime,
        template: str,
        buttons: Buttons = (),
        customer_id: int | None = None,
        ref_id: int | None = None,
        expires_at: datetime | None = None,
        photo: bytes | None = None,
        skip_reason: str | None = None,
        **values: Any,
    ) -> bool:
        """Write a message to a staff member, rendered in their language and zone, once (with
        ``skip_reason``: written as skipped, to record one whose time passed unsent)."""
        if self.exists(key):
            return False
        text = self.render(user.language, template, timezone=user.timezone, user=user, **values)
        return self.enqueue(
            Envelope(
                key=key,
                kind=kind,
                chat_id=user.telegram_id,
                due_at=due_at,
                text=text,
                buttons=buttons,
                user_id=user.id,
                customer_id=customer_id,
                ref_id=ref_id,
                expires_at=expires_at,
                photo=photo,
                skip_reason=skip_reason,
            )
        )

    def to_contact(
        self,
        contact: Contact,
        *,
        key: str,
        kind: str,
        due_at: datetime,
        template: str,
        promotional: bool = False,
        buttons: Buttons = (),
        ref_id: int | None = None,
        expires_at: datetime | None = None,
        **values: Any,
    ) -> bool:
        """Write a message to a linked customer contact, in their language and zone, once."""
        if contact.telegram_chat_id is None or self.exists(key):
            return False
        zone = self.contact_zone(contact)
        language = self.deps.renderer.language_for(contact.language)
        context = {"timezone": zone, "contact": contact, **values}
        # An admin's own words for this text (/templates), else the built-in template.
        text = templates.saved_text(self.session, template, language, context) or self.render(
            contact.language, template, **context
        )
        return self.enqueue(
            Envelope(
                key=key,
                kind=kind,
                chat_id=contact.telegram_chat_id,
                due_at=due_at,
                text=text,
                buttons=buttons,
                contact_id=contact.id,
                customer_id=contact.customer_id,
                ref_id=ref_id,
                promotional=promotional,
                expires_at=expires_at,
            )
        )


Producer = Callable[[Tick], None]


@cache
def world_zones() -> frozenset[str]:
    """Every time zone a contact may be in."""
    return frozenset(available_timezones())


@cache
def zone_info(name: str) -> ZoneInfo:
    """The zone, held (``ZoneInfo`` keeps only a few recently used zones alive: looking at
    every zone of the world each quarter hour would read their files again each time)."""
    return ZoneInfo(name)


def covered(mark: ProducerMark | None, now: datetime) -> datetime | None:
    """Up to when a producer's earlier ticks wrote everything due, if the next tick may look
    only at what came since: not on its first tick, not when the clock went back, and not
    when its last look at the whole window is SWEEP_EVERY old."""
    if mark is None or now < mark.covered_until or now - mark.swept_at >= SWEEP_EVERY:
        return None
    return mark.covered_until


def producers() -> list[tuple[str, Producer]]:
    """Every module in ``bot.reminders.producers`` with a ``produce(tick)``, by name."""
    from bot.reminders import producers as package

    found: list[tuple[str, Producer]] = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        produce = getattr(module, "produce", None)
        if callable(produce):
            found.append((module_info.name, produce))
    return found


@dataclass
class TickReport:
    written: list[str]
    dispatch: DispatchReport


class Scheduler:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.deps = app.deps
        self.dispatcher = Dispatcher(app)
        self._lock = asyncio.Lock()
        self._producers = producers()
        # Wall-clock (Unix) times for /healthz: when ticks were installed, when one last ended.
        self.installed_at: float | None = None
        self.last_tick: float | None = None

    def produce(self) -> list[str]:
        """Write what is due now to the outbox; returns the keys written. One producer's
        failure is logged and does not stop the others."""
        written: list[str] = []
        for name, produce in self._producers:
            started = time.perf_counter()
            try:
                with self.deps.db.session() as session:
                    now = self.deps.now()
                    mark = session.get(ProducerMark, name)
                    since = covered(mark, now)
                    tick = Tick(session=session, deps=self.deps, now=now, covered=since)
                    produce(tick)
                    if mark is None:
                        mark = ProducerMark(name=name, covered_until=now, swept_at=now)
                    elif tick.covered is None:
                        mark.swept_at = now
                    mark.covered_until = now
                    session.add(mark)
                written += tick.written
            except Exception:
                logger.exception("reminder producer %s failed", name)
            TICK_SECONDS.labels(name).observe(time.perf_counter() - started)
        return written

    async def tick(self) -> TickReport:
        async with self._lock:
            written = await asyncio.to_thread(self.produce)
            report = await self.dispatcher.run()
            self.last_tick = time.time()
            LAST_TICK.set(self.last_tick)
        paused = self.dispatcher.paused_until
        if paused is not None and self.app.job_queue is not None:
            delay = max((paused - self.deps.now()).total_seconds(), 0.5)
            self.app.job_queue.run_once(self._job, when=delay, name="salesbot-retry")
        return TickReport(written=written, dispatch=report)

    def close(self) -> None:
        self.dispatcher.close()

    async def _job(self, context: object) -> None:
        try:
            await self.tick()
        except Exception:
            logger.exception("scheduler tick failed")

    def install(self) -> None:
        """Tick every SCHEDULER_TICK_SECONDS, the first one that long after start."""
        queue = self.app.job_queue
        assert queue is not None, "python-telegram-bot's job-queue extra is not installed"
        self.installed_at = time.time()
        queue.run_repeating(
            self._job,
            interval=timedelta(seconds=self.deps.settings.scheduler_tick_seconds),
            first=self.deps.settings.scheduler_tick_seconds,
            name="salesbot-tick",
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
