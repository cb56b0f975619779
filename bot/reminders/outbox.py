"""The outbox table's operations: write a message once (its key is unique), claim due rows for
sending (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several processes never take the same row;
a lease, kept alive by the claimer's heartbeat, lets another process take over a row whose
claimer died), and record the outcome.

``claimed_by`` is "<instance id>/<run id>": a restarted instance takes back what its previous
run held at once (``reclaim``), without waiting for the lease."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.services.errors import NotAllowed
from bot.services.people import Actor
from models import OutboxMessage, OutboxState, Role

Buttons = Sequence[Sequence[tuple[str, str]]]  # rows of (label, callback data)


@dataclass(frozen=True)
class Envelope:
    """A message to write to the outbox."""

    key: str
    kind: str
    chat_id: int
    due_at: datetime
    text: str
    buttons: Buttons = ()
    user_id: int | None = None
    contact_id: int | None = None
    customer_id: int | None = None
    ref_id: int | None = None
    promotional: bool = False
    send_after: datetime | None = None  # default: due_at
    expires_at: datetime | None = None
    photo: bytes | None = None
    # Written already skipped, with this reason (its time passed before it could be written),
    # so /outbox shows what was not sent and why.
    skip_reason: str | None = None


def exists(session: Session, key: str) -> bool:
    return (
        session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key)).first() is not None
    )


def enqueue(session: Session, envelope: Envelope, *, now: datetime) -> bool:
    """Write the message unless one with its key exists; True if this call wrote it."""
    values = {
        "key": envelope.key,
        "kind": envelope.kind,
        "chat_id": envelope.chat_id,
        "user_id": envelope.user_id,
        "contact_id": envelope.contact_id,
        "customer_id": envelope.customer_id,
        "ref_id": envelope.ref_id,
        "promotional": envelope.promotional,
        "due_at": envelope.due_at,
        "send_after": envelope.send_after or envelope.due_at,
        "expires_at": envelope.expires_at,
        "text": envelope.text,
        "markup": json.dumps([[list(b) for b in row] for row in envelope.buttons])
        if envelope.buttons
        else None,
        "photo": envelope.photo,
        "state": (OutboxState.SKIPPED if envelope.skip_reason else OutboxState.PENDING).value,
        "reason": envelope.skip_reason,
        "attempts": 0,
        "late": False,
        "created_at": now,
        "updated_at": now,
    }
    statement = _insert_unless_written(session.get_bind().dialect.name)
    return session.execute(statement, values).first() is not None


@cache
def _insert_unless_written(dialect: str) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, built once per dialect (a producer
    writes thousands of rows in its first tick; building the statement each time cost more than
    running it). The values come as parameters."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.id)  # a row comes back only if this call wrote it
    )


def buttons_of(row: OutboxMessage) -> list[list[tuple[str, str]]]:
    if not row.markup:
        return []
    return [[(str(label), str(data)) for label, data in line] for line in json.loads(row.markup)]


def claimable(now: datetime) -> object:
    return or_(
        and_(
            col(OutboxMessage.state) == OutboxState.PENDING.value,
            col(OutboxMessage.send_after) <= now,
        ),
        and_(
            col(OutboxMessage.state) == OutboxState.SENDING.value,
            col(OutboxMessage.lease_until) < now,
        ),
    )


def claim(
    session: Session,
    *,
    now: datetime,
    worker: str,
    limit: int,
    lease: timedelta,
    skip_chats: Collection[int] = (),
) -> list[int]:
    """Take up to ``limit`` due rows for this worker until ``now + lease``; returns their ids.
    Rows to ``skip_chats`` (chats the worker has enough of in hand) are left for later.

    On PostgreSQL the rows are locked with SKIP LOCKED while they are marked, so two workers
    claiming at once get different rows. SQLite has one writer at a time anyway."""
    query = select(OutboxMessage.id).where(claimable(now))  # type: ignore[arg-type]
    if skip_chats:
        query = query.where(col(OutboxMessage.chat_id).not_in(skip_chats))
    ids = list(
        session.exec(
            query.order_by(col(OutboxMessage.send_after), col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), claimable(now))  # type: ignore[arg-type]
            .values(
                state=OutboxState.SENDING.value,
                lease_until=now + lease,
                claimed_by=worker,
                attempts=OutboxMessage.attempts + 1,
                updated_at=now,
            )
        )
    return [row_id for row_id in ids if row_id is not None]


def extend_lease(session: Session, *, worker: str, now: datetime, lease: timedelta) -> int:
    """The claimer's heartbeat: its rows are its own until ``now + lease``; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.state) == OutboxState.SENDING.value,
        )
        .values(lease_until=now + lease)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _back_to_pending(now: datetime) -> dict[str, object]:
    # The next claim counts the attempt again: the one that never finished is not counted.
    return {
        "state": OutboxState.PENDING.value,
        "claimed_by": None,
        "lease_until": None,
        "attempts": OutboxMessage.attempts - 1,
        "updated_at": now,
    }


