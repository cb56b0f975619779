"""Payment reminders about unpaid instalments.

To the order's payment owner: 3 days before an instalment is due, on the day, and 1, 7 and 14
days overdue, each at MORNING_BRIEF_TIME in their zone; at 14 days overdue the payment owner's
team manager(s) too, at MORNING_BRIEF_TIME in theirs. Each has its own key (instalment and
offset and the payment owner; for a manager, instalment and manager), so it is written once;
handing the collection to someone else (reassignment) skips what waits for the one before and
writes the new owner's. After a gap (the bot was
down) only the newest reminder missed is sent, late, and only if it is less than CATCH_UP_HOURS
old; the ones before it are not sent any more.

To the customer's linked contacts who agreed to messages: a polite note on the due day and at 3
days overdue, at 10:00 their time and only on that day; never a second payment note to one
contact within 7 days (so the +3 note goes only when the due-day note did not, e.g. during a
complaint), and none while the customer has an open complaint (checked when the note is written
and again before it is sent).

Paying the instalment stops the reminders still to come and skips the ones waiting to be sent.
The morning brief (``brief.py``) lists what is due and overdue as well."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from bot.reminders.dispatcher import LATE_NOTE_KINDS, open_complaint, open_complaints, validator
from bot.reminders.scheduler import KEYS_PER_STATEMENT, Tick
from bot.reminders.timing import at_local
from bot.services import orders
from bot.services.orders import OpenInstalment
from models import (
    Contact,
    Customer,
    Instalment,
    OutboxMessage,
    OutboxState,
    Role,
    SalesOrder,
    User,
)

KIND = "payment_due"  # to the payment owner
ESCALATION = "payment_escalation"  # to their team's manager(s)
NOTE = "payment_note"  # to the customer's linked contacts
LATE_NOTE_KINDS.update({KIND, ESCALATION})

OWNER_OFFSETS = (-3, 0, 1, 7, 14)  # days from the due date
ESCALATION_OFFSET = 14
NOTE_OFFSETS = (0, 3)
NOTE_TIME = "10:00"  # contact-local
NOTE_INTERVAL = timedelta(days=7)  # at most one payment note per contact in this time


def produce(tick: Tick) -> None:
    # Reminders fall due at brief time in the staff member's zone, notes at NOTE_TIME in the
    # contact's: between such moments there is nothing new to write.
    for_staff = tick.staff_zones_passing(tick.settings.morning_brief_time) != set()
    note_zones = tick.contact_zones_passing(NOTE_TIME)
    for_contacts = note_zones != set()
    if not (for_staff or for_contacts):
        return
    catch_up = timedelta(hours=tick.settings.catch_up_hours)
    utc_today = tick.now.date()
    window = timedelta(days=max(OWNER_OFFSETS) + 2) + catch_up
    due = orders.open_instalments(
        tick.session,
        due_from=utc_today
        - (timedelta(days=window.days + 1) if for_staff else timedelta(days=max(NOTE_OFFSETS) + 1)),
        due_until=utc_today + timedelta(days=-min(OWNER_OFFSETS) + 1 if for_staff else 1),
    )
    if for_contacts:
        _note_all(tick, due, note_zones)
    if not for_staff:
        return
    staff = tick.staff()
    since = tick.now - catch_up
    # The outbox keys of every reminder due now, looked up together before any is written.
    keys = []
    for item in due:
        owner = tick.user(item.payment_owner_id)
        if owner is None:
            continue
        latest = _latest_due(
            item.due_date, OWNER_OFFSETS, tick.settings.morning_brief_time, owner.timezone, tick.now
        )
        if owner.is_active and latest is not None:
            keys.append(owner_key(item.instalment_id, latest[0], owner.id or 0))
        keys += [
            f"{ESCALATION}:{item.instalment_id}:{manager.id}"
            for manager in _team_managers(staff, owner)
        ]
    tick.prefetch(keys)
    for item in due:
        owner = tick.user(item.payment_owner_id)
        if owner is None:
            continue
        if owner.is_active:
            _remind_owner(tick, item, owner, since=since)
        for manager in _team_managers(staff, owner):
            _escalate(tick, item, owner, manager, since=since)


def owner_key(instalment_id: int, offset: int, owner_id: int) -> str:
    return f"{KIND}:{instalment_id}:{offset}:{owner_id}"


def _team_managers(staff: list[User], owner: User) -> list[User]:
    if owner.team_id is None:
        return []
    return [
        user
        for user in staff
        if user.role == Role.MANAGER and user.team_id == owner.team_id and user.id != owner.id
    ]


def _latest_due(
    due_date: date, offsets: tuple[int, ...], moment: str, zone: str, now: datetime
) -> tuple[int, datetime] | None:
    """The last of the reminders at ``offsets`` days from ``due_date`` whose time has come."""
    found = None
    for offset in sorted(offsets):
        instant = at_local(due_date + timedelta(days=offset), moment, zone)
        if instant <= now:
            found = (offset, instant)
    return found


def _buttons(tick: Tick, user: User, item: OpenInstalment) -> list[list[tuple[str, str]]]:
    return [
        [(tick.label(user.language, "log_payment"), f"pay:ord:{item.order_id}")],
        [(tick.label(user.language, "open_order"), f"ord:open:{item.order_id}")],
    ]


def _remind_owner(tick: Tick, item: OpenInstalment, owner: User, *, since: datetime) -> None:
    latest = _latest_due(
        item.due_date, OWNER_OFFSETS, tick.settings.morning_brief_time, owner.timezone, tick.now
    )
    if latest is None or latest[1] <= since:
        return
    offset, due = latest
    tick.to_user(
        owner,
        key=owner_key(item.instalment_id, offset, owner.id or 0),
        kind=KIND,
        due_at=due,
        template="reminders/payment_due",
        buttons=_buttons(tick, owner, item),
        customer_id=item.customer_id,
        ref_id=item.instalment_id,
        item=item,
        days=offset,
    )


def _escalate(
    tick: Tick, item: OpenInstalment, owner: User, manager: User, *, since: datetime
) -> None:
    day = item.due_date + timedelta(days=ESCALATION_OFFSET)
    due = tick.at(day, tick.settings.morning_brief_time, manager.timezone)
    if not since < due <= tick.now:
        return
    tick.to_user(
        manager,
        key=f"{ESCALATION}:{item.instalment_id}:{manager.id}",
        kind=ESCALATION,
        due_at=due,
        template="reminders/payment_escalation",
        buttons=_buttons(tick, manager, item),
        customer_id=item.customer_id,
        ref_id=item.instalment_id,
        item=item,
        days=ESCALATION_OFFSET,
        owner=owner,
    )


def _note_all(tick: Tick, due: list[OpenInstalment], zones: set[str] | None) -> None:
    """The notes to the contacts (in ``zones``, None: any) of every instalment near a note day,
    their contacts and open complaints looked up for all of them at once."""
    in_zones = (
        sa.true()
        if zones is None
        else sa.func.coalesce(col(Contact.timezone), tick.settings.default_timezone).in_(
            sorted(zones)
        )
    )
    near = [item for item in due if _note_day_near(item.due_date, tick.now)]
    customer_ids = sorted({item.customer_id for item in near})
    contacts: dict[int, list[Contact]] = defaultdict(list)
    complaints: set[int] = set()
    for start in range(0, len(customer_ids), KEYS_PER_STATEMENT):
        chunk = customer_ids[start : start + KEYS_PER_STATEMENT]
        for contact in tick.session.exec(
            select(Contact)
            .where(
                col(Contact.customer_id).in_(chunk),
                col(Contact.telegram_chat_id).is_not(None),
                col(Contact.opted_in),
                col(Contact.unreachable_at).is_(None),
                in_zones,
            )
            .order_by(col(Contact.id))
        ):
            contacts[contact.customer_id].append(contact)
        complaints.update(open_complaints(tick.session, [c for c in chunk if c in contacts]))
    for item in near:
        if contacts.get(item.customer_id) and item.customer_id not in complaints:
            _note_contacts(tick, item, contacts[item.customer_id])


def _note_contacts(tick: Tick, item: OpenInstalment, contacts: list[Contact]) -> None:
    session = tick.session
    customer = session.get(Customer, item.customer_id)
    rep = tick.user(customer.owner_id) if customer is not None else None
    for contact in contacts:
        zone = tick.contact_zone(contact)
        for offset in NOTE_OFFSETS:
            day = item.due_date + timedelta(days=offset)
            due, ends = tick.at(day, NOTE_TIME, zone), tick.end_of_day(day, zone)
            key = f"{NOTE}:{item.instalment_id}:{offset}:{contact.id}"
            if not due <= tick.now < ends or tick.exists(key):
                continue
            if _noted_recently(session, contact.id or 0, tick.now):
                continue
            tick.to_contact(
                contact,
                key=key,
                kind=NOTE,
                due_at=due,
                expires_at=ends,
                template="reminders/payment_note",
                ref_id=item.instalment_id,
                item=item,
                days=offset,
                rep_name=rep.full_name if rep is not None else None,
            )


def _note_day_near(due_date: date, now: datetime) -> bool:
    """Whether a note day of the instalment is within a day of ``now``'s UTC date (every zone's
    local date is), before looking up contacts and complaints."""
    utc_today = now.date()
    return any(
        abs((due_date + timedelta(days=offset) - utc_today).days) <= 1 for offset in NOTE_OFFSETS
    )


def _noted_recently(
    session: Session, contact_id: int, now: datetime, *, sent_only: bool = False, but: int = 0
) -> bool:
    """A payment note to the contact waiting to be sent, or sent within NOTE_INTERVAL."""
    sent = and_(
        col(OutboxMessage.state) == OutboxState.SENT.value,
        col(OutboxMessage.sent_at) > now - NOTE_INTERVAL,
    )
    waiting = col(OutboxMessage.state).in_([OutboxState.PENDING.value, OutboxState.SENDING.value])
    return (
        session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.kind == NOTE,
                OutboxMessage.contact_id == contact_id,
                col(OutboxMessage.id) != but,
                sent if sent_only else or_(sent, waiting),
            )
        ).first()
        is not None
    )


def instalment_unpaid(session: Session, instalment_id: int | None) -> bool:
    """Whether the instalment still has money due (payments settle the earliest first)."""
    instalment = session.get(Instalment, instalment_id) if instalment_id is not None else None
    if instalment is None:
        return False
    order = session.get(SalesOrder, instalment.order_id)
    if order is None:
        return False
    return any(
        item.instalment_id == instalment_id
        for item in orders.open_instalments(
            session,
            order_id=order.id,
            due_from=instalment.due_date,
            due_until=instalment.due_date,
        )
    )


@validator(KIND)
@validator(ESCALATION)
def still_unpaid(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    if not instalment_unpaid(session, row.ref_id):
        return "instalment paid"
    return None if still_theirs(session, row) else "collection handed over"


def still_theirs(session: Session, row: OutboxMessage) -> bool:
    """Whether the row's recipient still collects the instalment (or, for an escalation, is a
    manager of the team of whoever collects it now)."""
    instalment = session.get(Instalment, row.ref_id) if row.ref_id is not None else None
    order = session.get(SalesOrder, instalment.order_id) if instalment is not None else None
    if order is None or row.user_id is None:
        return False
    if row.kind == KIND:
        return order.payment_owner_id == row.user_id
    owner, manager = session.get(User, order.payment_owner_id), session.get(User, row.user_id)
    return (
        owner is not None
        and manager is not None
        and owner.team_id is not None
        and manager.team_id == owner.team_id
    )


@validator(NOTE)
def note_still_wanted(session: Session, row: OutboxMessage, now: datetime) -> str | None:
    if not instalment_unpaid(session, row.ref_id):
        return "instalment paid"
    if row.customer_id is not None and open_complaint(session, row.customer_id):
        return "open complaint"
    if row.contact_id is not None and _noted_recently(
        session, row.contact_id, now, sent_only=True, but=row.id or 0
    ):
        return "a payment note went to them within 7 days"
    return None
