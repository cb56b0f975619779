"""``python main.py --console``: chat with the real bot in a terminal, without a Telegram token.

The same Application runs against the in-process Bot API emulator on a seeded demo database.
You type as a chosen demo person; the bot's messages are printed with their buttons numbered:
type the number to press one. Lines starting with ``:`` are console commands (``:help``).
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import Deps
from bot.db import Database
from bot.demo import DEMO_ADMIN, DEMO_CONTACT, DEMO_PEOPLE, DemoPerson, seed_demo_company
from bot.emulator import BotAPIEmulator, BotMessage, SimUser
from bot.local import LocalBot
from bot.settings import Settings
from models import utcnow

CONSOLE_HELP = """\
Console commands:
  <text>          send a message (commands too: /help)
  <number>        press that button of the last message
  \\<text>         send text literally, even a number (\\2 sends "2")
  :as <who>       talk as another demo person (admin, director, manager, rep1, rep2,
                  or contact: Li Na of Acme Machinery, a linked customer contact)
  :who            list the demo people
  :location LAT LON   share a location
  :voice          send a voice note (a stand-in recording)
  :photo [CAPTION]    send a photo (a stand-in picture), with a caption if given
  :file PATH      send a file as a document (e.g. a CSV or XLSX for /import products)
  :paste PATH     send a text file's text as typed; over 4,096 characters it goes as
                  several messages, as Telegram splits it (a long typed line too)
  :later 2h       move the console's clock on (m, h or d) and let the scheduler run:
                  reminders, briefs and digests that fall due arrive
  :time +3 09:00  move the clock to 09:00 (your zone) three days from today
  :now            what time the console's clock says
  :quit           leave (Ctrl-D works too)"""


CONSOLE_PEOPLE = (*DEMO_PEOPLE, DEMO_CONTACT)


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
        self, bot: LocalBot, output: TextIO, *, echo: bool = False, clock: ShiftedClock
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.output = output
        self.echo = echo
        self.person: DemoPerson = DEMO_ADMIN
        self.user: SimUser | None = None
        self.seen: dict[tuple[int, int], tuple[int, bool]] = {}
        self.choices: list[Callable[[], Awaitable[object]]] = []

    def say(self, text: str = "") -> None:
        print(text, file=self.output, flush=True)

    def become(self, person: DemoPerson) -> None:
        self.person = person
        self.user = demo_chat(self.bot, person)
        self.choices = []
        self.say(f"-- you are now {person.full_name} ({person.description}) --")
        self.show_new()  # what the bot sent them meanwhile

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
        marker = "bot (edited)>" if edited else "bot>"
        body = message.text
        if message.kind == "document":
            body = f"[document {message.filename}, {len(message.document or b'')} bytes] {body}"
        elif message.kind == "photo":
            body = f"[picture] {body}"
        elif message.kind == "location":
            body = f"[location {message.latitude}, {message.longitude}]"
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

    def _local_now(self) -> str:
        return self.clock().astimezone(ZoneInfo(self._zone())).strftime("%a %d %b %Y %H:%M %Z")

    async def _time_passes(self) -> None:
        self.say(f"-- the clock says {self._local_now()} --")
        await self.bot.tick()
        self.show_new()

    def _user(self) -> SimUser:
        assert self.user is not None
        return self.user

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
                self.say(f"-- there is no button {index + 1} --")
                return True
            try:
                await self.choices[index]()
            except LookupError:
                self.say("-- that button is no longer there --")
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
            for person in CONSOLE_PEOPLE:
                self.say(f"  {person.key:<9} {person.full_name} ({person.description})")
        elif command == "as" and len(words) == 2:
            chosen = find_person(words[1])
            if chosen is None:
                self.say("-- no such demo person; :who lists them --")
            else:
                self.become(chosen)
        elif command == "location" and len(words) == 3:
            try:
                latitude, longitude = float(words[1]), float(words[2])
            except ValueError:
                self.say("-- :location needs two numbers, like :location 31.23 121.47 --")
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
                self.say(f"-- no such file: {name} --")
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
            self.say(f"-- {self._local_now()} --")
        elif command == "file" and len(words) >= 2:
            name = " ".join(words[1:])
            content = await asyncio.to_thread(_read_file, name)
            if content is None:
                self.say(f"-- no such file: {name} --")
                return True
            filename = Path(name).name
            mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            await self._settled(self._user().send_document(filename, content, mime_type=mime_type))
            self.show_new()
        else:
            self.say(CONSOLE_HELP)
        return True


def _target(day: str, moment: str) -> tuple[int, time] | None:
    """``+3 09:00`` → (3, 09:00)."""
    day_match = re.fullmatch(r"\+?(\d{1,3})", day.strip())
    time_match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", moment.strip())
    if day_match is None or time_match is None:
        return None
    return int(day_match.group(1)), time(int(time_match.group(1)), int(time_match.group(2)))


def _read_file(name: str) -> bytes | None:
    path = Path(name).expanduser()
    return path.read_bytes() if path.is_file() else None


def demo_chat(bot: LocalBot, person: DemoPerson) -> SimUser:
    """The demo person's Telegram chat; they have used the bot before, so it may write to them."""
    user = bot.emulator.user(
        person.telegram_id, person.first_name, last_name=person.last_name, language_code="en"
    )
    user.known = True
    return user


