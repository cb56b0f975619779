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
}


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

    @field_validator("telegram_api_url", "telegram_file_url")
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
                f"={shown!r}"
                if isinstance(shown, str | int) and name != "TELEGRAM_BOT_TOKEN"
                else ""
            )
            problems.append(f"{name}{shown_text} is invalid: expected {expected}")
        raise SettingsError("; ".join(problems)) from None


def require_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: expected "
            + EXPECTED["TELEGRAM_BOT_TOKEN"]
            + " (or run `python main.py --console` to try the bot without one)"
        )
    return settings.telegram_bot_token
