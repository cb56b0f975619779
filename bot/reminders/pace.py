"""The overall pace of the outbox's sends. Telegram's broadcast limit is a count of messages in
any rolling second as *Telegram* sees them arrive, so that is what is kept here: a send starts
only once the send ``rate`` places before it has been answered a second ago or more. An answer
comes after its request arrived, so however late or early each request travels (a busy event
loop, a slow network), no rolling second at Telegram's end holds more than ``rate`` of them.

Within that, sends are spread evenly, ``1 / rate`` apart, on a schedule that does not drift: a
plain leaky bucket (aiolimiter) loses the lateness of every wake-up, measured here at about 6 %
of the rate at 30 a second.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Send:
    answered: float | None = None  # on the event loop's clock
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Pace:
    """At most ``rate`` sends a rolling second, counted from their answers, one every
    ``1 / rate`` seconds. ``async with pace.turn():`` waits for a turn (first come, first
    served) and holds it around one request."""

    def __init__(self, rate: int, *, window: float = 1.0) -> None:
        self.rate = rate
        self.window = window
        self.interval = window / rate
        self._sends: deque[_Send] = deque(maxlen=rate)  # the last ``rate`` sends
        self._next = 0.0  # the next turn on the schedule, on the event loop's clock
        self._turn = asyncio.Lock()  # FIFO: waiters go in the order they came

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._turn:
            while True:
                due = self._next
                if len(self._sends) == self.rate:
                    oldest = self._sends[0]
                    if oldest.answered is None:
                        await oldest.done.wait()
                        continue
                    due = max(due, oldest.answered + self.window)
                now = loop.time()
                if due <= now:
                    break
                await asyncio.sleep(due - now)
            # A turn taken a little late keeps the schedule (up to half an interval: after an
            # idle spell the next turn is not at once).
            self._next = max(self._next, now - self.interval / 2) + self.interval
            send = _Send()
            self._sends.append(send)
        try:
            yield
        finally:
            send.answered = loop.time()
            send.done.set()
