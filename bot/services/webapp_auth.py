"""Who opened a Telegram Mini App: Telegram's ``initData`` checked exactly as Telegram documents
it (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app), then the
active person of the company behind it.

The data-check-string is every received field but ``hash``, as ``key=value``, sorted by key and
joined with a line feed; the secret key is HMAC-SHA-256 of the bot token with the key
``WebAppData``; the data is Telegram's when HMAC-SHA-256 of the data-check-string with that
secret key is ``hash`` (hex). Data older than ``MAX_AGE`` (by ``auth_date``) is refused, so a
copied link stops working within a day. No Telegram library here: the web layer passes the raw
query string and the bot token."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from sqlmodel import Session, select

from bot.services.people import Actor
from models import User

MAX_AGE = timedelta(days=1)
# A clock a little ahead of Telegram's is no reason to refuse.
FUTURE_SLACK = timedelta(minutes=5)
MAX_LENGTH = 4096


class InitDataRefused(Exception):
    """The initData is missing, malformed, forged, stale, or names nobody active here.
    ``reason`` says which, for the log only: the person is told nothing of it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """The person Telegram vouches for in initData."""

    telegram_id: int
    first_name: str
    language_code: str | None


def secret_key(bot_token: str) -> bytes:
    """HMAC-SHA-256 of the bot token, keyed with the constant ``WebAppData``."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but ``hash`` as ``key=value``, sorted by key, one per line."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def check_init_data(init_data: str, *, bot_token: str, now: datetime) -> WebAppUser:
    """The user of ``init_data`` if Telegram signed it for this bot within the last day, else
    InitDataRefused."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise InitDataRefused("missing")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRefused("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataRefused("a field given twice")
    given = fields.get("hash", "")
    expected = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataRefused("forged")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataRefused("malformed") from None
    if signed_at < now - MAX_AGE:
        raise InitDataRefused("stale")
    if signed_at > now + FUTURE_SLACK:
        raise InitDataRefused("from the future")
    language = user.get("language_code")
    return WebAppUser(
        telegram_id=telegram_id,
        first_name=str(user.get("first_name") or ""),
        language_code=language if isinstance(language, str) else None,
    )


def active_person(session: Session, telegram_id: int) -> Actor:
    """The active person with this Telegram id, else InitDataRefused (a stranger, a customer's
    contact or a deactivated account see nothing)."""
    user = session.exec(select(User).where(User.telegram_id == telegram_id)).first()
    if user is None or not user.is_active:
        raise InitDataRefused("not an active person")
    return Actor.of(user)
