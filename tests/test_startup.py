"""Start-up stays quick with an up-to-date database: the schema check is one query, and the
heavy libraries for charts, PDFs and migrations are loaded only when they are needed."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import event

from bot.db import Database, alembic_config, newest_numbered_migration, upgrade_schema


def test_the_migration_files_name_the_head_revision(db: Database) -> None:
    head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    assert newest_numbered_migration() == head


def test_an_up_to_date_database_is_checked_with_one_query(db: Database) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert upgrade_schema(db.engine) == newest_numbered_migration()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements == ["SELECT version_num FROM alembic_version"]


HEAVY_LIBRARIES = {
    "matplotlib",
    "fpdf",
    "alembic",
    "openpyxl",
    "pypdf",
    "psycopg",
    "aiohttp",
    "pypinyin",
}
CONSOLE_ONLY = {"bot.console", "bot.demo", "bot.emulator"}


def test_the_bot_starts_without_loading_charts_pdfs_or_migrations() -> None:
    code = (
        "import sys, bot.app, bot.handlers, bot.runner, main\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert {name.split(".")[0] for name in loaded} & HEAVY_LIBRARIES == set()
    assert set(loaded) & CONSOLE_ONLY == set()
