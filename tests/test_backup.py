"""``python main.py backup FILE`` and ``restore FILE`` (issue 15): a backup taken while the real
bot runs, restored after later changes, brings back exactly the backed-up state and keeps the
database it replaced; a restore refuses while the bot runs, a file that is not a backup, and a
backup from a newer schema. These are SQLite's; on PostgreSQL both explain pg_dump."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlmodel import select

from bot.db import Database, newest_numbered_migration
from bot.emulator import BotAPIEmulator
from models import Team, User
from tests.test_process import ADMIN, run_main, running_bot


def _people(url: str) -> list[str]:
    database = Database(url)
    with database.session() as session:
        names = sorted(user.full_name for user in session.exec(select(User)))
    database.dispose()
    return names


def _kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("salesbot.db.before-restore-*"))


async def test_a_backup_taken_while_the_bot_runs_restores_that_state(
    tmp_path: Path, emulator: BotAPIEmulator
) -> None:
    url = f"sqlite:///{tmp_path / 'salesbot.db'}"
    backup_file = tmp_path / "backup.db"
    admin = emulator.user(ADMIN, "Alice", last_name="Admin")
    async with running_bot(tmp_path, emulator, url):
        await admin.send("/start")
        await admin.wait_for_messages(1)
        code, out, err = run_main(tmp_path, "backup", str(backup_file), DATABASE_URL=url)
        assert (code, err) == (0, ""), err
        assert out.startswith(f"salesbot: backed up {tmp_path / 'salesbot.db'} to {backup_file}")
        assert f"(schema {newest_numbered_migration()}," in out

        code, out, err = run_main(tmp_path, "restore", str(backup_file), DATABASE_URL=url)
        assert code == 1 and "salesbot is running on" in err and "stop it, then restore" in err

        # Telegram's updates go on while the backup exists: a second person after it.
        await admin.send("/help")
        await admin.wait_for_messages(2)
        code, out, err = run_main(tmp_path, "backup", str(backup_file), DATABASE_URL=url)
        assert code == 1 and "already exists: choose a new file name" in err

    database = Database(url)
    with database.session() as session:
        session.add(Team(name="Added after the backup"))
        admin_row = session.exec(select(User)).one()
        admin_row.full_name = "Changed after the backup"
    database.dispose()

    code, out, err = run_main(tmp_path, "restore", str(backup_file), DATABASE_URL=url)
    assert code == 0, err
    kept = _kept(tmp_path)
    assert len(kept) == 1 and f"kept in {kept[0]}" in out
    assert _people(url) == ["Alice Admin"]
    database = Database(url)
    with database.session() as session:
        assert session.exec(select(Team)).all() == []
    database.dispose()
    # The database it replaced is whole and has the later changes: the restore can be undone.
    assert _people(f"sqlite:///{kept[0]}") == ["Changed after the backup"]


def test_a_restore_refuses_what_is_not_a_backup_of_this_salesbot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'salesbot.db'}"
    Database(url).upgrade()
    good = tmp_path / "good.db"
    assert run_main(tmp_path, "backup", str(good), DATABASE_URL=url)[0] == 0

    newer = tmp_path / "newer.db"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    text_file = tmp_path / "notes.db"
    text_file.write_text("not a database\n")
    for file, reason in (
        (newer, "was made by a newer salesbot (schema 9999"),
        (text_file, "is not a salesbot backup (not a SQLite database)"),
        (tmp_path / "missing.db", "there is no backup at"),
    ):
        code, out, err = run_main(tmp_path, "restore", str(file), DATABASE_URL=url)
        assert (code, out) == (1, ""), file
        assert reason in err and err.count("\n") == 1, err
    assert _kept(tmp_path) == []

    code, _, err = run_main(tmp_path, "backup", DATABASE_URL=url)
    assert code == 2 and "backup needs a file: python main.py backup FILE" in err


def test_on_postgresql_backup_and_restore_explain_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+psycopg://sales:secret@db.example:5432/salesbot"
    code, _, err = run_main(tmp_path, "backup", "dump.pgc", DATABASE_URL=url)
    assert code == 2 and "pg_dump --format=custom --file FILE" in err
    assert "secret" not in err and "postgresql://sales:***@db.example:5432/salesbot" in err
    code, _, err = run_main(tmp_path, "restore", "dump.pgc", DATABASE_URL=url)
    assert code == 2 and "pg_restore --clean --if-exists" in err
