"""``python main.py --console``: chat with the real bot in a terminal, without a Telegram token.

The same Application runs against the in-process Bot API emulator on a seeded demo database.
You type as a chosen demo person; the bot's messages are printed with their buttons numbered:
type the number to press one. Lines starting with ``:`` are console commands (``:help``).

The bot's own web pages (the calendar feeds of ``/calendar``) are served on a free local port,
with PUBLIC_URL set to it, so a link the bot gives can be fetched: ``:fetch`` prints it.

What the console prints itself comes from the macros of ``console.txt`` in its language:
``--lang en|zh`` if given, else the language of the demo person being played (before one is
picked, the demo company's). ``--lang zh`` on a new demo database seeds the Chinese company.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import aiohttp

from bot.context import Deps
from bot.db import Database
from bot.demo import (
    DEMO_COMPANIES,
    DEMO_EN,
    DemoCompany,
    DemoPerson,
    demo_company_in,
    seed_demo_company,
)
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.settings import Settings
from bot.web import WebServer
from models import utcnow

CONSOLE_LANGUAGES = ("en", "zh")
# A Chinese demo company's defaults, unless the environment (or .env) sets them.
CHINESE_DEFAULTS = {"default_timezone": "Asia/Shanghai", "default_currency": "CNY"}
LOCAL_HOST = "127.0.0.1"
# A link to the console's own web server in a bot message (``:fetch`` without a URL).
LOCAL_LINK = re.compile(r"http://127\.0\.0\.1:\d+/\S+")
FETCH_LIMIT = 20_000  # characters of a fetched page printed


class ShiftedClock:
    """The real time plus an offset the console moves on with :later and :time."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset


def parse_shift(text: str) -> timedelta | None:
    match = re.fullmatch(r"(\d{1,4})\s*([mhd])", text.strip().lower())
    if match is None:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(minutes=amount) * {"m": 1, "h": 60, "d": 1440}[unit]


