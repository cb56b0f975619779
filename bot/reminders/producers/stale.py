"""Stale-deal alerts: an open deal with nothing done (no touch on its customer, no stage move)
for longer than its limit — STALE_DEAL_DAYS, the stage's own limit, or STALE_DEAL_DAYS_NOW when
the customer means to buy now — is told to its owner once per staleness episode, at the first
MORNING_BRIEF_TIME (their zone) after the limit ran out. The key holds the deal and the instant
of its last activity, so a new touch followed by a new lapse alerts again. An alert missed for
longer than CATCH_UP_HOURS (the bot was down) is left to the Monday brief, which lists every
stale deal as the weekly summary (``brief.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.reminders.dispatcher import validator
from bot.reminders.scheduler import KEYS_PER_STATEMENT, Tick
from bot.services import deals
from bot.services.deals import StaleDeal, StaleTime
from models import OutboxMessage, User

KIND = "stale_deal"


def key_of(item: StaleDeal | StaleTime) -> str:
    """The deal, when it went quiet, and its owner: a deal handed to someone else
    (reassignment) is told to them anew."""
    return f"{KIND}:{item.deal_id}:{int(item.last_activity.timestamp())}:{item.owner_id}"


def alert_at(tick: Tick, item: StaleDeal | StaleTime, zone: str) -> datetime:
    """The first MORNING_BRIEF_TIME in ``zone`` after the deal's limit ran out."""
    lapsed = item.last_activity + timedelta(days=item.limit_days)
    day = lapsed.astimezone(UTC).date() - timedelta(days=1)  # local dates are ±1 day of UTC
    due = tick.at(day, tick.settings.morning_brief_time, zone)
    while due <= lapsed:
        day += timedelta(days=1)
        due = tick.at(day, tick.settings.morning_brief_time, zone)
    return due


def produce(tick: Tick) -> None:
    settings = tick.settings
    # Alerts fall due only at brief time in their owner's zone: once a day for each zone.
    zones = tick.staff_zones_passing(settings.morning_brief_time)
    if zones is not None and not zones:
        return
    since = tick.since
    # An alert is due at the first brief time after the limit ran out, within a day (and a
    # daylight-saving hour) of it in any zone: deals whose limit ran out before that can't be
    # due now, nor, when an earlier tick covered part of the window, since then.
    # First only when each deal went quiet (no customer, no title): most of the window was
    # told by an earlier tick; the details are read for the alerts still to write.
    window = deals.stale_times(
        tick.session,
        now=tick.now,
        days=settings.stale_deal_days,
        days_now=settings.stale_deal_days_now,
        lapsed_after=tick.fresh_since - timedelta(days=1, hours=2),
        owner_zones=zones,
    )
    due_at: dict[str, datetime] = {}
    for quiet in window:
        owner = tick.user(quiet.owner_id)
        if owner is None or not owner.is_active:
            continue
        due = alert_at(tick, quiet, owner.timezone)
        if since < due <= tick.now:
            due_at[key_of(quiet)] = due
    written = tick.prefetch(due_at)
    ids = sorted({int(key.split(":")[1]) for key in due_at if key not in written})
    due_now: list[tuple[StaleDeal, User, datetime]] = []
    for start in range(0, len(ids), KEYS_PER_STATEMENT):
        for item in deals.stale_deals(
            tick.session,
            now=tick.now,
            days=settings.stale_deal_days,
            days_now=settings.stale_deal_days_now,
            deal_ids=ids[start : start + KEYS_PER_STATEMENT],
        ):
            owner = tick.user(item.owner_id)
            when = due_at.get(key_of(item))
            if owner is not None and when is not None:
                due_now.append((item, owner, when))
    due_now.sort(key=lambda found: (found[0].last_activity, found[0].deal_id))
    for item, owner, due in due_now:
        language = owner.language
        tick.to_user(
            owner,
            key=key_of(item),
            kind=KIND,
            due_at=due,
            template="reminders/stale_deal",
            buttons=[
                [(tick.label(language, "open_deal"), f"deal:open:{item.deal_id}")],
                [(tick.label(language, "log_visit"), f"vis:new:{item.customer_id}")],
            ],
            customer_id=item.customer_id,
            ref_id=item.deal_id,
            item=item,
        )


@validator(KIND)
def still_stale(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    """Skip it if the deal was closed, handed over or touched since it was written: every open
    deal comes back from ``stale_deals`` with limits of 0 days, with its last activity."""
    found = deals.stale_deals(
        session, now=now, days=0, days_now=0, owner_id=row.user_id, deal_id=row.ref_id or 0
    )
    if not found:
        return "deal closed or handed over"
    return None if key_of(found[0]) == row.key else "deal touched since"
