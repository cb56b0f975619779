"""Change history: every create, change and delete of the business records (issue 14).

``change_history`` takes over from ``record_change`` (issue 11's customer and contact edits),
whose rows are copied over: a customer's edit stays the customer's, a contact's edit the
contact's (under its customer), and "contact added" becomes the contact's creation. Then
``record_change`` is dropped. No other table changes (on SQLite, ``customer`` must not be
rebuilt: that would drop the search triggers of 0014).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28 15:40:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTACT_ADDED = "contact_added"


def _history_table() -> sa.Table:
    return op.create_table(
        "change_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("parent_kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("parent_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _moved(row: Any) -> dict[str, Any]:
    """A ``record_change`` row as a ``change_history`` row."""
    added = row.field == CONTACT_ADDED
    of_contact = row.contact_id is not None
    return {
        "record_kind": "contact" if of_contact else "customer",
        "record_id": str(row.contact_id if of_contact else row.customer_id),
        "parent_kind": "customer" if of_contact else None,
        "parent_id": str(row.customer_id) if of_contact else None,
        "action": "create" if added else "update",
        "field": None if added else row.field,
        "old_value": None if added else row.old_value,
        "new_value": json.dumps({"name": row.new_value}, ensure_ascii=False)
        if added
        else row.new_value,
        "changed_by_id": row.changed_by_id,
        "changed_by_contact_id": row.changed_by_contact_id,
        "changed_at": row.changed_at,
    }


def upgrade() -> None:
    history = _history_table()
    op.create_index(
        "ix_change_history_record",
        "change_history",
        ["record_kind", "record_id", "changed_at"],
        unique=False,
    )
    op.create_index(
        "ix_change_history_parent",
        "change_history",
        ["parent_kind", "parent_id", "changed_at"],
        unique=False,
    )
    old = sa.table(
        "record_change",
        sa.column("id", sa.Integer()),
        sa.column("customer_id", sa.Integer()),
        sa.column("contact_id", sa.Integer()),
        sa.column("field", sa.String()),
        sa.column("old_value", sa.Text()),
        sa.column("new_value", sa.Text()),
        sa.column("changed_by_id", sa.Integer()),
        sa.column("changed_by_contact_id", sa.Integer()),
        sa.column("changed_at", models.base.UTCDateTime()),
    )
    rows = op.get_bind().execute(sa.select(old).order_by(old.c.id)).all()
    if rows:
        op.bulk_insert(history, [_moved(row) for row in rows])
    op.drop_index("ix_record_change_customer_id", table_name="record_change")
    op.drop_table("record_change")


def downgrade() -> None:
    """Back to ``record_change``: the customers' and contacts' rows that fit it are kept."""
    record_change = op.create_table(
        "record_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["changed_by_contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["changed_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_record_change_customer_id", "record_change", ["customer_id"], unique=False)
    history = sa.table(
        "change_history",
        *(sa.column(name) for name in ("id", "record_kind", "record_id", "parent_id", "action")),
        *(sa.column(name) for name in ("field", "old_value", "new_value", "changed_by_id")),
        sa.column("changed_by_contact_id"),
        sa.column("changed_at", models.base.UTCDateTime()),
    )
    bind = op.get_bind()
    customers = {row[0] for row in bind.execute(sa.text("SELECT id FROM customer"))}
    contacts = {row[0] for row in bind.execute(sa.text("SELECT id FROM contact"))}
    kept = []
    for row in bind.execute(
        sa.select(history)
        .where(history.c.record_kind.in_(("customer", "contact")))
        .order_by(history.c.id)
    ):
        of_contact = row.record_kind == "contact"
        customer_id = int(row.parent_id if of_contact else row.record_id)
        contact_id = int(row.record_id) if of_contact else None
        if customer_id not in customers or (of_contact and contact_id not in contacts):
            continue
        if row.action == "create" and of_contact:
            name = json.loads(row.new_value or "{}").get("name")
            field, old_value, new_value = CONTACT_ADDED, None, name
        elif row.action == "update" and row.field and len(row.field) <= 32:
            field, old_value, new_value = row.field, row.old_value, row.new_value
        else:
            continue
        kept.append(
            {
                "customer_id": customer_id,
                "contact_id": contact_id,
                "field": field,
                "old_value": old_value,
                "new_value": new_value,
                "changed_by_id": row.changed_by_id,
                "changed_by_contact_id": row.changed_by_contact_id,
                "changed_at": row.changed_at,
            }
        )
    if kept:
        op.bulk_insert(record_change, kept)
    op.drop_index("ix_change_history_parent", table_name="change_history")
    op.drop_index("ix_change_history_record", table_name="change_history")
    op.drop_table("change_history")
