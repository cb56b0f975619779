"""The win-back nudge: when the nightly segments find that a tier-A customer has turned lapsed
(no order for LAPSED_DAYS), the owner rep is told once, with *📝 Log visit*. The key holds the
customer and their last order, so the same lapse is never told twice; ordering again and
lapsing again is a new one. A lapse older than CATCH_UP_HOURS (the bot was down) is not told."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.reminders.dispatcher import validator
from bot.reminders.scheduler import Tick
from bot.services import segments
from models import OutboxMessage

KIND = "winback"


def produce(tick: Tick) -> None:
    since = tick.now - timedelta(hours=tick.settings.catch_up_hours)
    found = segments.due_winbacks(tick.session, since=since)
    keys = {
        f"{KIND}:{item.customer_id}:{int(item.last_order_at.timestamp())}": item for item in found
    }
    written = tick.prefetch(keys)
    for key, item in keys.items():
        owner = tick.user(item.owner_id)
        if key in written or owner is None or not owner.is_active:
            continue
        tick.to_user(
            owner,
            key=key,
            kind=KIND,
            due_at=tick.now,
            template="reminders/winback",
            buttons=[[(tick.label(owner.language, "log_visit"), f"vis:new:{item.customer_id}")]],
            customer_id=item.customer_id,
            item=item,
            lapsed_days=tick.settings.lapsed_days,
        )


@validator(KIND)
def still_lapsed(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    """Skip it if the customer ordered again or was handed to someone else meanwhile."""
    return segments.winback_skip_reason(session, row.customer_id or 0, row.user_id or 0)