def find_person(key: str) -> DemoPerson | None:
    key = key.strip().lower()
    for number, person in enumerate(CONSOLE_PEOPLE, start=1):
        if key in {person.key, str(number), person.first_name.lower()}:
            return person
    return None


async def _read_line(stream: TextIO) -> str | None:
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return line if line else None


async def run_console(
    settings: Settings,
    *,
    database_path: Path,
    person_key: str | None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Run the console session; returns the process exit code."""
    settings = settings.model_copy(
        update={"admin_telegram_ids": settings.admin_telegram_ids | {DEMO_ADMIN.telegram_id}}
    )
    db = Database(f"sqlite:///{database_path}")
    db.upgrade()
    clock = ShiftedClock()
    deps = Deps(settings=settings, db=db, clock=clock)
    with db.session() as session:
        seeded = seed_demo_company(session, now=deps.now(), timezone=settings.default_timezone)
    emulator = BotAPIEmulator(
        bot_username="salesbot_demo_bot", message_clock=lambda: clock().timestamp()
    )
    bot = LocalBot(deps, emulator, schedule=True)
    await bot.emulator.start()
    console = Console(bot, stdout, echo=not stdin.isatty(), clock=clock)
    for demo_person in CONSOLE_PEOPLE:
        demo_chat(bot, demo_person)
    await bot.start()
    try:
        console.say(
            f"salesbot console: demo database {database_path}"
            + (" (new demo company)" if seeded else "")
            + f", bot @{bot.emulator.bot_username}. Type :help for console commands."
        )
        person = find_person(person_key) if person_key else None
        while person is None:
            console.say(
                "Who are you? "
                + ", ".join(
                    f"{n}. {p.full_name} ({p.description})" for n, p in enumerate(CONSOLE_PEOPLE, 1)
                )
            )
            stdout.write("number> ")
            stdout.flush()
            answer = await _read_line(stdin)
            if answer is None:
                return 0
            if console.echo:
                stdout.write(answer if answer.endswith("\n") else answer + "\n")
            person = find_person(answer)
        console.become(person)
        while True:
            stdout.write("you> ")
            stdout.flush()
            line = await _read_line(stdin)
            if line is not None and console.echo:
                stdout.write(line if line.endswith("\n") else line + "\n")
            if line is None or not await console.handle(line):
                break
        console.say("-- bye --")
        return 0
    finally:
        await bot.stop()
        await bot.emulator.stop()
        db.dispose()
