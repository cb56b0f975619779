"""Follow-up reminders to the rep at the follow-up time, or at their morning-brief time when only
a date was given. Moving a follow-up (snooze, edit) gives it a new key, so a new reminder; the
old one, if still waiting, is skipped as moved. Overdue ones come back in the morning brief."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.reminders.dispatcher import LATE_NOTE_KINDS, validator
from bot.reminders.scheduler import Tick
from bot.reminders.timing import at_local, local_date
from models import Customer, OutboxMessage, Touch, User

KIND = "followup"
LATE_NOTE_KINDS.add(KIND)


def key_of(touch: Touch) -> str:
    assert touch.follow_up_at is not None
    return f"{KIND}:{touch.id}:{touch.follow_up_at.isoformat()}"


def reminder_at(touch: Touch, user: User, brief_time: str) -> datetime:
    assert touch.follow_up_at is not None
    if touch.follow_up_has_time:
        return touch.follow_up_at
    return at_local(local_date(touch.follow_up_at, user.timezone), brief_time, user.timezone)


def produce(tick: Tick) -> None:
    since = tick.now - timedelta(hours=tick.settings.catch_up_hours)
    rows = tick.session.exec(
        select(Touch, User, Customer)
        .join(User, col(Touch.author_id) == col(User.id))
        .join(Customer, col(Touch.customer_id) == col(Customer.id))
        .where(
            col(Touch.follow_up_at).is_not(None),
            col(Touch.follow_up_at) <= tick.now + timedelta(days=1),  # date-only: local midnight
            col(Touch.follow_up_at) > since - timedelta(days=1),
            col(Touch.follow_up_done_at).is_(None),
            col(Touch.deleted_at).is_(None),
            col(User.is_active),
        )
    ).all()
    for touch, user, customer in rows:
        due = reminder_at(touch, user, tick.settings.morning_brief_time)
        if not since < due <= tick.now:
            continue
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
        return "follow-up moved"
    return None
