"""The event-loop side of one job: an ordered stream of the engine's events for it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from engine.job import TERMINAL, Event

log = logging.getLogger(__name__)


class JobHandle:
    """The event-loop side of one job: an ordered stream of events, ending with a terminal one."""

    def __init__(self, job_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self.job_id = job_id
        self._loop = loop
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self.outcome: asyncio.Future[Event] = loop.create_future()

    def emit(self, event: Event) -> None:
        """Thread-safe; events from one thread arrive in the order they were emitted."""
        try:
            self._loop.call_soon_threadsafe(self._deliver, event)
        except RuntimeError:  # the loop is gone (shutdown): nobody is listening any more
            log.debug("dropped %s for %s: event loop closed", type(event).__name__, self.job_id)

    def _deliver(self, event: Event) -> None:
        self._events.put_nowait(event)
        if isinstance(event, TERMINAL) and not self.outcome.done():
            self.outcome.set_result(event)

    async def events(self) -> AsyncIterator[Event]:
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, TERMINAL):
                return

    async def result(self) -> Event:
        return await asyncio.shield(self.outcome)
