"""``python main.py backup FILE`` and ``python main.py restore FILE``.

On SQLite a backup is SQLite's online backup API: a consistent copy taken page by page while
the bot goes on working (the copy is the database as of one moment, whatever commits during it).
It is written beside FILE and renamed into place once checked, so a FILE that exists is always a
whole backup. A restore first checks the copy: that it is a SQLite database that passes
``PRAGMA integrity_check`` and holds a schema this code knows (not one from a newer salesbot),
that no bot is running on the database, and keeps the current database beside it (``….db.
before-restore-<time>``) before copying the backup over it. A restored schema older than the
code's is brought up to date when the bot next starts.

On PostgreSQL both explain how to use ``pg_dump`` and ``pg_restore``, which do it properly."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from bot.db import newest_numbered_migration

try:  # POSIX; elsewhere nothing can tell whether the bot runs
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """Why a backup or restore was not done; the message is for the operator as it is."""


@dataclass(frozen=True)
class Copied:
    source: Path
    target: Path
    revision: str | None
    size: int
    kept: Path | None = None  # the database as it was before a restore


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database (or an in-memory one)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def postgres_advice(database_url: str, restoring: bool) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    shown = url.render_as_string(hide_password=True)
    if restoring:
        return (
            "on PostgreSQL, restore with pg_restore while the bot is stopped: "
            f"pg_restore --clean --if-exists --dbname '{shown}' FILE; "
            "the bot upgrades an older schema when it starts"
        )
    return (
        "on PostgreSQL, back up with pg_dump (consistent while the bot runs): "
        f"pg_dump --format=custom --file FILE '{shown}'"
    )


@contextlib.contextmanager
def running_lock(database_url: str) -> Iterator[None]:
    """Held by a running bot on a SQLite database, so a restore can tell it must wait."""
    path = sqlite_path(database_url)
    if path is None or fcntl is None:
        yield
        return
    with Path(f"{path}.running.lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        yield


def _bot_running(path: Path) -> bool:
    if fcntl is None:
        return False
    lock = Path(f"{path}.running.lock")
    if not lock.exists():
        return False
    handle: IO[str]
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def _check(path: Path) -> str | None:
    """The schema revision of the SQLite database at ``path`` once it proved whole; BackupError
    when it is not a SQLite database, is damaged, or is newer than this code."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a salesbot backup (not a SQLite database)")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()
        if not verdict or verdict[0] != "ok":
            raise BackupError(f"{path} is damaged: {verdict[0] if verdict else 'unreadable'}")
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.DatabaseError:
            raise BackupError(f"{path} is not a salesbot backup (no schema version)") from None
    finally:
        connection.close()
    revision = str(rows[0][0]) if len(rows) == 1 else None
    newest = newest_numbered_migration()
    if revision is None or not revision.isdigit():
        raise BackupError(f"{path} is not a salesbot backup (schema version {revision!r})")
    if newest is not None and revision > newest:
        raise BackupError(
            f"{path} was made by a newer salesbot (schema {revision}; this one knows up to "
            f"{newest}): upgrade salesbot first"
        )
    return revision


def _copy(source: Path, target: Path) -> None:
    """A consistent page-by-page copy of the database ``source`` into ``target``."""
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        destination = sqlite3.connect(target, timeout=30)
        try:
            origin.backup(destination)
        finally:
            destination.close()
    finally:
        origin.close()


def backup(database_url: str, target: Path) -> Copied:
    """Copy the running database to ``target`` (a new file)."""
    path = sqlite_path(database_url)
    if path is None:
        raise BackupError(postgres_advice(database_url, restoring=False))
    if not path.exists():
        raise BackupError(f"there is no database at {path} to back up")
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(path, partial)
        revision = _check(partial)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(path, target, revision, target.stat().st_size)


def restore(database_url: str, source: Path, *, now: datetime) -> Copied:
    """Replace the database with the backup ``source``, keeping the current one beside it."""
    path = sqlite_path(database_url)
    if path is None:
        raise BackupError(postgres_advice(database_url, restoring=True))
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    revision = _check(source)
    if _bot_running(path):
        raise BackupError(f"salesbot is running on {path}: stop it, then restore")
    kept = None
    if path.exists():
        kept = path.with_name(f"{path.name}.before-restore-{now:%Y%m%d-%H%M%S}")
        _copy(path, kept)
    _copy(source, path)
    return Copied(source, path, revision, path.stat().st_size, kept)
