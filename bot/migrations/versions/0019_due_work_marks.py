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


# The open deals' totals per owner, stage and currency, kept by the database itself (every
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
POSTGRESQL_TRIGGERS = (
    """
    CREATE FUNCTION deal_total_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE deal_total SET
                deals = deals - 1,
                cents = cents - ROUND(OLD.amount * 100)::bigint,
                weighted_cents = weighted_cents
                    - (ROUND(OLD.amount * 100)::bigint * OLD.probability + 50) / 100
            WHERE owner_id = OLD.owner_id AND stage_key = OLD.stage_key
                AND currency = OLD.currency;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO deal_total (owner_id, stage_key, currency, deals, cents, weighted_cents)
            VALUES (NEW.owner_id, NEW.stage_key, NEW.currency, 1,
                    ROUND(NEW.amount * 100)::bigint,
                    (ROUND(NEW.amount * 100)::bigint * NEW.probability + 50) / 100)
            ON CONFLICT (owner_id, stage_key, currency) DO UPDATE SET
                deals = deal_total.deals + EXCLUDED.deals,
                cents = deal_total.cents + EXCLUDED.cents,
                weighted_cents = deal_total.weighted_cents + EXCLUDED.weighted_cents;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER deal_total_keep
    AFTER INSERT OR DELETE OR UPDATE OF owner_id, stage_key, currency, amount, probability
    ON deal FOR EACH ROW EXECUTE FUNCTION deal_total_keep()
    """,
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER deal_total_keep ON deal")
        op.execute("DROP FUNCTION deal_total_keep()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER deal_total_{name}")
    op.drop_table("deal_total")
    op.drop_table("producer_mark")
