"""What the bot does with an error nobody foresaw: a short id that ties together the line in the
log (with the whole traceback), what the person is told, and the admins' alert; the error's kind
(its type and the project's line it came from) for counting alerts; and whether the update had
already saved something before it failed, so the person is never told "nothing was saved" when
something was."""

from __future__ import annotations

import secrets
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# Set when a transaction that wrote something commits; cleared as each update starts
# (``begin_update``), in the update's own task.
_SAVED: ContextVar[bool] = ContextVar("salesbot_saved", default=False)


def note_saved() -> None:
    _SAVED.set(True)


def begin_update() -> None:
    """An update starts: nothing of it is saved yet (whatever the task it came from did)."""
    _SAVED.set(False)


def saved_in_this_update() -> bool:
    return _SAVED.get()


@dataclass(frozen=True)
class Failure:
    error_id: str  # e.g. "E-3F9A2C"
    kind: str  # e.g. "OverflowError at bot/services/deals.py:212"


def describe(error: BaseException) -> Failure:
    """A fresh id for this failure and its kind: the error's type and the deepest line of the
    project's own code it went through (the library's lines say less about where to look)."""
    where = ""
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(PROJECT) and ".venv" not in path.parts:
            where = f"{path.relative_to(PROJECT)}:{frame.lineno}"
    kind = type(error).__name__ + (f" at {where}" if where else "")
    return Failure(error_id="E-" + secrets.token_hex(3).upper(), kind=kind)
