"""The nightly customer segments: at SEGMENTS_TIME in the company's zone (DEFAULT_TIMEZONE) the
tier, RFM score and lifecycle of every customer are worked out again
(``bot.services.segments.recompute``). Idempotent per day: a customer done since that day's
SEGMENTS_TIME is not done again, so a restart or a second process continues where the run
stopped; a tick does at most ``PER_TICK`` customers and the next tick goes on. A customer added
during the day is worked out at the next tick (as a prospect)."""

from __future__ import annotations

from bot.reminders.scheduler import Tick
from bot.services import segments

PER_TICK = 50_000  # customers one tick works out at most (~6 s on SQLite; the rest next tick)


def produce(tick: Tick) -> None:
    settings = tick.settings
    zone = settings.default_timezone
    due = tick.at(tick.today(zone), settings.segments_time, zone)
    if tick.now < due:
        return
    segments.recompute(
        tick.session, segments.Rules.of(settings), now=tick.now, due=due, max_customers=PER_TICK
    )
