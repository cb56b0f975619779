"""The morning brief to each rep and manager at their own brief time (⏰ Brief time in
/settings), else MORNING_BRIEF_TIME, in their zone: today's follow-ups and overdue ones, deals
past their close date, contacts' birthdays, instalments they collect that are due or overdue,
approvals waiting for them more than a day (a director, who gets no brief otherwise, gets one
on days something waits that long), and on Mondays the deals gone stale and the customers past
their tier's visit cadence (CADENCE_A_DAYS, …: the first few and how many; the weekly
summary), and after a day with check-ins up to three customers past their cadence near
yesterday's route, not visited there (bot.services.nearby). An empty day is one line.
Key ``brief:<user>:<their local date>``.

A brief time inside the staff quiet hours (an admin's in /settings, else STAFF_QUIET_HOURS)
makes it due when they end. A brief is worth reading only that morning: one not sent at its
time (the bot was down) goes out within LATE_WINDOW of it, with "⏰ Late" on top; later than
that, that day's is written as skipped (so /outbox shows why) and the next comes the next
morning. CATCH_UP_HOURS does not apply. So someone who joins in the afternoon gets their first
brief the next morning, not "Good morning" at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.reminders.dispatcher import LATE_NOTE_KINDS
from bot.reminders.scheduler import Tick
from bot.reminders.timing import at_local, quiet_until
from bot.services import agenda, approvals, company, deals, nearby, orders, segments
from bot.services.people import Actor
from models import Role

KIND = "brief"
BRIEFED = (Role.REP, Role.MANAGER, Role.FINANCE)
BRIEFED_WHEN_WAITED_ON = (Role.DIRECTOR,)
SELLING = (
    Role.REP,
    Role.MANAGER,
)  # told of customers near yesterday's route  # only on days an approval waits for them too long
APPROVAL_LATE_AFTER = timedelta(days=1)
LATE_WINDOW = timedelta(hours=2)  # how late a brief may still go out, marked late
TOO_LATE = f"too late: more than {LATE_WINDOW.total_seconds() / 3600:g} h past its time"
LATE_NOTE_KINDS.add(KIND)


def brief_due(day: date, zone: str, brief_time: str, quiet_hours: str) -> datetime:
    """When ``day``'s brief is due in ``zone``: the brief time, or the end of the quiet hours it
    falls in."""
    moment = at_local(day, brief_time, zone)
    return quiet_until(moment, zone, quiet_hours) or moment


def produce(tick: Tick) -> None:
    settings = tick.settings
    quiet_hours = company.effective(tick.session, settings).staff_quiet_hours.text
    briefs = []
    for user in tick.staff():
        if user.role not in BRIEFED + BRIEFED_WHEN_WAITED_ON:
            continue
        zone = user.timezone
        today = tick.today(zone)
        due = brief_due(today, zone, user.brief_time or settings.morning_brief_time, quiet_hours)
        if tick.now >= due:
            briefs.append((user, zone, today, due, f"{KIND}:{user.id}:{today.isoformat()}"))
    written = tick.prefetch(key for *_brief, key in briefs)
    for user, zone, today, due, key in briefs:
        if key in written:
            continue
        last_chance = min(due + LATE_WINDOW, tick.end_of_day(today, zone))
        actor = Actor.of(user)
        waiting = approvals.waiting_for(tick.session, actor, before=tick.now - APPROVAL_LATE_AFTER)
        if user.role not in BRIEFED and (not waiting or tick.now >= last_chance):
            continue
        day = agenda.my_day(tick.session, actor, now=tick.now)
        instalments = orders.open_instalments(
            tick.session, payment_owner_id=user.id, due_until=today
        )
        monday = today.weekday() == 0
        cadence_days = {tier: settings.cadence_days(tier) for tier in segments.TIERS}
        route = (
            nearby.near_route(
                tick.session,
                actor,
                since=at_local(today - timedelta(days=1), "00:00", zone),
                until=at_local(today, "00:00", zone),
                now=tick.now,
                cadence_days=cadence_days,
            )
            if user.role in SELLING
            else []
        )
        cadence = (
            segments.past_cadence(
                tick.session, user.id or 0, now=tick.now, cadence_days=cadence_days
            )
            if monday
            else None
        )
        stale = (
            deals.stale_deals(
                tick.session,
                now=tick.now,
                days=settings.stale_deal_days,
                days_now=settings.stale_deal_days_now,
                owner_id=user.id,
            )
            if monday
            else []
        )
        tick.to_user(
            user,
            key=key,
            kind=KIND,
            due_at=due,
            template="reminders/brief",
            expires_at=last_chance,
            skip_reason=TOO_LATE if tick.now >= last_chance else None,
            day=day,
            instalments=instalments,
            stale=stale,
            waiting=waiting,
            cadence=cadence,
            route=route,
            today=today,
        )
