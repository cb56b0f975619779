"""Start salesbot: ``python main.py`` (long polling with TELEGRAM_BOT_TOKEN),
``python main.py --webhook`` (Telegram posts updates to WEBHOOK_URL),
``python main.py --console`` (chat with it in the terminal, no token needed),
``python main.py --worker`` (only send scheduled messages, beside a running bot), or
``python main.py backup FILE`` / ``python main.py restore FILE`` (a copy of the database).

On PostgreSQL several bot processes may run the same command: one leads, the others wait as
hot standbys and take over when it dies (``bot.leader``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, TelegramError

from bot.app import Deps, build_application
from bot.backup import BackupError, backup, restore, running_lock
from bot.db import Database, describe_url
from bot.leader import Leadership, migration_lock
from bot.reminders.worker import run_worker
from bot.runner import Webhook, serve
from bot.services.people import LANGUAGES
from bot.settings import SettingsError, load_settings, require_token, require_webhook


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="salesbot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        choices=("backup", "restore"),
        help="backup: copy the database to FILE while the bot runs; restore: put FILE back "
        "(the bot stopped)",
    )
    parser.add_argument("file", nargs="?", type=Path, help="the backup file")
    parser.add_argument(
        "--console", action="store_true", help="chat with the bot in this terminal, no token"
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="only send scheduled messages (no polling): an extra process beside the bot",
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="take updates by Telegram's webhook at WEBHOOK_URL instead of polling",
    )
    parser.add_argument("--until-idle", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--as", dest="person", help="console: the demo person to be (admin, manager, rep1, …)"
    )
    parser.add_argument(
        "--demo-db",
        type=Path,
        default=Path("salesbot-demo.db"),
        help="console: the demo SQLite database file (default: salesbot-demo.db)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="console: its language (else the demo person's); zh on a new demo database "
        "seeds a Chinese demo company",
    )
    return parser.parse_args(argv)


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A refused token is reported by main() in one line; drop the library's traceback of it.
    logging.getLogger("telegram.ext").addFilter(_not_invalid_token)
    logging.getLogger("telegram.ext._utils.networkloop").addFilter(_not_invalid_token)


def _not_invalid_token(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


def _from_psycopg(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] == "psycopg"


def _fail(message: str, code: int) -> int:
    print(f"salesbot: {message}", file=sys.stderr)
    return code


def _backup_or_restore(command: str, file: Path | None, database_url: str) -> int:
    if file is None:
        return _fail(f"{command} needs a file: python main.py {command} FILE", 2)
    try:
        if command == "backup":
            done = backup(database_url, file)
            print(
                f"salesbot: backed up {done.source} to {done.target} "
                f"(schema {done.revision}, {done.size:,} bytes)"
            )
        else:
            done = restore(database_url, file, now=datetime.now(UTC))
            print(
                f"salesbot: restored {done.target} from {done.source} (schema {done.revision}); "
                f"the database as it was is kept in {done.kept}"
                if done.kept
                else f"salesbot: restored {done.target} from {done.source} (schema {done.revision})"
            )
    except BackupError as error:
        return _fail(str(error), 2 if "PostgreSQL" in str(error) else 1)
    except (OSError, sqlite3.Error) as error:
        return _fail(f"{command} failed: {error}", 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        return _fail(str(error), 2)
    if args.command:
        return _backup_or_restore(args.command, args.file, settings.database_url)
    if args.console:
        from bot.console import run_console  # the emulator and the demo: only for --console

        logging.basicConfig(level=logging.WARNING)
        return asyncio.run(
            run_console(
                settings, database_path=args.demo_db, person_key=args.person, language=args.lang
            )
        )
    if args.webhook and args.worker:
        return _fail("--webhook and --worker do not go together: a worker takes no updates", 2)
    webhook: Webhook | None = None
    try:
        token = require_token(settings)
        if args.webhook:
            webhook = Webhook(*require_webhook(settings))
    except SettingsError as error:
        return _fail(str(error), 2)
    _configure_logging()
    db = Database(settings.database_url)
    try:
        with migration_lock(settings.database_url):
            db.upgrade()
    except Exception as error:  # SQLAlchemy's, or psycopg's from the migration lock
        if not isinstance(error, SQLAlchemyError) and not _from_psycopg(error):
            raise
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        return _fail(f"cannot open the database {describe_url(settings.database_url)}: {reason}", 1)
    application = build_application(Deps(settings=settings, db=db), token=token)
    code = 0
    try:
        with running_lock(settings.database_url):  # a restore waits for the bot to stop
            if args.worker:
                asyncio.run(run_worker(application, until_idle=args.until_idle))
            else:
                leadership = Leadership(
                    settings.database_url,
                    bot_id=token.partition(":")[0],
                    lease_seconds=settings.leader_lease_seconds,
                    # Named in logs and in PostgreSQL's list of connections; the scheduled
                    # messages' claims use INSTANCE_ID or an id that survives a restart.
                    instance_id=settings.instance_id or f"{socket.gethostname()}:{os.getpid()}",
                )
                code = asyncio.run(serve(application, leadership, webhook=webhook))
    except InvalidToken:
        return _fail("TELEGRAM_BOT_TOKEN was refused by the Bot API: check the token", 2)
    except TelegramError as error:
        return _fail(f"cannot reach the Bot API at {settings.telegram_api_url}: {error}", 1)
    finally:
        db.dispose()
    if code:
        logging.getLogger("salesbot").error("salesbot stopped: the leadership was lost")
    else:
        logging.getLogger("salesbot").info("salesbot stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
