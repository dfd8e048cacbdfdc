"""Telegram albums for /blend: the photos of one media group arrive as separate messages, and
only the first carries the caption. The captioned one waits a moment for the others (in a
task of its own: updates are handled one at a time, so waiting in the handler would hold the
very messages it waits for)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

ALBUM_WAIT_S = 1.5  # Telegram sends an album's messages together, well within this


class Albums:
    def __init__(self, wait_s: float = ALBUM_WAIT_S) -> None:
        self.wait_s = wait_s
        self._parts: dict[str, list[Any]] = {}  # media group -> its uncaptioned photos
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, group: str, photo: Any) -> None:
        """An album photo without the caption: kept for the captioned one."""
        self._parts.setdefault(group, []).append(photo)

    def finish(self, group: str, handle: Callable[[list[Any]], Awaitable[None]]) -> None:
        """After the wait, `handle` the album's other photos (in the order they came)."""

        async def later() -> None:
            await asyncio.sleep(self.wait_s)
            await handle(self._parts.pop(group, []))

        task = asyncio.create_task(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Until every album waiting is handled (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
