"""Retried requests: a request sent again with the same key gets the first one's jobs.

A client that got no answer (a timeout, a dropped connection) cannot know whether its request
created jobs. It sends it again with the same key (the HTTP API's `Idempotency-Key` header)
and gets the jobs the first one created, charged once, instead of a second set. The key is
stored on those jobs in their own insert (migration m019), so it holds across restarts; it is
per user (an API key's name is its user) and remembered for KEPT, as Stripe does: long
enough for any retry, short enough that a client may reuse its keys. A request that was
refused created nothing: sent again with the same key, it runs again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakValueDictionary

from bot.core.errors import MjError
from bot.core.requests import Incoming
from i18n import Duration, t
from storage.store import AsyncStore

KEPT = timedelta(hours=24)


class KeyReused(MjError):
    """The key came before with a different request: the client mixed up its keys."""


def fingerprint(*parts: Any) -> str:
    """A request's identity: its method, path and body (keys in any order), as sha256 hex."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Retries:
    def __init__(self, store: AsyncStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        # One lock per user and key while a request holds it: a retry that arrives while
        # the first is still being served waits for its jobs instead of making its own.
        self._locks: WeakValueDictionary[tuple[str, str], asyncio.Lock] = WeakValueDictionary()

    async def once(
        self, incoming: Incoming, create: Callable[[], Awaitable[list[str]]]
    ) -> list[str]:
        """The job ids `incoming`'s key made for its user within KEPT, else those `create()`
        makes (it keeps the key on them: `Incoming.key`). Without a key, `create()`."""
        origin, key = incoming.origin, incoming.key
        if key is None:
            return await create()
        lock = self._locks.get((origin.user_key, key.key))
        if lock is None:
            lock = self._locks[(origin.user_key, key.key)] = asyncio.Lock()
        async with lock:
            since = (self.clock() - KEPT).isoformat(timespec="milliseconds")
            found = await self.store.run(
                lambda s: s.jobs.with_key(origin.platform, origin.user_id, key.key, since)
            )
            if found is None:
                return await create()
            if found.request_hash != key.fingerprint:
                raise KeyReused(
                    t(
                        "This Idempotency-Key was used for a different request in the last "
                        "{period}; use a new key for a new request.",
                        period=Duration(KEPT.total_seconds(), "long"),
                    )
                )
            return list(found.job_ids)

    async def one(self, incoming: Incoming, create: Callable[[], Awaitable[str]]) -> str:
        """`once` for a request that makes one job."""

        async def listed() -> list[str]:
            return [await create()]

        return (await self.once(incoming, listed))[0]
