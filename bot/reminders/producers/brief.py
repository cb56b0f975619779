"""The morning brief to each rep and manager at MORNING_BRIEF_TIME in their zone: today's
follow-ups and overdue ones, deals past their close date, contacts' birthdays, instalments they
collect that are due or overdue, and on Mondays the deals gone stale (the weekly summary). An
empty day is one line. A brief not sent by the end of its day is dropped."""

from __future__ import annotations

from bot.reminders.scheduler import Tick
from bot.services import agenda, deals, orders
from bot.services.people import Actor
from models import Role

KIND = "brief"
BRIEFED = (Role.REP, Role.MANAGER)


def produce(tick: Tick) -> None:
    settings = tick.settings
    for user in tick.staff():
        if user.role not in BRIEFED:
            continue
        zone = user.timezone
        today = tick.today(zone)
        due = tick.at(today, settings.morning_brief_time, zone)
        key = f"{KIND}:{user.id}:{today.isoformat()}"
        if tick.now < due or tick.exists(key):
            continue
        day = agenda.my_day(tick.session, Actor.of(user), now=tick.now)
        instalments = orders.open_instalments(
            tick.session, payment_owner_id=user.id, due_until=today
        )
        stale = (
            deals.stale_deals(
                tick.session,
                now=tick.now,
                days=settings.stale_deal_days,
                days_now=settings.stale_deal_days_now,
                owner_id=user.id,
            )
            if today.weekday() == 0
            else []
        )
        tick.to_user(
            user,
            key=key,
            kind=KIND,
            due_at=due,
            template="reminders/brief",
            expires_at=tick.end_of_day(today, zone),
            day=day,
            instalments=instalments,
            stale=stale,
            today=today,
        )
