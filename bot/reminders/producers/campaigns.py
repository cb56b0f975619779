"""Care campaigns an admin scheduled with /care: once a confirmed campaign's time has come, one
promotional message per linked, opted-in contact of its segment (as the segment stands then)
is written, and the campaign is marked enqueued. The dispatcher holds each in the contact's
quiet hours, skips it while their customer has an open complaint, and drops one not sent
within CATCH_UP_HOURS of its time. Key ``care:<campaign>:<contact>``."""

from __future__ import annotations

from datetime import timedelta

from bot.reminders.scheduler import Tick
from bot.services import care

KIND = "care"


def produce(tick: Tick) -> None:
    session = tick.session
    catch_up = timedelta(hours=tick.settings.catch_up_hours)
    for campaign in care.due_campaigns(session, now=tick.now):
        for contact in care.segment_contacts(session, campaign.segment):
            tick.to_contact(
                contact,
                key=f"{KIND}:{campaign.id}:{contact.id}",
                kind=KIND,
                due_at=campaign.send_at,
                expires_at=campaign.send_at + catch_up,
                template="care/campaign",
                promotional=True,
                ref_id=campaign.id,
                text=campaign.text,
            )
        campaign.enqueued_at = tick.now
        session.flush()
