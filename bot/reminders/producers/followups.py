"""Follow-up reminders to the rep at the follow-up time, or at their morning-brief time when only
a date was given. Moving a follow-up (snooze, edit) gives it a new key, so a new reminder; the
old one, if still waiting, is skipped as moved. Overdue ones come back in the morning brief."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.reminders.dispatcher import LATE_NOTE_KINDS, validator
from bot.reminders.scheduler import KEYS_PER_STATEMENT, Tick
from bot.reminders.timing import at_local, local_date
from models import Customer, OutboxMessage, Touch, User
from models.sales import follow_up_holder

KIND = "followup"
LATE_NOTE_KINDS.add(KIND)


def key_of(touch: Touch) -> str:
    """The follow-up, its time and, once handed to someone else, whom it is for: moving or
    handing it over makes a new reminder, and the old one still waiting is skipped."""
    assert touch.follow_up_at is not None
    return follow_up_key(touch.id or 0, touch.follow_up_at, touch.follow_up_owner_id)


def follow_up_key(touch_id: int, follow_up_at: datetime, owner_id: int | None) -> str:
    key = f"{KIND}:{touch_id}:{follow_up_at.isoformat()}"
    return key if owner_id is None else f"{key}:{owner_id}"


def reminder_at(touch: Touch, user: User, brief_time: str) -> datetime:
    assert touch.follow_up_at is not None
    return reminder_time(touch.follow_up_at, touch.follow_up_has_time, user.timezone, brief_time)


def reminder_time(
    follow_up_at: datetime, has_time: bool, zone: str, brief_time: str, tick: Tick | None = None
) -> datetime:
    """The follow-up's own time, or the brief time on its local date when it has a date only."""
    if has_time:
        return follow_up_at
    day = local_date(follow_up_at, zone)
    return tick.at(day, brief_time, zone) if tick is not None else at_local(day, brief_time, zone)


def produce(tick: Tick) -> None:
    since = tick.since
    brief_time = tick.settings.morning_brief_time
    fresh = tick.fresh_since
    # A date alone falls due at brief time on its local date (stored as local midnight) in the
    # zone of whoever holds it (its author, or whom it was handed to); one with a time at that time.
    dated = sa.and_(
        col(Touch.follow_up_at) <= tick.now + timedelta(days=1),
        col(Touch.follow_up_at) > fresh - timedelta(days=1),
    )
    timed = sa.and_(
        col(Touch.follow_up_at) <= tick.now,
        col(Touch.follow_up_at) > fresh,
        col(Touch.follow_up_has_time),
    )
    zones = tick.staff_zones_passing(brief_time)
    if zones is None:  # no mark: the whole window
        when = dated
    elif zones:  # brief time came in some zones: their authors' dates, everyone's times
        when = sa.or_(
            timed,
            sa.and_(dated, ~col(Touch.follow_up_has_time), col(User.timezone).in_(sorted(zones))),
        )
    else:  # between brief times only follow-ups with a time can fall due
        when = timed
    # First only what decides whether a reminder is due and its key (no rows as objects): most
    # of what falls in the window was written by an earlier tick.
    window = tick.session.execute(
        sa.select(
            col(Touch.id),
            col(Touch.follow_up_at),
            col(Touch.follow_up_has_time),
            col(User.timezone),
            col(Touch.follow_up_owner_id),
        )
        .join(User, follow_up_holder() == col(User.id))
        .where(
            col(Touch.follow_up_at).is_not(None),
            when,
            col(Touch.follow_up_done_at).is_(None),
            col(Touch.deleted_at).is_(None),
            col(User.is_active),
        )
    ).all()
    due_at: dict[str, tuple[int, datetime]] = {}
    for touch_id, follow_up_at, has_time, zone, owner_id in window:
        due = reminder_time(follow_up_at, has_time, zone, brief_time, tick)
        if since < due <= tick.now:
            due_at[follow_up_key(touch_id, follow_up_at, owner_id)] = (touch_id, due)
    written = tick.prefetch(due_at)
    wanted = {touch_id: due for key, (touch_id, due) in due_at.items() if key not in written}
    ids = sorted(wanted)
    for start in range(0, len(ids), KEYS_PER_STATEMENT):
        rows = tick.session.exec(
            select(Touch, User, Customer)
            .join(User, follow_up_holder() == col(User.id))
            .join(Customer, col(Touch.customer_id) == col(Customer.id))
            .where(col(Touch.id).in_(ids[start : start + KEYS_PER_STATEMENT]))
            .order_by(col(Touch.id))
        ).all()
        for touch, user, customer in rows:
            _remind(tick, touch, user, customer, wanted[touch.id or 0])


def _remind(tick: Tick, touch: Touch, user: User, customer: Customer, due: datetime) -> None:
    language = user.language
    tick.to_user(
        user,
        key=key_of(touch),
        kind=KIND,
        due_at=due,
        template="reminders/followup",
        buttons=[
            [(tick.label(language, "follow_up_done"), f"vis:done:{touch.id}")],
            [
                (tick.label(language, "snooze_hour"), f"fu:snz:{touch.id}:h"),
                (tick.label(language, "snooze_tomorrow"), f"fu:snz:{touch.id}:d"),
                (tick.label(language, "snooze_pick"), f"fu:pick:{touch.id}"),
            ],
            [(tick.label(language, "open_customer"), f"cus:open:{customer.id}")],
        ],
        customer_id=customer.id,
        ref_id=touch.id,
        touch=touch,
        customer=customer,
    )


@validator(KIND)
def still_due(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    touch = session.get(Touch, row.ref_id) if row.ref_id is not None else None
    if touch is None or touch.deleted_at is not None:
        return "follow-up deleted"
    if touch.follow_up_done_at is not None:
        return "follow-up done"
    if touch.follow_up_at is None or key_of(touch) != row.key:
        return "follow-up moved" if row.user_id == _holder(touch) else "follow-up handed over"
    return None


def _holder(touch: Touch) -> int:
    return touch.follow_up_owner_id or touch.author_id
