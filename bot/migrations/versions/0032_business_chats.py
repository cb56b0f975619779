"""A rep's own customer chats on the timeline (issue 16, Telegram Business):
``business_connection`` (the bot connected to a person's business account),
``business_chat`` (what each chat partner is: a customer contact, or not a customer, asked once)
and ``business_message`` (the messages of linked chats, kept on the customer's timeline; one
row per Telegram message).

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-29 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_connection",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("can_reply", sa.Boolean(), nullable=False),
        sa.Column("connected_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("disconnected_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_business_connection_telegram_user_id", "business_connection", ["telegram_user_id"]
    )
    op.create_table(
        "business_chat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("partner_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("asked_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("linked_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "chat_id", name="uq_business_chat"),
    )
    op.create_index("ix_business_chat_contact_id", "business_chat", ["contact_id"])
    op.create_table(
        "business_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_link_id", sa.Integer(), nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("from_contact", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("file_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("sent_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("edited_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("follow_up_touch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["chat_link_id"], ["business_chat.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["follow_up_touch_id"], ["touch.id"]),
        sa.ForeignKeyConstraint(["rep_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_link_id", "telegram_message_id", name="uq_business_message"),
    )
    op.create_index(
        "ix_business_message_customer_sent", "business_message", ["customer_id", "sent_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_business_message_customer_sent", table_name="business_message")
    op.drop_table("business_message")
    op.drop_index("ix_business_chat_contact_id", table_name="business_chat")
    op.drop_table("business_chat")
    op.drop_index("ix_business_connection_telegram_user_id", table_name="business_connection")
    op.drop_table("business_connection")
