"""Touches: logging a visit, call, meeting or message with its next step and follow-up date,
undoing it within five minutes, editing it, and what is due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.services.deals import refresh_last_activity
from bot.services.errors import NotFound, ServiceError
from bot.services.people import Actor
from bot.services.visibility import owned_by_visible, refuse_read_only, visible_customer
from models import Attachment, Customer, Touch, TouchKind
from models.sales import follow_up_is_for

UNDO_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class AttachmentDraft:
    kind: str
    telegram_file_id: str
    telegram_file_unique_id: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


@dataclass(frozen=True)
class TouchDraft:
    """What a person entered for a touch, before it is saved."""

    customer_id: int
    kind: TouchKind
    notes: str
    next_step: str | None = None
    follow_up_at: datetime | None = None
    follow_up_has_time: bool = False
    latitude: float | None = None
    longitude: float | None = None
    attachments: list[AttachmentDraft] = field(default_factory=list)


class UndoExpired(ServiceError):
    template = "visits/undo_expired"


def follow_up_in_past(
    follow_up_at: datetime | None, *, has_time: bool, now: datetime, zone: str
) -> bool:
    """Whether a follow-up lies before now (a date alone: before today, in ``zone``)."""
    if follow_up_at is None:
        return False
    if has_time:
        return follow_up_at < now
    tz = ZoneInfo(zone)
    return follow_up_at.astimezone(tz).date() < now.astimezone(tz).date()


def log_touch(session: Session, actor: Actor, draft: TouchDraft, *, now: datetime) -> Touch:
    """Save a touch on a customer the person may see.

    The author's earlier open follow-ups on that customer count as done: they touched it now.
    """
    refuse_read_only(actor)
    customer = visible_customer(session, actor, draft.customer_id)
    for earlier in session.exec(
        select(Touch).where(
            Touch.customer_id == draft.customer_id,
            follow_up_is_for(actor.user_id),
            col(Touch.follow_up_at).is_not(None),
            col(Touch.follow_up_done_at).is_(None),
            col(Touch.deleted_at).is_(None),
        )
    ):
        earlier.follow_up_done_at = now
    touch = Touch(
        customer_id=draft.customer_id,
        author_id=actor.user_id,
        kind=TouchKind(draft.kind).value,
        notes=draft.notes,
        next_step=draft.next_step or None,
        follow_up_at=draft.follow_up_at,
        follow_up_has_time=draft.follow_up_has_time if draft.follow_up_at else False,
        latitude=draft.latitude,
        longitude=draft.longitude,
        created_at=now,
        updated_at=now,
    )
    session.add(touch)
    session.flush()
    assert touch.id is not None
    for attachment in draft.attachments:
        session.add(
            Attachment(
                touch_id=touch.id,
                kind=attachment.kind,
                telegram_file_id=attachment.telegram_file_id,
                telegram_file_unique_id=attachment.telegram_file_unique_id,
                mime_type=attachment.mime_type,
                file_size=attachment.file_size,
                created_at=now,
            )
        )
    customer.updated_at = now
    refresh_last_activity(session, draft.customer_id)  # the deals' stale-deal clock restarts
    return touch


def _own_touch(session: Session, actor: Actor, touch_id: int) -> Touch:
    """A live touch the person wrote (only the author may undo or edit)."""
    touch = session.get(Touch, touch_id)
    if touch is None or touch.author_id != actor.user_id or touch.deleted_at is not None:
        raise NotFound()
    return touch


def undo_touch(session: Session, actor: Actor, touch_id: int, *, now: datetime) -> Touch:
    """Take back a touch within five minutes of saving it; follow-ups it closed reopen."""
    touch = _own_touch(session, actor, touch_id)
    if now - touch.created_at > UNDO_WINDOW:
        raise UndoExpired()
    touch.deleted_at = now
    for earlier in session.exec(
        select(Touch).where(
            Touch.customer_id == touch.customer_id,
            follow_up_is_for(actor.user_id),
            Touch.follow_up_done_at == touch.created_at,
        )
    ):
        earlier.follow_up_done_at = None
    refresh_last_activity(session, touch.customer_id)  # the deals' last activity goes back
    return touch


def edit_touch(
    session: Session,
    actor: Actor,
    touch_id: int,
    *,
    notes: str | None = None,
    next_step: str | None = None,
    follow_up_at: datetime | None = None,
    follow_up_has_time: bool = False,
    now: datetime,
) -> Touch:
    """Change what a touch says; only the given fields change."""
    touch = _own_touch(session, actor, touch_id)
    if notes is not None:
        touch.notes = notes
    if next_step is not None:
        touch.next_step = next_step or None
    if follow_up_at is not None:
        touch.follow_up_at, touch.follow_up_has_time = follow_up_at, follow_up_has_time
        touch.follow_up_done_at = None
    touch.updated_at = now
    session.flush()
    return touch


def attachment_count(session: Session, touch_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Attachment).where(Attachment.touch_id == touch_id)
    ).one()


def get_touch(session: Session, actor: Actor, touch_id: int) -> Touch:
    """A touch on a customer the person may see."""
    row = session.exec(
        select(Touch)
        .join(Customer, col(Touch.customer_id) == col(Customer.id))
        .where(
            Touch.id == touch_id,
            col(Touch.deleted_at).is_(None),
            owned_by_visible(actor, Customer.owner_id),
        )
    ).first()
    if row is None:
        raise NotFound()
    return row


@dataclass(frozen=True)
class FollowUpView:
    touch_id: int
    customer_id: int
    customer_name: str
    next_step: str | None
    follow_up_at: datetime | None
    has_time: bool
    done: bool


def _follow_up_view(session: Session, touch: Touch) -> FollowUpView:
    customer = session.get(Customer, touch.customer_id)
    return FollowUpView(
        touch_id=touch.id or 0,
        customer_id=touch.customer_id,
        customer_name=customer.name if customer else "",
        next_step=touch.next_step,
        follow_up_at=touch.follow_up_at,
        has_time=touch.follow_up_has_time,
        done=touch.follow_up_done_at is not None,
    )


def _own_follow_up(session: Session, actor: Actor, touch_id: int) -> Touch:
    """A live touch whose follow-up is the person's to do: the author's, or whom it was handed
    to (only they get its reminders)."""
    touch = session.get(Touch, touch_id)
    holder = touch.follow_up_owner_id or touch.author_id if touch is not None else None
    if touch is None or holder != actor.user_id or touch.deleted_at is not None:
        raise NotFound()
    return touch


def follow_up(session: Session, actor: Actor, touch_id: int) -> FollowUpView:
    """A follow-up that is the person's to do."""
    return _follow_up_view(session, _own_follow_up(session, actor, touch_id))


