"""The platforms' clock in tests: real time plus a jump the test controls.

Deadlines the fakes enforce (Discord's 3 s to answer an interaction and 15 min for its token,
Telegram's window for answering a button press, flood control) are judged on this clock, so a
test moves past one with `advance()` instead of sleeping. Giving the adapter the same clock
(its `now` or `monotonic`) keeps both sides agreeing on the time; giving it the real one shows
what happens when they disagree. An adapter that waits on it (`sleep`) wakes when the test
moves the clock past its time, so pacing tests run in no real time.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0  # seconds the test has jumped ahead
        self.sleepers = 0  # tasks waiting in `sleep` now
        self._moved: asyncio.Event | None = None  # set when the test moves the clock on

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    async def sleep(self, seconds: float) -> None:
        """Until this clock is `seconds` later: by real time, or as soon as the test advances
        it that far."""
        deadline = self.monotonic() + seconds
        self.sleepers += 1
        try:
            await asyncio.sleep(0)
            while (left := deadline - self.monotonic()) > 0:
                self._moved = self._moved or asyncio.Event()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._moved.wait(), left)
        finally:
            self.sleepers -= 1

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        if self._moved is not None:  # the sleepers look at the time again
            self._moved.set()
            self._moved = None

    def reset(self) -> None:
        self.offset = 0.0
