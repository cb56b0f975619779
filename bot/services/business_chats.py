"""A rep's own customer chats (Telegram Business): the bot connected to a rep's account keeps
the messages of the chats the rep linked to a customer contact on that customer's timeline.

- ``connection_changed``: a connection, or its end. Only an active rep or manager the bot knows
  may connect; an unknown Telegram user's connection, a deactivated person's, is ignored.
- ``message_received``: a message (new or edited) of a chat in a connected account. A chat never
  seen before makes one question to the rep ("🔗 This chat is …?"); nothing is kept until the
  rep links it to a contact, and nothing ever from a chat that is "not a customer". Whether a
  message is kept is decided at each message: the connection is enabled and its owner is an
  active rep or manager right then, so disconnecting (or a deactivation) stops it at once.
- ``chat_choices``, ``link_chat``, ``mark_not_customer``: the rep's answer, and a change of it.
- ``follow_up_from_message``: a promise with a date in the rep's own kept message, made a
  follow-up with one tap (through the same ``log_touch`` as a visit).

No Telegram here: the handlers pass plain values. Message texts are never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, update
from sqlmodel import Session, col, select

from bot.parsing.promises import Promise, find_promise
from bot.services.access import may_keep_business_chats
from bot.services.errors import NotFound, ServiceError
from bot.services.people import Actor
from bot.services.visibility import customers_visible_to
from bot.services.visits import TouchDraft, follow_up_in_past, log_touch
from models import (
    BusinessChat,
    BusinessConnection,
    BusinessMessage,
    ChatLinkState,
    Contact,
    Customer,
    Role,
    TouchKind,
    User,
)

CHOICES_PAGE_SIZE = 6
MAX_GUESSES = 3
MAX_TEXT_LENGTH = 10_000


class ConnectionOff(ServiceError):
    """The rep's Telegram Business connection is off: a chat cannot be linked now."""

    template = "business/connection_off"


class NoPromise(ServiceError):
    template = "business/no_promise"


# -- connections -----------------------------------------------------------------------------


