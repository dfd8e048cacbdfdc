"""Fault injection for the platform fakes: a seeded plan of which requests fail, and how.

A fake with a plan installed (its `faults` attribute; None, the default, fails nothing) passes
each request it may fail through `FaultPlan.serve`, with the route's name, a function that
applies the request and a function that formats the platform's error answer. The plan draws
from its own random source, seeded, so a run is reproducible (as far as requests arrive in the
same order), and records every fault it injected:

    RATE_LIMITED   answered 429 with a short retry-after; nothing applied
    ERROR_BEFORE   answered 500, 502 or 503; nothing applied
    ERROR_AFTER    applied (the message was sent or edited), then answered 500, 502 or 503:
                   to the client, a request that may or may not have happened
    RESET          applied, then the connection dropped without an answer (a reset before
                   applying looks to the client like ERROR_BEFORE)

This layer only decides and records; what an answer looks like stays with each fake.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from aiohttp import web


class Fault(StrEnum):
    RATE_LIMITED = "429"
    ERROR_BEFORE = "5xx before applying"
    ERROR_AFTER = "5xx after applying"
    RESET = "connection reset after applying"

    @property
    def applied(self) -> bool:
        """The platform did what was asked, though the client was not told so."""
        return self in (Fault.ERROR_AFTER, Fault.RESET)


@dataclass(frozen=True, slots=True)
class Injected:
    route: str  # what the fake calls the request: a Bot API method, "PATCH /channels/…"
    fault: Fault
    status: int  # the answer's HTTP status; 0 for a reset
    result: object = None  # what applying it returned (the fake's message), if it was applied


@dataclass
class FaultPlan:
    rate: float = 0.2  # share of eligible requests that fail
    seed: int = 0
    eligible: Callable[[str], bool] = lambda route: True
    kinds: tuple[Fault, ...] = tuple(Fault)
    limit: int | None = None  # at most this many faults in all
    injected: list[Injected] = field(default_factory=list)
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self, route: str) -> Fault | None:
        if self.limit is not None and len(self.injected) >= self.limit:
            return None
        if not self.eligible(route) or self._random.random() >= self.rate:
            return None
        return self._random.choice(self.kinds)

    async def serve(
        self,
        request: web.Request,
        route: str,
        apply: Callable[[], Awaitable[tuple[web.StreamResponse, object]]],
        error: Callable[[int], web.StreamResponse],
    ) -> web.StreamResponse:
        """Answer through `apply` (the answer and what it produced) unless the plan draws a
        fault for `route`; then answer with `error(status)`, or drop the connection."""
        fault = self.draw(route)
        if fault is None:
            answer, _ = await apply()
            return answer
        status = {Fault.RATE_LIMITED: 429, Fault.RESET: 0}.get(fault) or self._random.choice(
            (500, 502, 503)
        )
        result = (await apply())[1] if fault.applied else None
        self.injected.append(Injected(route, fault, status, result))
        if fault is Fault.RESET:
            assert request.transport is not None
            request.transport.abort()
        return error(status or 502)  # never read after a reset