def snooze_follow_up(
    session: Session, actor: Actor, touch_id: int, how: str, *, now: datetime
) -> FollowUpView:
    """Move a follow-up: ``h`` an hour from now, ``d`` tomorrow (at the same time of day when it
    had one). Its reminder moves with it."""
    touch = _own_follow_up(session, actor, touch_id)
    if touch.follow_up_at is None:
        raise NotFound()
    zone = ZoneInfo(actor.timezone)
    if how == "h":
        moved, has_time = now + timedelta(hours=1), True
    elif how == "d":
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        moment = touch.follow_up_at.astimezone(zone).time() if touch.follow_up_has_time else None
        local = datetime.combine(tomorrow, moment or datetime.min.time(), tzinfo=zone)
        moved, has_time = local.astimezone(UTC), touch.follow_up_has_time
    else:
        raise NotFound()
    return move_follow_up(session, actor, touch_id, moved, has_time=has_time, now=now)


def move_follow_up(
    session: Session, actor: Actor, touch_id: int, to: datetime, *, has_time: bool, now: datetime
) -> FollowUpView:
    touch = _own_follow_up(session, actor, touch_id)
    touch.follow_up_at, touch.follow_up_has_time = to, has_time
    touch.follow_up_done_at, touch.updated_at = None, now
    session.flush()
    return _follow_up_view(session, touch)
