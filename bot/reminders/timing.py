"""Local time for scheduled messages: a time of day in a person's zone as a UTC instant, the end
of their day, and quiet hours. Correct across daylight-saving changes because every instant is
computed from the local date and time through the zone, never by adding hours to another."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def at_local(day: date, moment: time | str, zone: str) -> datetime:
    """``day`` at ``moment`` in ``zone``, as an aware UTC instant. A moment skipped by a
    spring-forward change (02:30 on that night) comes out an hour later on the clock (03:30);
    a repeated one (autumn) is its first occurrence."""
    if isinstance(moment, str):
        moment = parse_time(moment)
    return datetime.combine(day, moment, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


def end_of_local_day(day: date, zone: str) -> datetime:
    """The first instant of the next local day (exclusive end of ``day``)."""
    return at_local(day + timedelta(days=1), time(0), zone)


def quiet_until(now: datetime, zone: str, quiet_hours: str) -> datetime | None:
    """When the quiet hours around ``now`` end (local ``HH:MM-HH:MM``), or None if not quiet."""
    start_text, _, end_text = quiet_hours.partition("-")
    start, end = parse_time(start_text), parse_time(end_text)
    if start == end:
        return None
    local = now.astimezone(ZoneInfo(zone))
    moment, today = local.time().replace(tzinfo=None), local.date()
    if start < end:  # quiet within one day, e.g. 12:00-14:00
        return at_local(today, end, zone) if start <= moment < end else None
    if moment >= start:  # evening part of a night range
        return at_local(today + timedelta(days=1), end, zone)
    if moment < end:  # early-morning part
        return at_local(today, end, zone)
    return None
