"""Every text the bot sends, rendered from ``bot/templates/<language>/``.

Messages are ``.html`` templates (Telegram HTML, autoescaped); button labels are macros in
``labels.txt`` (plain text: Telegram shows button text literally). A language without its own
folder, or a template missing from it, falls back to English.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from bot.formatting import format_day, format_instant, format_money, format_number, plain_number

TEMPLATES_DIR = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]*>")


def shorten(text: str, limit: int = 500) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def visible_length(html_text: str) -> int:
    """How long Telegram counts an HTML text: tags removed, entities decoded, UTF-16 units."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def birthday_parts(value: str) -> tuple[int | None, int, int]:
    """A stored birthday (``1985-05-12``, or ``--05-12`` without a year) as (year, month, day)."""
    year, month, day = value.rsplit("-", 2)
    return (int(year) if year.strip("-") else None), int(month), int(day)


def _filters(language: str) -> dict[str, Any]:
    """Filters that write dates, times, numbers and money for readers of ``language``."""

    def local_time(instant: datetime, zone: str, style: str = "iso") -> str:
        """An instant on the reader's clock in ``zone``, in a style of bot.formatting."""
        return format_instant(instant, zone, style, language)

    def fmt(day: date | datetime, style: str = "date") -> str:
        """A calendar day (or a time already on the reader's clock)."""
        return format_day(day, style, language)

    def money(amount: Decimal, currency: str) -> str:
        return format_money(amount, currency, language)

    def number(value: Decimal, places: int = 2) -> str:
        return format_number(value, language, places=places)

    def birthday(value: str) -> str:
        year, month, day = birthday_parts(value)
        if year is None:
            return format_day(date(2000, month, day), "day", language)
        return format_day(date(year, month, day), "date", language)

    return {
        "local_time": local_time,
        "fmt": fmt,
        "money": money,
        "number": number,
        "plain": plain_number,
        "birthday": birthday,
    }


def _environment(language: str) -> Environment:
    """Templates of ``language``, each falling back to English's where it has none of its own;
    imports inside templates (``_macros.html``) resolve the same way."""
    folders = [TEMPLATES_DIR / language] + (
        [TEMPLATES_DIR / FALLBACK_LANGUAGE] if language != FALLBACK_LANGUAGE else []
    )
    environment = Environment(
        loader=FileSystemLoader([str(folder) for folder in folders]),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["shorten"] = shorten
    environment.filters.update(_filters(language))
    environment.globals["language"] = language
    return environment


def sandbox(language: str) -> SandboxedEnvironment:
    """Where a template an admin wrote is rendered: like the bot's own (HTML escaping, a missing
    value an error, the same filters) but sandboxed, so it can reach nothing but its values."""
    environment = SandboxedEnvironment(
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["shorten"] = shorten
    environment.filters.update(_filters(language))
    return environment


# The tags Telegram's HTML parse mode takes (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)


class _TagCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problem = self.problem or f"<{tag}> is not a tag Telegram shows"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f"</{tag}> does not close the tag opened last"
        else:
            self.open.pop()


def telegram_html_problem(text: str) -> str | None:
    """What Telegram would refuse in ``text`` sent as HTML (an unknown or unclosed tag), or
    None."""
    check = _TagCheck()
    check.feed(text)
    check.close()
    if check.problem is None and check.open:
        check.problem = f"<{check.open[-1]}> is never closed"
    return check.problem


class StageNames:
    """The names an admin gave pipeline stages (``/pipeline``), which templates show instead of
    the built-in ones (the ``stage_names`` global). Read through ``loader`` (set where there is
    a database) at most every ``MAX_AGE`` seconds, so every process sees a rename within a
    minute, and at once in the process that made it (``forget``)."""

    MAX_AGE = 60.0

    def __init__(self) -> None:
        self.loader: Callable[[], dict[str, str]] | None = None
        self._names: dict[str, str] = {}
        self._read_at: float | None = None

    def forget(self) -> None:
        self._read_at = None

    def get(self, key: str) -> str | None:
        now = time.monotonic()
        if self.loader is not None and (
            self._read_at is None or now - self._read_at > self.MAX_AGE
        ):
            self._names, self._read_at = self.loader(), now
        return self._names.get(key)


class Renderer:
    """Renders message templates and button labels in a reader's language."""

    def __init__(self) -> None:
        self.languages = {path.name for path in TEMPLATES_DIR.iterdir() if path.is_dir()} or {
            FALLBACK_LANGUAGE
        }
        self.stage_names = StageNames()
        self.environments = {language: _environment(language) for language in self.languages}
        for environment in self.environments.values():
            environment.globals["stage_names"] = self.stage_names

    def language_for(self, language: str | None) -> str:
        """The template language for a profile's language code (``zh-hans`` → ``zh``)."""
        if not language:
            return FALLBACK_LANGUAGE
        base = language.lower().replace("_", "-")
        if base in self.languages:
            return base
        base = base.split("-")[0]
        return base if base in self.languages else FALLBACK_LANGUAGE

    def template(self, language: str | None, name: str) -> Template:
        """Template ``name`` (with its extension) in the reader's language, else English's."""
        return self.environments[self.language_for(language)].get_template(name)

    def message(self, language: str | None, template_name: str, /, **context: Any) -> str:
        """The HTML text of message template ``template_name`` (without the ``.html``)."""
        name = template_name
        template = self.template(language, f"{name}.html")
        text = template.render(**context).strip()
        visible = visible_length(text)
        if visible > MESSAGE_LIMIT:
            raise ValueError(f"template {name} rendered {visible} characters, over the limit")
        return text

    def label(self, language: str | None, name: str, /, *args: Any, **kwargs: Any) -> str:
        """A button label: the macro ``name`` of ``labels.txt``, as plain text."""
        template = self.template(language, "labels.txt")
        macro = getattr(template.module, name)
        return str(macro(*args, **kwargs)).strip()
