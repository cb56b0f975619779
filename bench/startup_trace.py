"""Start ``main.py`` (``python bench/startup_trace.py main``) or the echo bot (``… echo``) as
usual, writing a timestamped line to stderr at each phase of its start-up:
``[trace] <time.time()> <event>``. Figure 4 runs it once per bot, after the timed starts (not
counted), and reads the phases from these lines and the bot's own log.

The phases come from wrapping the functions the start-up calls (in this process only):
main.py's imports, ``load_settings``, ``Database.upgrade``, ``build_application``,
``Leadership.acquire``, ``start_bot``, the Application's ``post_init``, and
python-telegram-bot's ``Application.initialize`` (getMe) and ``Updater.start_polling``.
"""

from __future__ import annotations

import sys
import time


def mark(event: str) -> None:
    print(f"[trace] {time.time():.6f} {event}", file=sys.stderr, flush=True)


mark("interpreter up (site imported), the program's imports begin")

import functools  # noqa: E402
import runpy  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def traced(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    if hasattr(function, "__code__") and function.__code__.co_flags & 0x80:  # a coroutine

        @functools.wraps(function)
        async def waited(*args: Any, **kwargs: Any) -> Any:
            mark(f"{name} begins")
            try:
                return await function(*args, **kwargs)
            finally:
                mark(f"{name} done")

        return waited

    @functools.wraps(function)
    def called(*args: Any, **kwargs: Any) -> Any:
        mark(f"{name} begins")
        try:
            return function(*args, **kwargs)
        finally:
            mark(f"{name} done")

    return called


def _telegram() -> None:
    from telegram.ext import Application, Updater

    Application.initialize = traced(  # type: ignore[method-assign]
        Application.initialize, "Application.initialize (getMe, persistence)"
    )
    Updater.start_polling = traced(  # type: ignore[method-assign]
        Updater.start_polling, "Updater.start_polling (deleteWebhook)"
    )


def run_main() -> int:
    # As ``python main.py`` runs it (compiled from source, no main.pyc written), but under
    # another name than __main__, so that its main() can be wrapped before it is called.
    sys.path[0] = str(ROOT)
    names = runpy.run_path(str(ROOT / "main.py"), run_name="salesbot_main")
    program: dict[str, Any] = names["main"].__globals__  # the module's own namespace

    import bot.runner
    from bot.db import Database
    from bot.leader import Leadership

    mark("main.py's imports done")
    _telegram()
    program["load_settings"] = traced(program["load_settings"], "load_settings")
    build = traced(program["build_application"], "build_application")

    def build_traced(*args: Any, **kwargs: Any) -> Any:
        app = build(*args, **kwargs)
        if app.post_init is not None:
            app.post_init = traced(app.post_init, "post_init (the command menus)")
        return app

    program["build_application"] = build_traced
    Database.upgrade = traced(Database.upgrade, "Database.upgrade (migrations)")  # type: ignore[method-assign]
    Leadership.acquire = traced(Leadership.acquire, "Leadership.acquire")  # type: ignore[method-assign]
    bot.runner.start_bot = traced(bot.runner.start_bot, "start_bot")
    return int(program["main"]([]))


def run_echo() -> int:
    import echo_bot  # type: ignore[import-not-found]  # bench/ is sys.path[0]

    mark("echo_bot's imports done")
    _telegram()
    echo_bot.main()
    return 0


if __name__ == "__main__":
    sys.exit(run_main() if sys.argv[1:] == ["main"] else run_echo())
