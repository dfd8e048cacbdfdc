"""What the launcher (`bot.runner`) needs from a long-running front end.

    async with front_end:       connect and register with the core: Discord logs in,
                                Telegram starts receiving, the HTTP API listens
    await front_end.serve()     run until cancelled (Discord's gateway lives here)

Each raises FrontEndError, with a sentence for the owner, when its platform refuses or
cannot be reached; the launcher turns that into an exit code.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol, Self


class FrontEndError(Exception):
    """The platform refused us or cannot be reached; the message says what to check."""


class FrontEnd(Protocol):
    name: str
    ready: str  # what the owner is told once it is open ("HTTP API on http://...")

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def serve(self) -> None: ...


async def wait_forever() -> None:
    """`serve()` for front ends whose work runs in tasks of their own (polling, a server)."""
    await asyncio.Event().wait()