class Console:
    def __init__(
        self,
        bot: LocalBot,
        output: TextIO,
        *,
        echo: bool = False,
        clock: ShiftedClock,
        company: DemoCompany = DEMO_EN,
        language: str | None = None,
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.output = output
        self.echo = echo
        self.company = company
        self.forced_language = language  # --lang; else the language of the person played
        self.person: DemoPerson = company.admin
        self.user: SimUser | None = None
        self.seen: dict[tuple[int, int], tuple[int, bool]] = {}
        self.choices: list[Callable[[], Awaitable[object]]] = []

    @property
    def language(self) -> str:
        """The console's own language: --lang, else the person's, else the company's."""
        if self.forced_language is not None:
            return self.forced_language
        return self.person.language if self.user is not None else self.company.language

    def text(self, name: str, /, *args: object, **kwargs: object) -> str:
        """The console's own line: the macro ``name`` of ``console.txt`` in its language."""
        template = self.bot.deps.renderer.template(self.language, "console.txt")
        return str(getattr(template.module, name)(*args, **kwargs)).strip("\n")

    def say(self, text: str = "") -> None:
        print(text, file=self.output, flush=True)

    def tell(self, name: str, /, *args: object, **kwargs: object) -> None:
        self.say(self.text(name, *args, **kwargs))

    def become(self, person: DemoPerson) -> None:
        self.person = person
        self.user = demo_chat(self.bot, person)
        self.choices = []
        self.tell("you_are", person.full_name, person.kind)
        self.show_new()  # what the bot sent them meanwhile

    def find_person(self, key: str) -> DemoPerson | None:
        return find_person(key, self.company)

    def pick_prompt(self) -> str:
        people = [
            {"number": number, "name": person.full_name, "kind": person.kind}
            for number, person in enumerate(self.company.people, start=1)
        ]
        return self.text("pick", people)

    def show_new(self) -> None:
        """Print every bot message (or edit of one) not shown yet, numbering the buttons."""
        assert self.user is not None
        for message in self.user.messages:
            key = (self.user.id, message.message_id)
            state = (message.edits, message.deleted)
            if self.seen.get(key) == state:
                continue
            first_time = key not in self.seen
            self.seen[key] = state
            if message.deleted:
                continue
            self.print_message(message, edited=not first_time)

    def print_message(self, message: BotMessage, *, edited: bool) -> None:
        marker = self.text("edited") if edited else "bot>"
        body = message.text
        if message.kind == "document":
            size = len(message.document or b"")
            body = f"{self.text('document', message.filename, size)} {body}"
        elif message.kind == "photo":
            body = f"{self.text('picture')} {body}"
        elif message.kind == "location":
            body = self.text("location", message.latitude, message.longitude)
        elif message.kind == "venue":
            place = self.text("location", message.latitude, message.longitude)
            body = f"{place} {message.title} · {message.address}"
        lines = [line.rstrip() for line in body.splitlines()] or [""]
        self.say(
            f"{marker} " + "\n".join(("     " + line) if line else "" for line in lines).lstrip()
        )
        buttons = message.buttons()
        self.choices = []
        if buttons:
            for number, button in enumerate(buttons, start=1):
                self.say(f"     [{number}] {button.text}")
                self.choices.append(self._presser(button.callback_data or button.text, message))
        keyboard = self.user.reply_keyboard if self.user else None
        if keyboard:
            start = len(self.choices)
            reply_buttons = [key for row in keyboard for key in row]
            for offset, key in enumerate(reply_buttons, start=1):
                self.say(f"     [{start + offset}] ({key.get('text', '')})")
                self.choices.append(self._reply_button(key))

    def _presser(self, data: str, message: BotMessage) -> Callable[[], Awaitable[object]]:
        return lambda: self.bot.press(self._user(), data, message)

    def _reply_button(self, button: dict[str, object]) -> Callable[[], Awaitable[object]]:
        text = str(button.get("text", ""))
        if button.get("request_location"):
            return lambda: self._settled(self._user().send_location(31.2304, 121.4737))
        return lambda: self.bot.send(self._user(), text)

    async def _settled(self, sent: Awaitable[int]) -> None:
        await self.bot.settle(await sent)

    def _zone(self) -> str:
        return self.bot.deps.settings.default_timezone

    def _local_now(self) -> datetime:
        return self.clock().astimezone(ZoneInfo(self._zone()))

    async def _time_passes(self) -> None:
        self.tell("clock_moved", self._local_now())
        await self.bot.tick()
        self.show_new()

    def _user(self) -> SimUser:
        assert self.user is not None
        return self.user

    def _last_local_link(self) -> str | None:
        """The last link to the console's own web server the bot sent the person."""
        for message in reversed(self._user().messages):
            found = LOCAL_LINK.findall(message.text)
            if found and not message.deleted:
                return str(found[-1])
        return None

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False means leave."""
        line = line.rstrip("\n")
        if not line.strip():
            return True
        if line.startswith(":"):
            return await self.console_command(line[1:].split())
        if line.strip().isdigit() and self.choices:
            index = int(line.strip()) - 1
            if not 0 <= index < len(self.choices):
                self.tell("no_button", index + 1)
                return True
            try:
                await self.choices[index]()
            except LookupError:
                self.tell("button_gone")
        else:
            await self._send_text(line[1:] if line.startswith("\\") else line)
        self.show_new()
        return True

    async def _send_text(self, text: str) -> None:
        """Send ``text`` as Telegram would: over 4,096 characters as several messages."""
        sent = await self._user().send_long(text)
        if sent:
            await self.bot.settle(sent[-1])

    async def console_command(self, words: list[str]) -> bool:
        command = words[0].lower() if words else "help"
        if command in {"q", "quit", "exit"}:
            return False
        if command == "who":
            for person in self.company.people:
                self.tell("who", person.key, person.full_name, person.kind)
        elif command == "as" and len(words) == 2:
            chosen = self.find_person(words[1])
            if chosen is None:
                self.tell("no_person")
            else:
                self.become(chosen)
        elif command == "location" and len(words) == 3:
            try:
                latitude, longitude = float(words[1]), float(words[2])
            except ValueError:
                self.tell("location_usage")
                return True
            await self._settled(self._user().send_location(latitude, longitude))
            self.show_new()
        elif command == "voice" and len(words) == 1:
            await self._settled(self._user().send_voice(b"OggS console voice note", duration=5))
            self.show_new()
        elif command == "photo":
            caption = " ".join(words[1:]) or None
            await self._settled(self._user().send_photo(b"\xff\xd8 console photo", caption))
            self.show_new()
        elif command == "paste" and len(words) >= 2:
            name = " ".join(words[1:])
            content = await asyncio.to_thread(_read_file, name)
            if content is None:
                self.tell("no_file", name)
                return True
            await self._send_text(content.decode("utf-8", errors="replace").strip())
            self.show_new()
        elif command == "later" and len(words) == 2 and parse_shift(words[1]) is not None:
            shift = parse_shift(words[1])
            assert shift is not None
            self.clock.offset += shift
            await self._time_passes()
        elif command == "time" and len(words) == 3 and _target(words[1], words[2]) is not None:
            days, moment = _target(words[1], words[2]) or (0, time())
            zone = ZoneInfo(self._zone())
            today = self.clock().astimezone(zone).date()
            target = datetime.combine(today + timedelta(days=days), moment, tzinfo=zone)
            self.clock.offset = target.astimezone(UTC) - utcnow()
            await self._time_passes()
        elif command == "now":
            self.tell("clock", self._local_now())
        elif command == "fetch" and len(words) <= 2:
            url = words[1] if len(words) == 2 else self._last_local_link()
            if url is None:
                self.tell("fetch_nothing")
                return True
            status, body = await fetch_page(url)
            self.tell("fetched", url, status)
            self.say(body[:FETCH_LIMIT].replace("\r\n", "\n").rstrip())
        elif command == "file" and len(words) >= 2:
            name = " ".join(words[1:])
            content = await asyncio.to_thread(_read_file, name)
            if content is None:
                self.tell("no_file", name)
                return True
            filename = Path(name).name
            mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            await self._settled(self._user().send_document(filename, content, mime_type=mime_type))
            self.show_new()
        else:
            self.tell("help", self.company.contact_name, self.company.contact_company)
        return True


def _target(day: str, moment: str) -> tuple[int, time] | None:
    """``+3 09:00`` → (3, 09:00)."""
    day_match = re.fullmatch(r"\+?(\d{1,3})", day.strip())
    time_match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", moment.strip())
    if day_match is None or time_match is None:
        return None
    return int(day_match.group(1)), time(int(time_match.group(1)), int(time_match.group(2)))


async def fetch_page(url: str) -> tuple[int, str]:
    """GET ``url`` as a calendar app would: its status and its text (or the error)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(url) as response,
        ):
            return response.status, await response.text(errors="replace")
    except (aiohttp.ClientError, ValueError, TimeoutError) as error:
        return 0, str(error) or type(error).__name__


