"""Which deployment a dispatcher belongs to, so that a restarted process takes back at once the
outbox rows its previous run had claimed (instead of waiting for their lease to end).

The instance id is INSTANCE_ID, or derived from the host name and the database: the same after a
restart of the same deployment. Taking rows back at once is safe only while no other *running*
process uses the same id, so the dispatcher first takes the id's lock: a PostgreSQL advisory lock
on a connection of its own (released the moment the process dies), or on SQLite a file lock next
to the database. A process that finds the id taken works under a temporary id of its own and
leaves the other process's rows alone (two processes on one machine should set INSTANCE_ID).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import socket
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from sqlalchemy.engine import make_url

from bot.leader import is_postgres, libpq_url, lock_key

if TYPE_CHECKING:  # psycopg is loaded only where the database is PostgreSQL
    import psycopg

try:  # POSIX; elsewhere a SQLite deployment runs one process and takes no lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("salesbot.outbox")


def default_instance_id(database_url: str) -> str:
    """The host name and a short hash of the database: stable across restarts (≤ 40 chars)."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:8]
    return f"{socket.gethostname()[:31]}-{digest}"


class InstanceLock(Protocol):
    def release(self) -> None: ...


class _PostgresLock:
    def __init__(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        self._connection = connection

    def release(self) -> None:
        import psycopg

        with contextlib.suppress(psycopg.Error, OSError):
            self._connection.close()  # the advisory lock goes with its connection


class _FileLock:
    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def release(self) -> None:
        self._handle.close()  # closing the file releases its flock


class _NoLock:
    def release(self) -> None:
        return None


def lock_instance(database_url: str, instance: str) -> InstanceLock | None:
    """Hold ``instance``'s lock until ``release()``; None if another running process has it."""
    if is_postgres(database_url):
        import psycopg

        connection = psycopg.connect(libpq_url(database_url), autocommit=True)
        try:
            row = connection.execute("SELECT current_schema()").fetchone()
            key = lock_key(f"salesbot-instance:{instance}:{row[0] if row else ''}")
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        except BaseException:
            connection.close()
            raise
        if row and row[0]:
            return _PostgresLock(connection)
        connection.close()
        return None
    path = make_url(database_url).database
    if fcntl is None or not path or path == ":memory:":
        return _NoLock()
    digest = hashlib.sha256(instance.encode()).hexdigest()[:12]
    handle = Path(f"{path}.instance-{digest}.lock").open("a")  # noqa: SIM115 (held open)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return _FileLock(handle)