class ConnectionOutcome(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    NOT_FOR_ROLE = "not_for_role"  # an active person whose role keeps no chats
    IGNORED = "ignored"  # a stranger or a deactivated person: no answer at all


@dataclass(frozen=True)
class ConnectionEvent:
    """A ``business_connection`` update as plain values."""

    connection_id: str
    telegram_user_id: int
    user_chat_id: int
    is_enabled: bool
    can_reply: bool


@dataclass(frozen=True)
class ConnectionResult:
    outcome: ConnectionOutcome
    chat_id: int = 0  # where to tell the person (their private chat with the bot)
    language: str | None = None


def _active_person(session: Session, telegram_user_id: int) -> User | None:
    return session.exec(
        select(User).where(User.telegram_id == telegram_user_id, col(User.is_active).is_(True))
    ).first()


def connection_changed(
    session: Session, event: ConnectionEvent, *, now: datetime
) -> ConnectionResult:
    """Keep the connection's state; say whether the person is told anything."""
    person = _active_person(session, event.telegram_user_id)
    row = session.get(BusinessConnection, event.connection_id)
    if row is None:
        row = BusinessConnection(
            id=event.connection_id,
            telegram_user_id=event.telegram_user_id,
            user_chat_id=event.user_chat_id,
            connected_at=now,
        )
        session.add(row)
    was_enabled = row.is_enabled
    allowed = person is not None and may_keep_business_chats(Role(person.role))
    row.telegram_user_id, row.user_chat_id = event.telegram_user_id, event.user_chat_id
    row.user_id = person.id if person is not None else None
    row.is_enabled = event.is_enabled and allowed
    row.can_reply = event.can_reply
    row.updated_at = now
    if row.is_enabled and not was_enabled:
        row.connected_at, row.disconnected_at = now, None
    elif not row.is_enabled and was_enabled:
        row.disconnected_at = now
    if person is None:
        return ConnectionResult(ConnectionOutcome.IGNORED)
    told = ConnectionResult(ConnectionOutcome.IGNORED, event.user_chat_id, person.language)
    if not allowed:
        outcome = ConnectionOutcome.NOT_FOR_ROLE if event.is_enabled else ConnectionOutcome.IGNORED
        return ConnectionResult(outcome, told.chat_id, told.language)
    if row.is_enabled:
        outcome = ConnectionOutcome.CONNECTED if not was_enabled else ConnectionOutcome.IGNORED
    else:
        outcome = ConnectionOutcome.DISCONNECTED if was_enabled else ConnectionOutcome.IGNORED
    return ConnectionResult(outcome, told.chat_id, told.language)


def _keeping_owner(session: Session, connection_id: str) -> User | None:
    """The owner of an enabled connection who may keep chats right now, else None."""
    row = session.exec(
        select(User)
        .join(BusinessConnection, col(BusinessConnection.telegram_user_id) == col(User.telegram_id))
        .where(
            BusinessConnection.id == connection_id,
            col(BusinessConnection.is_enabled).is_(True),
            col(User.is_active).is_(True),
        )
    ).first()
    if row is None or not may_keep_business_chats(Role(row.role)):
        return None
    return row


def is_connected(session: Session, actor: Actor) -> bool:
    """Whether the person has an enabled business connection."""
    return (
        session.exec(
            select(BusinessConnection.id).where(
                BusinessConnection.telegram_user_id == actor.telegram_id,
                col(BusinessConnection.is_enabled).is_(True),
            )
        ).first()
        is not None
    )


# -- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatMessage:
    """A ``business_message`` (or ``edited_business_message``) as plain values."""

    connection_id: str
    chat_id: int
    message_id: int
    sender_id: int | None  # who wrote it: the account's owner or the chat partner
    partner_name: str
    sent_at: datetime
    text: str = ""
    file_kind: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    edited: bool = False
    by_bot: bool = False  # sent by a bot on the owner's behalf


@dataclass(frozen=True)
class Ask:
    """Ask the rep once what a new chat is."""

    chat_link_id: int
    rep: Actor


@dataclass(frozen=True)
class Offer:
    """A promise in the rep's kept message, to offer as a follow-up."""

    message_row_id: int
    rep: Actor
    promise: Promise
    contact_name: str
    customer_name: str


@dataclass(frozen=True)
class MessageOutcome:
    known_connection: bool = True
    kept: bool = False
    ask: Ask | None = None
    offer: Offer | None = None


def is_known_connection(session: Session, connection_id: str) -> bool:
    return session.get(BusinessConnection, connection_id) is not None


def message_received(session: Session, message: ChatMessage, *, now: datetime) -> MessageOutcome:
    """Keep a message of a linked chat, ask about a new chat, or do nothing."""
    if not is_known_connection(session, message.connection_id):
        return MessageOutcome(known_connection=False)
    owner = _keeping_owner(session, message.connection_id)
    if owner is None or owner.id is None or message.chat_id == owner.telegram_id:
        return MessageOutcome()
    link = session.exec(
        select(BusinessChat).where(
            BusinessChat.user_id == owner.id, BusinessChat.chat_id == message.chat_id
        )
    ).first()
    if link is None:
        if message.edited:
            return MessageOutcome()  # an old message edited: the chat is asked about when it talks
        link = BusinessChat(
            user_id=owner.id,
            chat_id=message.chat_id,
            state=ChatLinkState.ASKED.value,
            partner_name=message.partner_name[:200] or None,
            asked_at=now,
            updated_at=now,
        )
        session.add(link)
        session.flush()
        assert link.id is not None
        return MessageOutcome(ask=Ask(link.id, Actor.of(owner)))
    if link.state != ChatLinkState.LINKED or link.contact_id is None or link.linked_at is None:
        return MessageOutcome()
    if message.sent_at < link.linked_at.replace(microsecond=0):
        return MessageOutcome()  # written before the chat was linked: never kept
    row = session.exec(
        select(Contact, Customer)
        .join(Customer, col(Contact.customer_id) == col(Customer.id))
        .where(Contact.id == link.contact_id, customers_visible_to(Actor.of(owner)))
    ).first()
    if row is None:
        return MessageOutcome()  # the customer is no longer the rep's to see
    contact, customer = row
    assert link.id is not None and customer.id is not None and contact.id is not None
    from_contact = message.sender_id != owner.telegram_id and not message.by_bot
    text = message.text[:MAX_TEXT_LENGTH]
    kept = session.exec(
        select(BusinessMessage).where(
            BusinessMessage.chat_link_id == link.id,
            BusinessMessage.telegram_message_id == message.message_id,
        )
    ).first()
    if kept is not None:
        if message.edited:
            kept.text, kept.edited_at = text, now
            kept.file_kind = message.file_kind or kept.file_kind
            kept.file_id = message.file_id or kept.file_id
        return MessageOutcome(kept=True)  # the same message again: kept once
    kept = BusinessMessage(
        chat_link_id=link.id,
        telegram_message_id=message.message_id,
        customer_id=customer.id,
        contact_id=contact.id,
        rep_id=owner.id,
        from_contact=from_contact,
        text=text,
        file_kind=message.file_kind,
        file_id=message.file_id,
        file_name=(message.file_name or None) and message.file_name[:256],
        sent_at=message.sent_at,
        edited_at=now if message.edited else None,
        created_at=now,
    )
    session.add(kept)
    session.flush()
    assert kept.id is not None
    offer = None
    if not from_contact and not message.edited and text:
        promise = find_promise(text, now=message.sent_at, zone=owner.timezone)
        if promise is not None:
            offer = Offer(
                message_row_id=kept.id,
                rep=Actor.of(owner),
                promise=promise,
                contact_name=contact.name,
                customer_name=customer.name,
            )
    return MessageOutcome(kept=True, offer=offer)


def messages_deleted(session: Session, connection_id: str, chat_id: int, ids: list[int]) -> int:
    """Forget kept messages deleted in the chat; returns how many were kept."""
    connection = session.get(BusinessConnection, connection_id)
    if connection is None or connection.user_id is None or not ids:
        return 0
    link = session.exec(
        select(BusinessChat).where(
            BusinessChat.user_id == connection.user_id, BusinessChat.chat_id == chat_id
        )
    ).first()
    if link is None:
        return 0
    result = session.execute(
        delete(BusinessMessage).where(
            col(BusinessMessage.chat_link_id) == link.id,
            col(BusinessMessage.telegram_message_id).in_(ids[:100]),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# -- the rep's answer ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactChoice:
    contact_id: int
    contact_name: str
    customer_name: str


@dataclass(frozen=True)
class ChatChoices:
    chat_link_id: int
    partner_name: str | None
    state: str
    current: ContactChoice | None
    guesses: list[ContactChoice]
    others: list[ContactChoice]
    page: int
    pages: int
    connected: bool


def _own_link(session: Session, actor: Actor, chat_link_id: int) -> BusinessChat:
    link = session.get(BusinessChat, chat_link_id)
    if link is None or link.user_id != actor.user_id:
        raise NotFound()
    return link


def _choice(contact: Contact, customer: Customer) -> ContactChoice:
    return ContactChoice(contact.id or 0, contact.name, customer.name)


def _squeezed(column: Any) -> ColumnElement[str]:
    return func.lower(func.replace(func.replace(column, " ", ""), "\u3000", ""))


def chat_choices(session: Session, actor: Actor, chat_link_id: int, page: int) -> ChatChoices:
    """The contacts the rep may link a chat to: best guesses first (the partner's Telegram is a
    linked contact's, or the partner's name is a contact's), then every visible contact by
    customer, a page at a time."""
    link = _own_link(session, actor, chat_link_id)
    visible = (
        select(Contact, Customer)
        .join(Customer, col(Contact.customer_id) == col(Customer.id))
        .where(customers_visible_to(actor))
    )
    name = "".join((link.partner_name or "").split()).lower()
    guess_rule = or_(
        col(Contact.telegram_chat_id) == link.chat_id,
        *([_squeezed(col(Contact.name)) == name] if name else []),
    )
    guesses = [
        _choice(contact, customer)
        for contact, customer in session.exec(
            visible.where(guess_rule).order_by(col(Contact.id)).limit(MAX_GUESSES)
        )
    ]
    guessed = [choice.contact_id for choice in guesses]
    others_query = visible.where(col(Contact.id).not_in(guessed)) if guessed else visible
    total = session.exec(select(func.count()).select_from(others_query.subquery())).one()
    pages = max((total + CHOICES_PAGE_SIZE - 1) // CHOICES_PAGE_SIZE, 1)
    page = min(max(page, 0), pages - 1)
    others = [
        _choice(contact, customer)
        for contact, customer in session.exec(
            others_query.order_by(col(Customer.name), col(Contact.name), col(Contact.id))
            .offset(page * CHOICES_PAGE_SIZE)
            .limit(CHOICES_PAGE_SIZE)
        )
    ]
    current = None
    if link.state == ChatLinkState.LINKED and link.contact_id is not None:
        row = session.exec(
            select(Contact, Customer)
            .join(Customer, col(Contact.customer_id) == col(Customer.id))
            .where(Contact.id == link.contact_id)
        ).first()
        current = _choice(*row) if row is not None else None
    assert link.id is not None
    return ChatChoices(
        chat_link_id=link.id,
        partner_name=link.partner_name,
        state=link.state,
        current=current,
        guesses=guesses if page == 0 else [],
        others=others,
        page=page,
        pages=pages,
        connected=is_connected(session, actor),
    )


@dataclass(frozen=True)
class Linked:
    chat_link_id: int
    partner_name: str | None
    contact_name: str
    customer_name: str
    moved: int  # messages kept before, now on this contact's customer


def link_chat(
    session: Session, actor: Actor, chat_link_id: int, contact_id: int, *, now: datetime
) -> Linked:
    """Link the chat to a contact of a customer the rep can see; what is written from now on is
    kept. A chat linked before moves its kept messages to the new contact."""
    link = _own_link(session, actor, chat_link_id)
    row = session.exec(
        select(Contact, Customer)
        .join(Customer, col(Contact.customer_id) == col(Customer.id))
        .where(Contact.id == contact_id, customers_visible_to(actor))
    ).first()
    if row is None:
        raise NotFound()
    if not is_connected(session, actor):
        raise ConnectionOff()
    contact, customer = row
    moved = 0
    if link.state == ChatLinkState.LINKED and link.contact_id != contact_id:
        result = session.execute(
            update(BusinessMessage)
            .where(col(BusinessMessage.chat_link_id) == link.id)
            .values(contact_id=contact_id, customer_id=customer.id)
        )
        moved = int(getattr(result, "rowcount", 0) or 0)
    if link.state != ChatLinkState.LINKED or link.linked_at is None:
        link.linked_at = now
    link.state, link.contact_id, link.updated_at = ChatLinkState.LINKED.value, contact_id, now
    assert link.id is not None
    return Linked(link.id, link.partner_name, contact.name, customer.name, moved)


@dataclass(frozen=True)
class NotCustomer:
    chat_link_id: int
    removed: int  # messages kept while it was linked, now forgotten


def mark_not_customer(
    session: Session, actor: Actor, chat_link_id: int, *, now: datetime
) -> NotCustomer:
    """Nothing of this chat is kept, and the rep is never asked again; what was kept while it
    was linked is forgotten."""
    link = _own_link(session, actor, chat_link_id)
    result = session.execute(
        delete(BusinessMessage).where(col(BusinessMessage.chat_link_id) == link.id)
    )
    link.state, link.contact_id = ChatLinkState.NOT_CUSTOMER.value, None
    link.linked_at, link.partner_name, link.updated_at = None, None, now
    assert link.id is not None
    return NotCustomer(link.id, int(getattr(result, "rowcount", 0) or 0))


# -- promises --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpMade:
    touch_id: int
    customer_id: int
    customer_name: str
    step: str
    due_at: datetime
    has_time: bool
    already: bool  # made by an earlier tap


def follow_up_from_message(
    session: Session, actor: Actor, message_row_id: int, *, now: datetime
) -> FollowUpMade:
    """The follow-up promised in the rep's own kept message, due when the message said (read
    when it was written, in the rep's zone); a second tap makes none."""
    kept = session.get(BusinessMessage, message_row_id)
    if kept is None or kept.rep_id != actor.user_id or kept.from_contact:
        raise NotFound()
    customer = session.exec(
        select(Customer).where(Customer.id == kept.customer_id, customers_visible_to(actor))
    ).first()
    if customer is None or customer.id is None:
        raise NotFound()
    promise = find_promise(kept.text, now=kept.sent_at, zone=actor.timezone)
    if promise is None:
        raise NoPromise()
    due_at, has_time = promise.when.instant(actor.timezone), promise.when.time is not None
    if kept.follow_up_touch_id is not None:
        return FollowUpMade(
            kept.follow_up_touch_id,
            customer.id,
            customer.name,
            promise.step,
            due_at,
            has_time,
            True,
        )
    if follow_up_in_past(due_at, has_time=has_time, now=now, zone=actor.timezone):
        raise NoPromise()
    touch = log_touch(
        session,
        actor,
        TouchDraft(
            customer_id=customer.id,
            kind=TouchKind.MESSAGE,
            notes=kept.text[:2000],
            next_step=promise.step,
            follow_up_at=due_at,
            follow_up_has_time=has_time,
        ),
        now=now,
    )
    assert touch.id is not None
    kept.follow_up_touch_id = touch.id
    return FollowUpMade(touch.id, customer.id, customer.name, promise.step, due_at, has_time, False)


# -- the timeline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptMessage:
    at: datetime
    from_contact: bool
    author_name: str
    text: str
    file_kind: str | None
    edited: bool


def kept_messages(session: Session, customer_id: int, limit: int) -> list[KeptMessage]:
    """A visible customer's newest kept chat messages (the caller checked visibility)."""
    rows = session.exec(
        select(BusinessMessage, Contact, User)
        .join(Contact, col(BusinessMessage.contact_id) == col(Contact.id))
        .join(User, col(BusinessMessage.rep_id) == col(User.id))
        .where(BusinessMessage.customer_id == customer_id)
        .order_by(col(BusinessMessage.sent_at).desc(), col(BusinessMessage.id).desc())
        .limit(limit)
    ).all()
    return [
        KeptMessage(
            at=kept.sent_at,
            from_contact=kept.from_contact,
            author_name=contact.name if kept.from_contact else rep.full_name,
            text=kept.text,
            file_kind=kept.file_kind,
            edited=kept.edited_at is not None,
        )
        for kept, contact, rep in rows
    ]