def release(session: Session, row_ids: Sequence[int], worker: str, *, now: datetime) -> int:
    """Give back rows this worker claimed but did not try to send (as they were before)."""
    if not row_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(row_ids),
            col(OutboxMessage.state) == OutboxState.SENDING.value,
            col(OutboxMessage.claimed_by) == worker,
        )
        .values(**_back_to_pending(now))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def reclaim(session: Session, *, instance: str, worker: str, now: datetime) -> int:
    """Give back at once the rows an earlier run of ``instance`` held (it died): claimed by
    "<instance>/<another run id>" (``worker`` is "<instance>/<this run id>"). The caller must
    know that no other running process is that instance. Returns how many."""
    prefix = f"{instance}/"
    if not worker.startswith(prefix):
        raise ValueError(f"{worker!r} is not a run of {instance!r}")
    claimed_by = col(OutboxMessage.claimed_by)
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.state) == OutboxState.SENDING.value,
            func.substr(claimed_by, 1, len(prefix)) == prefix,
            func.length(claimed_by) == len(worker),  # not "<instance>/x/<run id>"
            claimed_by != worker,
        )
        .values(**_back_to_pending(now))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _finish(session: Session, row_id: int, worker: str, now: datetime, **values: object) -> bool:
    """Record an outcome, only if this worker still holds the row."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state) == OutboxState.SENDING.value,
            col(OutboxMessage.claimed_by) == worker,
        )
        .values(updated_at=now, lease_until=None, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(
    session: Session, row_id: int, worker: str, *, now: datetime, message_id: int, late: bool
) -> bool:
    return _finish(
        session,
        row_id,
        worker,
        now,
        state=OutboxState.SENT.value,
        sent_at=now,
        telegram_message_id=message_id,
        late=late,
    )


def mark_skipped(session: Session, row_id: int, worker: str, *, now: datetime, reason: str) -> bool:
    return _finish(session, row_id, worker, now, state=OutboxState.SKIPPED.value, reason=reason)


def mark_failed(session: Session, row_id: int, worker: str, *, now: datetime, reason: str) -> bool:
    return _finish(session, row_id, worker, now, state=OutboxState.FAILED.value, reason=reason)


def postpone(
    session: Session,
    row_id: int,
    worker: str,
    *,
    now: datetime,
    until: datetime,
    reason: str | None = None,
    count_attempt: bool = True,
) -> bool:
    """Back to pending until ``until`` (quiet hours, flood control, a network error)."""
    values: dict[str, object] = {
        "state": OutboxState.PENDING.value,
        "send_after": until,
        "reason": reason,
        "claimed_by": None,
    }
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    return _finish(session, row_id, worker, now, **values)


@dataclass(frozen=True)
class OutboxStats:
    counts: dict[str, int]
    problems: list[OutboxMessage] = field(default_factory=list)  # last failures and skips


def stats(session: Session, *, last: int = 5) -> OutboxStats:
    counts = {state.value: 0 for state in OutboxState}
    for state, number in session.exec(
        select(OutboxMessage.state, func.count()).group_by(col(OutboxMessage.state))
    ):
        counts[state] = number
    problems = list(
        session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.state).in_([OutboxState.FAILED.value, OutboxState.SKIPPED.value])
            )
            .order_by(col(OutboxMessage.updated_at).desc(), col(OutboxMessage.id).desc())
            .limit(last)
        )
    )
    for row in problems:
        session.expunge(row)
    return OutboxStats(counts=counts, problems=problems)


def report(session: Session, actor: Actor, *, last: int = 5) -> OutboxStats:
    """/outbox: for admins only."""
    if actor.role != Role.ADMIN:
        raise NotAllowed()
    return stats(session, last=last)