def free_port(host: str = LOCAL_HOST) -> int:
    """A port nobody listens on now, for the console's web server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _read_file(name: str) -> bytes | None:
    path = Path(name).expanduser()
    return path.read_bytes() if path.is_file() else None


def demo_chat(bot: LocalBot, person: DemoPerson) -> SimUser:
    """The demo person's Telegram chat; they have used the bot before, so it may write to them."""
    user = bot.emulator.user(
        person.telegram_id,
        person.first_name,
        last_name=person.last_name,
        language_code=person.language_code,
    )
    user.known = True
    return user


def find_person(key: str, company: DemoCompany = DEMO_EN) -> DemoPerson | None:
    """A demo person by key (``rep1``), number in the list, first name or full name."""
    key = key.strip().lower()
    for number, person in enumerate(company.people, start=1):
        names = {person.key, str(number), person.first_name.lower(), person.full_name.lower()}
        if key in names:
            return person
    return None


def demo_settings(
    settings: Settings, company: DemoCompany, *, pages_port: int | None = None
) -> Settings:
    """The settings the console runs the demo company with: its admin is an admin; a Chinese
    company is in Shanghai and bills in CNY unless the environment says otherwise; PUBLIC_URL
    is the console's own web server on ``pages_port`` (given)."""
    update: dict[str, object] = {
        "admin_telegram_ids": settings.admin_telegram_ids | {company.admin.telegram_id}
    }
    if pages_port is not None:  # the bot's pages on the console's own web server
        update["public_url"] = f"http://{LOCAL_HOST}:{pages_port}"
    if company.language == "zh":
        for name, value in CHINESE_DEFAULTS.items():
            if name not in settings.model_fields_set:
                update[name] = value
    return settings.model_copy(update=update)


async def _read_line(stream: TextIO) -> str | None:
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return line if line else None


async def run_console(
    settings: Settings,
    *,
    database_path: Path,
    person_key: str | None,
    language: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Run the console session; returns the process exit code.

    ``language`` (``--lang``) is the console's language, and which demo company a new demo
    database gets; a database seeded before keeps its company."""
    db = Database(f"sqlite:///{database_path}")
    db.upgrade()
    with db.session() as session:
        company = demo_company_in(session) or DEMO_COMPANIES.get(language or "en", DEMO_EN)
    pages_port = free_port()
    settings = demo_settings(settings, company, pages_port=pages_port)
    clock = ShiftedClock()
    deps = Deps(settings=settings, db=db, clock=clock)
    with db.session() as session:
        seeded = seed_demo_company(
            session, now=deps.now(), timezone=settings.default_timezone, company=company
        )
    emulator = BotAPIEmulator(
        bot_username="salesbot_demo_bot", message_clock=lambda: clock().timestamp()
    )
    bot = LocalBot(deps, emulator, schedule=True)
    await bot.emulator.start()
    console = Console(
        bot, stdout, echo=not stdin.isatty(), clock=clock, company=company, language=language
    )
    for demo_person in company.people:
        demo_chat(bot, demo_person)
    app = await bot.start()
    pages = WebServer(app)
    try:
        await pages.start(LOCAL_HOST, pages_port)
        console.tell("banner", database_path, seeded, bot.emulator.bot_username)
        console.tell("pages_at", settings.public_url)
        person = console.find_person(person_key) if person_key else None
        while person is None:
            console.say(console.pick_prompt())
            stdout.write(console.text("number_prompt") + " ")
            stdout.flush()
            answer = await _read_line(stdin)
            if answer is None:
                return 0
            if console.echo:
                stdout.write(answer if answer.endswith("\n") else answer + "\n")
            person = console.find_person(answer)
        console.become(person)
        while True:
            stdout.write("you> ")
            stdout.flush()
            line = await _read_line(stdin)
            if line is not None and console.echo:
                stdout.write(line if line.endswith("\n") else line + "\n")
            if line is None or not await console.handle(line):
                break
        console.tell("bye")
        return 0
    finally:
        await pages.stop()
        await bot.stop()
        await bot.emulator.stop()
        db.dispose()
