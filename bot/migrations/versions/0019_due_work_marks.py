"""Due work, third part: how far each reminder producer has looked, and the deals' totals

``producer_mark`` holds, per producer, the instant its last tick covered (everything due up to
then is in the outbox) and when it last looked at the whole catch-up window. A tick then reads
only what fell due since the one before (``bot.reminders.scheduler``).

``deal_total`` holds the count and the sums of the deals per owner, stage and currency, kept in
step by triggers, so a funnel (the digest's) reads a few hundred rows, not every open deal.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The deals' totals per owner, stage and currency, kept by the database itself (every
# INSERT, UPDATE and DELETE of a deal, through the ORM or not), so a funnel sums a few hundred
# rows instead of every open deal. Money in whole cents; weighted by the deal's probability, each
# deal's weighted cents rounded half up in integers (no floating point on SQLite).
SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER deal_total_insert AFTER INSERT ON deal BEGIN
        INSERT INTO deal_total (owner_id, stage_key, currency, deals, cents, weighted_cents)
        VALUES (NEW.owner_id, NEW.stage_key, NEW.currency, 1,
                CAST(ROUND(NEW.amount * 100) AS INTEGER),
                (CAST(ROUND(NEW.amount * 100) AS INTEGER) * NEW.probability + 50) / 100)
        ON CONFLICT (owner_id, stage_key, currency) DO UPDATE SET
            deals = deals + excluded.deals,
            cents = cents + excluded.cents,
            weighted_cents = weighted_cents + excluded.weighted_cents;
    END
    """,
    """
    CREATE TRIGGER deal_total_delete AFTER DELETE ON deal BEGIN
        UPDATE deal_total SET
            deals = deals - 1,
            cents = cents - CAST(ROUND(OLD.amount * 100) AS INTEGER),
            weighted_cents = weighted_cents
                - (CAST(ROUND(OLD.amount * 100) AS INTEGER) * OLD.probability + 50) / 100
        WHERE owner_id = OLD.owner_id AND stage_key = OLD.stage_key AND currency = OLD.currency;
    END
    """,
    """
    CREATE TRIGGER deal_total_update
    AFTER UPDATE OF owner_id, stage_key, currency, amount, probability ON deal BEGIN
        UPDATE deal_total SET
            deals = deals - 1,
            cents = cents - CAST(ROUND(OLD.amount * 100) AS INTEGER),
            weighted_cents = weighted_cents
                - (CAST(ROUND(OLD.amount * 100) AS INTEGER) * OLD.probability + 50) / 100
        WHERE owner_id = OLD.owner_id AND stage_key = OLD.stage_key AND currency = OLD.currency;
        INSERT INTO deal_total (owner_id, stage_key, currency, deals, cents, weighted_cents)
        VALUES (NEW.owner_id, NEW.stage_key, NEW.currency, 1,
                CAST(ROUND(NEW.amount * 100) AS INTEGER),
                (CAST(ROUND(NEW.amount * 100) AS INTEGER) * NEW.probability + 50) / 100)
        ON CONFLICT (owner_id, stage_key, currency) DO UPDATE SET
            deals = deals + excluded.deals,
            cents = cents + excluded.cents,
            weighted_cents = weighted_cents + excluded.weighted_cents;
    END
    """,
)
# On PostgreSQL once per statement, from its transition tables: a bulk INSERT, UPDATE or DELETE
# of thousands of deals changes each total once, not once per deal.
_SUMS = """COUNT(*) AS deals,
           SUM(ROUND({t}.amount * 100)::bigint) AS cents,
           SUM((ROUND({t}.amount * 100)::bigint * {t}.probability + 50) / 100) AS weighted"""
_CHANGED = """o.id = n.id AND (o.owner_id, o.stage_key, o.currency, o.amount, o.probability)
        IS DISTINCT FROM (n.owner_id, n.stage_key, n.currency, n.amount, n.probability)"""
_ADD = """
    INSERT INTO deal_total (owner_id, stage_key, currency, deals, cents, weighted_cents)
    SELECT n.owner_id, n.stage_key, n.currency, {sums} FROM {source}
    GROUP BY n.owner_id, n.stage_key, n.currency
    ON CONFLICT (owner_id, stage_key, currency) DO UPDATE SET
        deals = deal_total.deals + EXCLUDED.deals,
        cents = deal_total.cents + EXCLUDED.cents,
        weighted_cents = deal_total.weighted_cents + EXCLUDED.weighted_cents;
"""
_REMOVE = """
    UPDATE deal_total AS t SET
        deals = t.deals - g.deals,
        cents = t.cents - g.cents,
        weighted_cents = t.weighted_cents - g.weighted
    FROM (SELECT o.owner_id, o.stage_key, o.currency, {sums} FROM {source}
          GROUP BY o.owner_id, o.stage_key, o.currency) AS g
    WHERE t.owner_id = g.owner_id AND t.stage_key = g.stage_key AND t.currency = g.currency;
"""


def _function(name: str, body: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}\n    RETURN NULL;\nEND\n$$"
    )


POSTGRESQL_TRIGGERS = (
    _function("deal_total_added", _ADD.format(sums=_SUMS.format(t="n"), source="new_rows AS n")),
    _function(
        "deal_total_removed", _REMOVE.format(sums=_SUMS.format(t="o"), source="old_rows AS o")
    ),
    _function(
        "deal_total_changed",
        _REMOVE.format(
            sums=_SUMS.format(t="o"),
            source=f"old_rows AS o JOIN new_rows AS n ON {_CHANGED}",
        )
        + _ADD.format(
            sums=_SUMS.format(t="n"),
            source=f"new_rows AS n JOIN old_rows AS o ON {_CHANGED}",
        ),
    ),
    """CREATE TRIGGER deal_total_insert AFTER INSERT ON deal
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deal_total_added()""",
    """CREATE TRIGGER deal_total_delete AFTER DELETE ON deal
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION deal_total_removed()""",
    """CREATE TRIGGER deal_total_update AFTER UPDATE ON deal
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION deal_total_changed()""",
)
BACKFILL = """
    INSERT INTO deal_total (owner_id, stage_key, currency, deals, cents, weighted_cents)
    SELECT owner_id, stage_key, currency, COUNT(*),
           SUM(CAST(ROUND(amount * 100) AS BIGINT)),
           SUM((CAST(ROUND(amount * 100) AS BIGINT) * probability + 50) / 100)
    FROM deal GROUP BY owner_id, stage_key, currency
"""


def upgrade() -> None:
    op.create_table(
        "producer_mark",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("covered_until", UTCDateTime(), nullable=False),
        sa.Column("swept_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "deal_total",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("cents", sa.BigInteger(), nullable=False),
        sa.Column("weighted_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "stage_key", "currency"),
    )
    op.execute(BACKFILL)
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER deal_total_{name}" + (" ON deal" if postgres else ""))
    if postgres:
        for name in ("added", "removed", "changed"):
            op.execute(f"DROP FUNCTION deal_total_{name}()")
    op.drop_table("deal_total")
    op.drop_table("producer_mark")
