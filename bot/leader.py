"""Which process is the active one: on PostgreSQL, whoever holds an advisory lock; the others
are hot standbys that retry it every second. On SQLite there is one process, always the leader.

The lock lives on a connection of its own (not from the pool): PostgreSQL releases it the moment
that connection drops, so a killed leader's lock is free at once (a leader cut off by the network
loses it once the server's TCP keepalive gives up, about LEADER_LEASE_SECONDS + 3 s). The leader
checks its connection every LEADER_LEASE_SECONDS / 2 and, when it is gone or does not answer in
time, reports the leadership lost: the process stops at once so that no two processes poll.

Which updates, conversations and outbox rows there are is never kept here: a new leader reads
them all from the database (and Telegram re-delivers what the dead one did not acknowledge).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from bot.metrics import IS_LEADER

if TYPE_CHECKING:  # psycopg is loaded only where the database is PostgreSQL
    import psycopg

logger = logging.getLogger("salesbot.leader")

RETRY_SECONDS = 1.0


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (psycopg) takes it: ``postgresql://…``, query kept."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def lock_key(scope: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``scope`` (the bot and the schema)."""
    return int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)


class Leadership:
    """The leadership of one bot (``bot_id``) over one database (its schema).

    ``acquire()`` waits until this process leads (or ``stop`` is set); ``lost`` is set when the
    lock's connection is gone. ``role`` is "leader" or "standby" for /healthz.
    """

    def __init__(
        self, database_url: str, *, bot_id: str, lease_seconds: int, instance_id: str
    ) -> None:
        self.url = database_url
        self.bot_id = bot_id
        self.lease_seconds = lease_seconds
        self.instance_id = instance_id
        self.shared = is_postgres(database_url)  # SQLite: one process, always the leader
        self.is_leader = False
        self.lost = asyncio.Event()
        self._connection: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._watch: asyncio.Task[None] | None = None
        IS_LEADER.set(0)

    @property
    def role(self) -> str:
        return "leader" if self.is_leader else "standby"

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this process holds the leadership (True) or ``stop`` is set (False)."""
        if not self.shared:
            self._became_leader()
            return True
        import psycopg

        announced = False
        while not stop.is_set():
            try:
                if await self._try_lock():
                    self._became_leader()
                    self._watch = asyncio.create_task(self._keep(), name="salesbot-leadership")
                    return True
            except (psycopg.Error, OSError) as error:
                logger.warning("leadership: cannot reach the database: %s", error)
                await self._drop_connection()
            if not announced:
                logger.info(
                    "salesbot standby (instance %s): another process leads; waiting to take over",
                    self.instance_id,
                )
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
        return False

    async def close(self) -> None:
        """Give the leadership up (closing the connection releases the lock)."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._drop_connection()
        self.is_leader = False
        IS_LEADER.set(0)

    def _became_leader(self) -> None:
        self.is_leader = True
        IS_LEADER.set(1)
        logger.info("leadership taken by instance %s", self.instance_id)

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        import psycopg

        if self._connection is None or self._connection.closed:
            connection = await psycopg.AsyncConnection.connect(
                libpq_url(self.url),
                autocommit=True,
                connect_timeout=max(2, self.lease_seconds // 2),
                application_name=f"salesbot-leader:{self.instance_id}"[:63],
            )
            # The server notices a leader cut off by the network after about lease + 3 s (a
            # killed process's connection closes at once); no effect on a Unix socket.
            await connection.execute(f"SET tcp_keepalives_idle = {self.lease_seconds}")
            await connection.execute("SET tcp_keepalives_interval = 1")
            await connection.execute("SET tcp_keepalives_count = 3")
            self._connection = connection
        return self._connection

    async def _try_lock(self) -> bool:
        connection = await self._connect()
        cursor = await connection.execute("SELECT current_schema()")
        row = await cursor.fetchone()
        key = lock_key(f"salesbot-leader:{self.bot_id}:{row[0] if row else ''}")
        cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def _keep(self) -> None:
        """Check the lock's connection every lease / 2; set ``lost`` when it fails."""
        import psycopg

        interval = self.lease_seconds / 2
        try:
            while True:
                await asyncio.sleep(interval)
                assert self._connection is not None
                await asyncio.wait_for(self._connection.execute("SELECT 1"), interval)
        except (psycopg.Error, OSError, TimeoutError, AssertionError) as error:
            logger.error(
                "salesbot: lost the leadership (instance %s): the lock's database connection "
                "failed: %s",
                self.instance_id,
                error or type(error).__name__,
            )
            self.is_leader = False
            IS_LEADER.set(0)
            self.lost.set()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.closed:
            import psycopg

            with contextlib.suppress(psycopg.Error, OSError):
                await connection.close()


@contextlib.contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock while migrating, so processes started together do not
    run the same migration at once (no-op on SQLite)."""
    if not is_postgres(database_url):
        yield
        return
    import psycopg

    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        schema_row = connection.execute("SELECT current_schema()").fetchone()
        key = lock_key(f"salesbot-migrate:{schema_row[0] if schema_row else ''}")
        connection.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
