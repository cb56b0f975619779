"""A rep's own customer chats (Telegram Business): the rep's connection of the bot to their
account, what each chat partner is (a customer contact, or not a customer), and the messages
kept on the customer's timeline. Nothing of a chat that is not linked to a contact is kept."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class BusinessConnection(SQLModel, table=True):
    """The bot connected to a person's Telegram Business account (one row per connection id
    Telegram gave). Whether its messages are kept is decided at each message: the connection
    is enabled and its owner is an active rep or manager at that moment."""

    __tablename__ = "business_connection"

    id: str = Field(primary_key=True, max_length=128)
    telegram_user_id: int = Field(sa_type=sa.BigInteger, index=True)
    user_chat_id: int = Field(sa_type=sa.BigInteger)
    # The person it belonged to when it was connected (None: nobody the bot knows).
    user_id: int | None = Field(default=None, foreign_key="user.id")
    is_enabled: bool = Field(default=False)
    can_reply: bool = Field(default=False)
    connected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    disconnected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChatLinkState(StrEnum):
    ASKED = "asked"  # the rep was asked once and has not answered: nothing is kept
    LINKED = "linked"  # a customer contact: messages from ``linked_at`` on are kept
    NOT_CUSTOMER = "not_customer"  # never kept, never asked again


class BusinessChat(SQLModel, table=True):
    """One chat partner of a rep's business account and what the rep said it is."""

    __tablename__ = "business_chat"
    __table_args__ = (sa.UniqueConstraint("user_id", "chat_id", name="uq_business_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    chat_id: int = Field(sa_type=sa.BigInteger)
    state: str = Field(max_length=16)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    # The partner's name as Telegram showed it, for the question and its best guesses; cleared
    # when the rep answers "not a customer".
    partner_name: str | None = Field(default=None, max_length=200)
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    linked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BusinessMessage(SQLModel, table=True):
    """A message of a linked chat, kept on the customer's timeline: who wrote it (the rep or the
    contact), its text or caption, and a file by its Telegram file id. One row per Telegram
    message: an edit changes it, the same message twice is kept once."""

    __tablename__ = "business_message"
    __table_args__ = (
        sa.UniqueConstraint("chat_link_id", "telegram_message_id", name="uq_business_message"),
        # The customer's timeline, newest first.
        sa.Index("ix_business_message_customer_sent", "customer_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_link_id: int = Field(foreign_key="business_chat.id")
    telegram_message_id: int = Field(sa_type=sa.BigInteger)
    customer_id: int = Field(foreign_key="customer.id")
    contact_id: int = Field(foreign_key="contact.id")
    rep_id: int = Field(foreign_key="user.id")
    from_contact: bool
    text: str = Field(default="", sa_type=sa.Text)
    file_kind: str | None = Field(default=None, max_length=16)
    file_id: str | None = Field(default=None, max_length=256)
    file_name: str | None = Field(default=None, max_length=256)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The follow-up made from a promise in this message (one tap, once).
    follow_up_touch_id: int | None = Field(default=None, foreign_key="touch.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
