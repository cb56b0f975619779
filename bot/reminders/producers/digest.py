"""The manager's digest to each active manager and director at their own digest time (📊 Digest
time in /settings), else DIGEST_TIME, in their zone, once per local day, dropped if not sent by
the end of that day; and how a digest becomes messages (the text, and the funnel chart as a
PNG), which /digest (``bot.handlers.digest``) shares.

A digest whose text fits a photo caption (1024 characters) is one photo message; a longer one is
a text message followed by the chart with a short caption. An empty day is one line, no chart.
What goes into a digest is ``bot.services.digest``; the words are ``templates/<lang>/digest/``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from bot.charts import ChartWords, FunnelStage, funnel_png
from bot.reminders.dispatcher import validator
from bot.reminders.scheduler import Tick
from bot.rendering import Renderer, visible_length
from bot.services.digest import Digest, team_digest
from bot.services.people import Actor
from models import OutboxMessage, Role, User

logger = logging.getLogger("salesbot.scheduler")

KIND = "digest"
DIGESTED = (Role.MANAGER, Role.DIRECTOR)
CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption, in characters after parsing
# Items shown per section, most first: the first that keeps the text within one message wins.
SECTION_LIMITS = (10, 5, 2)


def digest_text(render: Callable[[int], str]) -> tuple[int, str]:
    """The digest text with as many items per section as fit one message, and that number.

    ``render(limit)`` renders ``digest/digest``; the renderer refuses (ValueError) a text
    longer than a Telegram message."""
    for limit in SECTION_LIMITS[:-1]:
        try:
            return limit, render(limit)
        except ValueError:
            continue
    return SECTION_LIMITS[-1], render(SECTION_LIMITS[-1])


def fits_caption(text: str) -> bool:
    return visible_length(text) <= CAPTION_LIMIT


def funnel_chart(
    renderer: Renderer, language: str | None, digest: Digest, font: Path | None
) -> bytes:
    """The funnel of open deals in the digest's currency as a PNG (CPU-bound: tens of ms)."""
    stages = [
        FunnelStage(renderer.label(language, "stage", row.stage_key), row.count, row.value)
        for row in digest.funnel
    ]
    words = ChartWords(
        empty=renderer.label(language, "chart_empty"),
        total=lambda text: renderer.label(language, "chart_total", text),
        stage=lambda stage, currency: renderer.label(
            language, "chart_stage", stage.count, stage.value, currency
        ),
    )
    return funnel_png(
        stages if any(stage.count for stage in stages) else [],
        title=renderer.label(language, "digest_chart_title", digest),
        currency=digest.currency,
        font=font,
        words=words,
    )


def digest_time(tick: Tick, user: User) -> str:
    return user.digest_time or str(tick.settings.digest_time)


def produce(tick: Tick) -> None:
    readers = [user for user in tick.staff() if user.role in DIGESTED]
    moments = {(user.timezone, digest_time(tick, user)) for user in readers}
    if not tick.may_pass(*{moment for _zone, moment in moments}):
        return  # digests fall due only at their readers' times (joined later: the hourly look)
    if tick.covered is not None:
        # Only the readers whose (zone, time) came since the last tick.
        passed = {(zone, moment) for zone, moment in moments if tick.zones_passing(moment, [zone])}
        readers = [user for user in readers if (user.timezone, digest_time(tick, user)) in passed]
    tick.prefetch(f"{KIND}:{user.id}:{tick.today(user.timezone).isoformat()}" for user in readers)
    for user in readers:
        try:
            send_digest(tick, user)
        except Exception:  # one person's digest must not hold back the others'
            logger.exception("digest for user %s failed", user.id)


def send_digest(tick: Tick, user: User) -> None:
    zone = user.timezone
    today = tick.today(zone)
    due = tick.at(today, digest_time(tick, user), zone)
    key = f"{KIND}:{user.id}:{today.isoformat()}"
    if tick.now < due or tick.exists(key):
        return
    digest = team_digest(
        tick.session,
        Actor.of(user),
        day=today,
        now=tick.now,
        currency=tick.settings.default_currency,
    )
    expires = tick.end_of_day(today, zone)
    if digest.empty:
        tick.to_user(
            user,
            key=key,
            kind=KIND,
            due_at=due,
            expires_at=expires,
            template="digest/empty",
            digest=digest,
        )
        return
    limit, text = digest_text(
        lambda n: tick.render(
            user.language, "digest/digest", timezone=zone, user=user, digest=digest, limit=n
        )
    )
    chart = funnel_chart(tick.deps.renderer, user.language, digest, tick.deps.documents.font)
    one_message = fits_caption(text)
    tick.to_user(
        user,
        key=key,
        kind=KIND,
        due_at=due,
        expires_at=expires,
        template="digest/digest",
        photo=chart if one_message else None,
        digest=digest,
        limit=limit,
    )
    if not one_message:
        tick.to_user(
            user,
            key=f"{key}:chart",
            kind=KIND,
            due_at=due,
            expires_at=expires,
            template="digest/chart_caption",
            photo=chart,
            digest=digest,
        )


@validator(KIND)
def still_a_reader(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or user.role not in DIGESTED:
        return "no longer a manager or director"
    return None
