"""Operator settings, read from the environment and a ``.env`` file.

A bad or missing setting becomes one ``SettingsError`` whose message names the setting and says
what is expected; ``main.py`` prints it as a single line and exits with code 2.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

OFFICIAL_API_URL = "https://api.telegram.org/bot"
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")

EXPECTED = {
    "TELEGRAM_BOT_TOKEN": "the token from @BotFather, like 123456789:AAE...",
    "TELEGRAM_API_URL": "a base URL such as https://api.telegram.org/bot",
    "TELEGRAM_FILE_URL": "a base URL such as https://api.telegram.org/file/bot",
    "DATABASE_URL": "an SQLAlchemy URL such as sqlite:///salesbot.db "
    "or postgresql+psycopg://user@host/db",
    "ADMIN_TELEGRAM_IDS": "comma-separated numeric Telegram user ids, like 1111,2222",
    "DEFAULT_TIMEZONE": "an IANA time zone name such as Europe/Berlin or Asia/Shanghai",
    "SCHEDULER_TICK_SECONDS": "a whole number of seconds between 1 and 3600",
    "DEFAULT_CURRENCY": "a three-letter ISO currency code such as CNY, USD or EUR",
    "QUOTE_REP_MAX_DISCOUNT": "a percentage from 0 to 100, like 10",
    "QUOTE_MANAGER_MAX_DISCOUNT": "a percentage from 0 to 100, like 20",
    "QUOTE_VALIDITY_DAYS": "a whole number of days from 1 to 365",
    "PDF_FONT": "the path of a TTF/TTC font file with Chinese glyphs",
    "TICKET_DUE_HOURS": "hours per kind, like complaint=24,repair=72,question=48",
    "MORNING_BRIEF_TIME": "a time of day as HH:MM, like 08:30",
    "DIGEST_TIME": "a time of day as HH:MM, like 18:00",
    "BIRTHDAY_GREETING_TIME": "a time of day as HH:MM, like 09:00",
    "BRIEF_TIME_WINDOW": "a range of the day as HH:MM-HH:MM, like 06:00-11:00",
    "DIGEST_TIME_WINDOW": "a range of the day as HH:MM-HH:MM, like 16:00-21:00",
    "STAFF_QUIET_HOURS": "a range of the day as HH:MM-HH:MM, like 22:00-07:00",
    "CONTACT_QUIET_HOURS": "a range of the day as HH:MM-HH:MM, like 21:00-08:00",
    "STALE_DEAL_DAYS": "a whole number of days from 1 to 365",
    "STALE_DEAL_DAYS_NOW": "a whole number of days from 1 to 365",
    "CHECK_IN_DAYS": "a whole number of days from 1 to 365",
    "SEGMENTS_TIME": "a time of day as HH:MM, like 02:00",
    "TIER_A_SHARE": "a share of revenue between 0 and 1, like 0.80",
    "TIER_B_SHARE": "a share of revenue between 0 and 1, at least TIER_A_SHARE, like 0.95",
    "LAPSED_DAYS": "a whole number of days from 1 to 3650",
    "CADENCE_A_DAYS": "a whole number of days from 1 to 365",
    "CADENCE_B_DAYS": "a whole number of days from 1 to 365",
    "CADENCE_C_DAYS": "a whole number of days from 1 to 365",
    "OUTBOX_MAX_PER_SECOND": "a whole number of messages per second from 1 to 1000",
    "OUTBOX_CHAT_INTERVAL": "seconds between two messages to one chat, from 0 to 60",
    "OUTBOX_LEASE_SECONDS": "a whole number of seconds from 5 to 3600",
    "OUTBOX_MAX_ATTEMPTS": "a whole number from 1 to 100",
    "CATCH_UP_HOURS": "a whole number of hours from 1 to 720",
    "INSTANCE_ID": "a name of up to 40 characters for this process, like bot-1",
    "OUTBOX_HEARTBEAT_SECONDS": "a whole number of seconds from 1 to 600",
    "WEBHOOK_URL": "the public https URL Telegram posts updates to",
    "WEBHOOK_SECRET": "1-256 characters A-Z, a-z, 0-9, _ and -",
    "PUBLIC_URL": "the public https address of the bot's web server, like https://bot.example.com",
    "LISTEN_HOST": "an address to listen on, like 0.0.0.0 or 127.0.0.1",
    "LISTEN_PORT": "a port number from 1 to 65535",
    "METRICS_PORT": "a port number from 1 to 65535",
    "LEADER_LEASE_SECONDS": "a whole number of seconds from 2 to 300",
}

TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Settings whose value is never shown in an error message.
SECRETS = frozenset({"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET"})
# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(Exception):
    """A setting is missing or invalid; the message is meant for the operator as it is."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default=OFFICIAL_API_URL, alias="TELEGRAM_API_URL")
    telegram_file_url: str | None = Field(default=None, alias="TELEGRAM_FILE_URL")
    database_url: str = Field(default="sqlite:///salesbot.db", alias="DATABASE_URL")
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="ADMIN_TELEGRAM_IDS"
    )
    default_timezone: str = Field(default="UTC", alias="DEFAULT_TIMEZONE")
    scheduler_tick_seconds: int = Field(default=30, ge=1, le=3600, alias="SCHEDULER_TICK_SECONDS")
    default_currency: str = Field(default="USD", alias="DEFAULT_CURRENCY")
    quote_rep_max_discount: Decimal = Field(
        default=Decimal(10), ge=0, le=100, alias="QUOTE_REP_MAX_DISCOUNT"
    )
    quote_manager_max_discount: Decimal = Field(
        default=Decimal(20), ge=0, le=100, alias="QUOTE_MANAGER_MAX_DISCOUNT"
    )
    quote_validity_days: int = Field(default=30, ge=1, le=365, alias="QUOTE_VALIDITY_DAYS")
    pdf_font: str | None = Field(default=None, alias="PDF_FONT")
    ticket_due_hours: Annotated[dict[str, int], NoDecode] = Field(
        default={"complaint": 24, "repair": 72, "question": 48}, alias="TICKET_DUE_HOURS"
    )

    morning_brief_time: str = Field(default="08:30", alias="MORNING_BRIEF_TIME")
    digest_time: str = Field(default="18:00", alias="DIGEST_TIME")
    # Within these a person may choose their own brief and digest time in /settings (an admin
    # may change them there; ``bot.services.company``).
    brief_time_window: str = Field(default="06:00-11:00", alias="BRIEF_TIME_WINDOW")
    digest_time_window: str = Field(default="16:00-21:00", alias="DIGEST_TIME_WINDOW")
    birthday_greeting_time: str = Field(default="09:00", alias="BIRTHDAY_GREETING_TIME")
    staff_quiet_hours: str = Field(default="22:00-07:00", alias="STAFF_QUIET_HOURS")
    contact_quiet_hours: str = Field(default="21:00-08:00", alias="CONTACT_QUIET_HOURS")
    stale_deal_days: int = Field(default=14, ge=1, le=365, alias="STALE_DEAL_DAYS")
    stale_deal_days_now: int = Field(default=3, ge=1, le=365, alias="STALE_DEAL_DAYS_NOW")
    check_in_days: int = Field(default=14, ge=1, le=365, alias="CHECK_IN_DAYS")
    # Customer tiers, RFM and lifecycle (bot/services/segments.py), computed nightly.
    segments_time: str = Field(default="02:00", alias="SEGMENTS_TIME")
    tier_a_share: Decimal = Field(default=Decimal("0.80"), gt=0, le=1, alias="TIER_A_SHARE")
    tier_b_share: Decimal = Field(default=Decimal("0.95"), gt=0, le=1, alias="TIER_B_SHARE")
    lapsed_days: int = Field(default=180, ge=1, le=3650, alias="LAPSED_DAYS")
    cadence_a_days: int = Field(default=14, ge=1, le=365, alias="CADENCE_A_DAYS")
    cadence_b_days: int = Field(default=30, ge=1, le=365, alias="CADENCE_B_DAYS")
    cadence_c_days: int = Field(default=90, ge=1, le=365, alias="CADENCE_C_DAYS")
    outbox_max_per_second: int = Field(default=25, ge=1, le=1000, alias="OUTBOX_MAX_PER_SECOND")
    outbox_chat_interval: float = Field(default=1.0, ge=0, le=60, alias="OUTBOX_CHAT_INTERVAL")
    outbox_lease_seconds: int = Field(default=30, ge=5, le=3600, alias="OUTBOX_LEASE_SECONDS")
    outbox_max_attempts: int = Field(default=8, ge=1, le=100, alias="OUTBOX_MAX_ATTEMPTS")
    catch_up_hours: int = Field(default=48, ge=1, le=720, alias="CATCH_UP_HOURS")
    # Running at scale (README, "Running at scale").
    instance_id: str | None = Field(default=None, max_length=40, alias="INSTANCE_ID")
    outbox_heartbeat_seconds: int = Field(
        default=10, ge=1, le=600, alias="OUTBOX_HEARTBEAT_SECONDS"
    )
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, alias="WEBHOOK_SECRET")
    # Where people reach the bot's own pages (the board Mini App, calendar feeds); with it set
    # the web server listens on LISTEN_PORT even when polling.
    public_url: str | None = Field(default=None, alias="PUBLIC_URL")
    listen_host: str = Field(default="0.0.0.0", alias="LISTEN_HOST")
    listen_port: int = Field(default=8080, ge=1, le=65535, alias="LISTEN_PORT")
    metrics_port: int | None = Field(default=None, ge=1, le=65535, alias="METRICS_PORT")
    leader_lease_seconds: int = Field(default=10, ge=2, le=300, alias="LEADER_LEASE_SECONDS")

    @field_validator("morning_brief_time", "digest_time", "birthday_greeting_time", "segments_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not TIME_OF_DAY.match(value.strip()):
            raise ValueError("not HH:MM")
        return value.strip()

    @field_validator(
        "staff_quiet_hours", "contact_quiet_hours", "brief_time_window", "digest_time_window"
    )
    @classmethod
    def _range_of_day(cls, value: str) -> str:
        start, _, end = value.strip().partition("-")
        if not (TIME_OF_DAY.match(start.strip()) and TIME_OF_DAY.match(end.strip())):
            raise ValueError("not HH:MM-HH:MM")
        return f"{start.strip()}-{end.strip()}"

    @field_validator("ticket_due_hours", mode="before")
    @classmethod
    def _due_hours(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        hours = {"complaint": 24, "repair": 72, "question": 48}
        for part in filter(None, (item.strip() for item in value.split(","))):
            kind, _, number = part.partition("=")
            if kind.strip() not in hours or not number.strip().isdigit() or int(number) < 1:
                raise ValueError("bad ticket hours")
            hours[kind.strip()] = int(number)
        return hours

    @field_validator("pdf_font")
    @classmethod
    def _font_file(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not Path(value.strip()).is_file():
            raise ValueError("no such font file")
        return value.strip()

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not TOKEN_PATTERN.match(value):
            raise ValueError("not a bot token")
        return value

    @field_validator("telegram_api_url", "telegram_file_url", "webhook_url", "public_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("not an http(s) URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError as error:
            raise ValueError("not an SQLAlchemy URL") from error
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"\d+", part) for part in parts):
                raise ValueError("not a list of ids")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("default_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError("not a currency code")
        return code

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown time zone") from error
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not WEBHOOK_SECRET_PATTERN.match(value.strip()):
            raise ValueError("not a Telegram secret token")
        return value.strip()

    @field_validator("instance_id")
    @classmethod
    def _instance_id_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @model_validator(mode="after")
    def _tier_shares_in_order(self) -> Settings:
        if self.tier_b_share < self.tier_a_share:
            raise ValueError("TIER_B_SHARE is below TIER_A_SHARE")
        return self

    @model_validator(mode="after")
    def _derive_file_url(self) -> Settings:
        if self.telegram_api_url is None:
            self.telegram_api_url = OFFICIAL_API_URL
        if self.telegram_file_url is None:
            base = self.telegram_api_url
            if base.endswith("/bot"):
                self.telegram_file_url = base[: -len("/bot")] + "/file/bot"
            else:
                self.telegram_file_url = base.rstrip("/") + "/file/bot"
        return self

    def cadence_days(self, tier: str | None) -> int:
        """How often a customer of ``tier`` should be touched (C for a customer without one)."""
        return {"A": self.cadence_a_days, "B": self.cadence_b_days}.get(
            tier or "C", self.cadence_c_days
        )

    @property
    def file_url(self) -> str:
        assert self.telegram_file_url is not None
        return self.telegram_file_url


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise ``SettingsError`` naming every bad one on a single line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else "settings"
            expected = EXPECTED.get(name, "a valid value")
            shown = item.get("input")
            shown_text = (
                f"={shown!r}" if isinstance(shown, str | int) and name not in SECRETS else ""
            )
            problems.append(f"{name}{shown_text} is invalid: expected {expected}")
        raise SettingsError("; ".join(problems)) from None


def require_webhook(settings: Settings) -> tuple[str, str]:
    """WEBHOOK_URL and WEBHOOK_SECRET, both needed by ``--webhook``."""
    for name, value in (
        ("WEBHOOK_URL", settings.webhook_url),
        ("WEBHOOK_SECRET", settings.webhook_secret),
    ):
        if value is None:
            raise SettingsError(f"{name} is not set: --webhook expects {EXPECTED[name]}")
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    return settings.webhook_url, settings.webhook_secret


def require_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: expected "
            + EXPECTED["TELEGRAM_BOT_TOKEN"]
            + " (or run `python main.py --console` to try the bot without one)"
        )
    return settings.telegram_bot_token
