"""The platforms' clock in tests: real time plus a jump the test controls.

Deadlines the fakes enforce (Discord's 3 s to answer an interaction and 15 min for its token,
Telegram's window for answering a button press, flood control) are judged on this clock, so a
test moves past one with `advance()` instead of sleeping. Giving the adapter the same clock
(its `now` or `monotonic`) keeps both sides agreeing on the time; giving it the real one shows
what happens when they disagree.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0  # seconds the test has jumped ahead

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def reset(self) -> None:
        self.offset = 0.0
