"""Customer contacts on Telegram: the one-time link a rep hands out, consent to messages and
/stop, and what a linked contact may see — only their own company's orders, nothing internal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from bot.services.codes import new_code, stored_form
from bot.services.errors import NotFound, ServiceError
from bot.services.orders import OrderView, customer_orders
from bot.services.people import Actor
from bot.services.visibility import refuse_read_only, visible_customer
from models import Contact, ContactLink, ContactQuestion, Customer, User

LINK_VALIDITY = timedelta(days=7)


@dataclass(frozen=True)
class ContactPerson:
    """A linked customer contact as the services see them."""

    contact_id: int
    customer_id: int
    customer_name: str
    name: str
    opted_in: bool
    telegram_chat_id: int | None
    owner_telegram_id: int
    owner_name: str
    language: str | None = None  # the contact's own ("en", "zh"); None: not known yet
    owner_language: str | None = None


@dataclass(frozen=True)
class ContactLine:
    contact_id: int
    name: str
    linked: bool


class ContactLinkInvalid(ServiceError):
    template = "contacts/link_invalid"


def contacts_of(session: Session, actor: Actor, customer_id: int) -> list[ContactLine]:
    visible_customer(session, actor, customer_id)
    return [
        ContactLine(contact.id or 0, contact.name, contact.telegram_chat_id is not None)
        for contact in session.exec(
            select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id))
        )
    ]


def create_link(
    session: Session, actor: Actor, contact_id: int, *, now: datetime
) -> tuple[str, str]:
    """A one-time code (valid seven days) for the contact; returns (code, contact name)."""
    refuse_read_only(actor)
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound()
    visible_customer(session, actor, contact.customer_id)
    code = new_code("c_", 12)
    session.add(
        ContactLink(
            code=stored_form(code),
            contact_id=contact_id,
            created_by_id=actor.user_id,
            created_at=now,
            expires_at=now + LINK_VALIDITY,
        )
    )
    session.flush()
    return code, contact.name


def _person(session: Session, contact: Contact) -> ContactPerson:
    customer = session.get(Customer, contact.customer_id)
    assert customer is not None
    owner = session.get(User, customer.owner_id)
    assert owner is not None
    return ContactPerson(
        contact_id=contact.id or 0,
        customer_id=customer.id or 0,
        customer_name=customer.name,
        name=contact.name,
        opted_in=contact.opted_in,
        telegram_chat_id=contact.telegram_chat_id,
        owner_telegram_id=owner.telegram_id,
        owner_name=owner.full_name,
        language=contact.language,
        owner_language=owner.language,
    )


def redeem_link(
    session: Session, code: str, telegram_id: int, *, language: str | None = None, now: datetime
) -> ContactPerson:
    """Connect the person opening the link to the contact (single use, conditional update).
    ``language`` (from their Telegram app) becomes the contact's unless the rep set one."""
    if session.exec(select(User).where(User.telegram_id == telegram_id)).first() is not None:
        raise ContactLinkInvalid(reason="staff")
    link = session.exec(select(ContactLink).where(ContactLink.code == stored_form(code))).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise ContactLinkInvalid(reason="expired" if link and link.expires_at <= now else "used")
    claimed = session.execute(
        update(ContactLink)
        .where(col(ContactLink.id) == link.id, col(ContactLink.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ContactLinkInvalid(reason="used")
    for other in session.exec(select(Contact).where(Contact.telegram_chat_id == telegram_id)):
        other.telegram_chat_id = None  # one chat speaks for one contact
    session.flush()
    contact = session.get(Contact, link.contact_id)
    assert contact is not None
    contact.telegram_chat_id, contact.updated_at = telegram_id, now
    if contact.language is None and language is not None:
        contact.language = language
    session.flush()
    return _person(session, contact)


def contact_for_rep(session: Session, actor: Actor, contact_id: int) -> ContactPerson:
    """A contact whose customer the person may see (to answer their question)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound()
    visible_customer(session, actor, contact.customer_id)
    return _person(session, contact)


def chat_of(person: ContactPerson) -> int:
    """The contact's chat; NotFound if they have not linked (or unlinked) Telegram."""
    if person.telegram_chat_id is None:
        raise NotFound()
    return person.telegram_chat_id


def contact_by_chat(session: Session, telegram_id: int) -> ContactPerson | None:
    """The contact writing from this chat; writing shows they have not blocked the bot."""
    contact = session.exec(select(Contact).where(Contact.telegram_chat_id == telegram_id)).first()
    if contact is not None and contact.unreachable_at is not None:
        contact.unreachable_at = None
        session.flush()
    return _person(session, contact) if contact else None


def set_opt_in(
    session: Session, contact_id: int, opted_in: bool, *, now: datetime
) -> ContactPerson:
    """Consent to messages, or /stop: takes effect at once."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound()
    contact.opted_in, contact.updated_at = opted_in, now
    session.flush()
    return _person(session, contact)


def orders_for_contact(session: Session, person: ContactPerson, *, today: date) -> list[OrderView]:
    """The contact's own company's orders, and only those."""
    return customer_orders(session, person.customer_id, today=today)


QUESTION_LENGTH = 4000


def ask_question(session: Session, person: ContactPerson, text: str, *, now: datetime) -> None:
    """Keep a contact's question, open until someone of the company answers them (the caller
    forwards it to the customer's owner)."""
    session.add(
        ContactQuestion(contact_id=person.contact_id, text=text[:QUESTION_LENGTH], asked_at=now)
    )
    session.flush()


def questions_answered(session: Session, actor: Actor, contact_id: int, *, now: datetime) -> None:
    """The person answered the contact: their open questions are answered."""
    session.execute(
        update(ContactQuestion)
        .where(col(ContactQuestion.contact_id) == contact_id, open_question())
        .values(answered_at=now, answered_by_id=actor.user_id)
    )


def open_question() -> ColumnElement[bool]:
    return col(ContactQuestion.answered_at).is_(None)
