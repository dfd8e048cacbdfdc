"""Delivering what finished jobs owe their users (`storage.outbox`), until a front end took it.

A job's final reply (its grid, or why it failed or was cancelled) is a row in SQLite from the
transaction that settles the job; for front ends that edit it into the job's own message, a
notice follows it (an edit does not notify anyone). The job's own task tries each at once,
through the request's Responder while that lives. What fails is retried by one task per
platform with exponential backoff, at most `retry_max_s` apart, so a result arrives within
that long of the platform recovering, without a restart; after a restart everything still
owed is tried at once.

While a platform fails, all its retries wait together: one failure pauses the platform until
the failing item's next turn, so an outage costs one request per interval, not one per job.
A sink raising `Undeliverable` ends an item's retries (recorded and logged).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Container
from contextlib import suppress
from dataclasses import dataclass, field

from bot.core.requests import Responder, Undeliverable
from bot.core.settings import DeliverySettings
from storage.outbox import FINAL, NOTICE
from storage.store import AsyncStore

__all__ = ["FINAL", "NOTICE", "Item", "Outbox", "backoff"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Item:
    job_id: str
    kind: str  # FINAL or NOTICE
    platform: str
    elapsed_s: float | None = field(default=None, compare=False)  # drawing time, for captions


# Sends one item (raising on failure); returns the kind owed next (a notice), if any.
Send = Callable[[Item, Responder | None], Awaitable[str | None]]


def backoff(attempts: int, first_s: float, max_s: float, jitter: float = 0.0) -> float:
    """Seconds before the next try after `attempts` failures: doubling from `first_s`, never
    over `max_s`; `jitter` (0..1) takes up to a quarter off, so retries do not bunch up."""
    delay = min(max_s, first_s * 2 ** min(max(0, attempts - 1), 32))
    return delay * (1 - 0.25 * jitter)


@dataclass(slots=True)
class _Owed:
    item: Item
    attempts: int = 0
    due: float = 0.0  # monotonic time of the next try
    busy: bool = False  # being sent now


class Outbox:
    def __init__(
        self,
        settings: DeliverySettings,
        store: AsyncStore,
        send: Send,
        connected: Callable[[str], bool],
        settled: Callable[[str], Awaitable[None]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.store = store
        self.send = send
        self.connected = connected  # a front end for this platform is registered
        self.settled = settled  # told when nothing of a job is left to try
        self.monotonic = monotonic
        self.jitter = jitter
        self._owed: dict[tuple[str, str], _Owed] = {}
        self._paused: dict[str, float] = {}  # platform -> when its retries may resume
        self._wakes: dict[str, asyncio.Event] = {}
        self._loops: dict[str, asyncio.Task] = {}

    async def load(self, skip: Container[str] = ()) -> None:
        """Owe again what a previous run left, and try each once now (the platform may be
        back; if it is not, the first failure defers the rest to the retries). `skip`: jobs
        of this run, whose own tasks deliver what they owe."""
        items = []
        for row in await self.store.run(lambda s: s.outbox.pending()):
            if row["job_id"] in skip:
                continue
            item = Item(row["job_id"], row["kind"], row["platform"])
            self._owe(item).attempts = int(row["attempts"])
            items.append(item)
        for item in items:
            await self.deliver(item)

    def connect(self, platform: str) -> None:
        """A front end registered for `platform`: what it is owed may go now."""
        self._wake(platform)

    def owes(self, job_id: str) -> bool:
        """Something of this job waits for a try by a connected front end."""
        return any(
            owed.item.job_id == job_id and self.connected(owed.item.platform)
            for owed in self._owed.values()
        )

    async def close(self) -> None:
        loops = list(self._loops.values())
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        self._loops.clear()

    async def deliver(self, item: Item, respond: Responder | None = None) -> None:
        """Try `item` now (its job just settled); if that fails, its retries are scheduled."""
        owed = self._owe(item)
        paused = self._paused.get(item.platform, 0.0)
        if paused > self.monotonic():  # a known outage: wait for the platform with the others
            owed.due = paused
            return
        await self._try(owed, respond)

    # internals -----------------------------------------------------------------------------
    def _owe(self, item: Item) -> _Owed:
        key = (item.job_id, item.kind)
        owed = self._owed.get(key)
        if owed is None:
            owed = self._owed[key] = _Owed(item, due=self.monotonic())
        self._wake(item.platform)
        return owed

    def _wake(self, platform: str) -> None:
        wake = self._wakes.setdefault(platform, asyncio.Event())
        wake.set()
        loop = self._loops.get(platform)
        if loop is None or loop.done():
            self._loops[platform] = asyncio.create_task(
                self._retry(platform, wake), name=f"outbox-{platform}"
            )

    async def _try(self, owed: _Owed, respond: Responder | None) -> None:
        item = owed.item
        if owed.busy:
            return
        if not self.connected(item.platform):  # kept for when its front end registers
            await self._maybe_settled(item.job_id)
            return
        owed.busy = True
        try:
            then = await self.send(item, respond)
        except Undeliverable as refused:
            reason = str(refused)
            log.warning("job %s: %s abandoned: %s", item.job_id, item.kind, reason)
            await self.store.run(lambda s: s.outbox.abandoned(item.job_id, item.kind, reason))
            await self._finish(owed)
        except Exception as error:  # the platform failed or its answer was lost: again later
            await self._failed(owed, error)
        else:
            await self.store.run(lambda s: s.outbox.sent(item.job_id, item.kind, then))
            self._paused.pop(item.platform, None)  # it works again: the others may go
            follow = None if then is None else Item(item.job_id, then, item.platform)
            if follow is not None:
                self._owe(follow)
            await self._finish(owed)
            if follow is not None:
                await self.deliver(follow)
        finally:
            owed.busy = False

    async def _failed(self, owed: _Owed, error: Exception) -> None:
        item = owed.item
        failed_at = self.monotonic()  # the wait counts from the failure, not from its record
        reason = f"{type(error).__name__}: {error}"
        owed.attempts = await self.store.run(
            lambda s: s.outbox.failed(item.job_id, item.kind, reason)
        )
        wait = backoff(
            owed.attempts, self.settings.retry_first_s, self.settings.retry_max_s, self.jitter()
        )
        owed.due = failed_at + wait
        self._paused[item.platform] = owed.due
        log.warning(
            "job %s: %s not delivered (try %d: %s); trying again in %.1f s",
            item.job_id,
            item.kind,
            owed.attempts,
            reason,
            wait,
            exc_info=error if owed.attempts == 1 else None,  # the whole story once
        )
        self._wake(item.platform)

    async def _finish(self, owed: _Owed) -> None:
        self._owed.pop((owed.item.job_id, owed.item.kind), None)
        await self._maybe_settled(owed.item.job_id)

    async def _maybe_settled(self, job_id: str) -> None:
        if not self.owes(job_id):
            await self.settled(job_id)

    async def _retry(self, platform: str, wake: asyncio.Event) -> None:
        """One platform's retries: the earliest due item first, none while it is paused."""
        while True:
            wake.clear()
            now = self.monotonic()
            waiting = [
                owed
                for owed in self._owed.values()
                if owed.item.platform == platform and not owed.busy
            ]
            resume = self._paused.get(platform, 0.0)
            if not waiting or not self.connected(platform):
                await wake.wait()
                continue
            first = min(waiting, key=lambda owed: owed.due)
            start = max(first.due, resume)
            if start > now:
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), start - now)
                continue
            await self._try(first, None)
