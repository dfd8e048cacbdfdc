"""The fake Discord's HTTP plumbing: the log of requests tests read (and the faults they
inject: one request at a time, or a seeded `FaultPlan`), Discord's JSON answers, its
request-wide limits (topics/rate-limits.mdx)."""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.clock import FakeClock
from tests.fakes.discord_rules import Refusal
from tests.fakes.faults import FaultPlan

GLOBAL_PER_S = 50
INVALID_PER_10_MIN = 10_000


@dataclass
class Call:
    """One request the bot made."""

    method: str
    path: str  # after /api/v10, e.g. "/webhooks/900…/tok/messages/@original"
    payload: dict[str, Any] | list[Any] | None
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, data)
    response: Any = None  # the JSON the fake answered with
    status: int = 200
    fault: bool = False  # answered with a fault the test injected (the status it got)

    def matches(self, method: str, pattern: str) -> bool:
        return self.method == method and re.fullmatch(pattern, self.path) is not None


class CallLog:
    """Every request: `calls` (accepted), `refused` (Discord's errors), `faulted` (injected)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.refused: list[Call] = []
        self.faulted: list[str] = []  # "METHOD path" of requests answered with a fault
        self.faults: FaultPlan | None = None  # fails a seeded share of eligible requests
        self._faults: list[tuple[str, str, web.Response]] = []  # method, path pattern, answer
        self._changed = asyncio.Condition()

    def clear(self) -> None:
        for kept in (self.calls, self.refused, self.faulted, self._faults):
            kept.clear()
        self.faults = None

    def find(self, method: str, pattern: str) -> list[Call]:
        return [call for call in self.calls if call.matches(method, pattern)]

    async def wait_for(
        self,
        method: str,
        pattern: str,
        check: Callable[[Call], bool] = lambda _: True,
        *,
        refused: bool = False,
    ) -> Call:
        """The first call (made or yet to come) to this route that passes `check`; with
        `refused`, the first one Discord refused."""

        def found() -> Call | None:
            calls = self.refused if refused else self.calls
            return next((c for c in calls if c.matches(method, pattern) and check(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(found), timeout=20)
        call = found()
        assert call is not None
        return call

    async def record(self, call: Call) -> None:
        async with self._changed:
            if call.fault:
                self.faulted.append(f"{call.method} {call.path}")
            else:
                (self.calls if call.status < 300 else self.refused).append(call)
            self._changed.notify_all()

    async def serve(
        self,
        request: web.Request,
        call: Call,
        apply: Callable[[], Awaitable[tuple[web.StreamResponse, object]]],
    ) -> web.StreamResponse:
        """`apply`'s answer, unless the `FaultPlan` fails this request (then Discord's 429 or
        5xx answer, or a dropped connection: `call.status` 0)."""
        if self.faults is None:
            return (await apply())[0]

        def failed(status: int) -> web.Response:
            call.status, call.fault = status, True
            if status == 429:
                body = {"message": "You are being rate limited.", "retry_after": 0.05}
                return json_response({**body, "global": False}, 429, _RATE_LIMITED)
            return json_response(
                {"message": f"{status}: Discord had a problem", "code": 0}, status
            )

        route = f"{call.method} {call.path}"
        return await self.faults.serve(request, route, apply, failed)

    def rate_limit_next(self, method: str, pattern: str) -> None:
        """Answer the next matching request with a 429 and a short `retry_after`."""
        body = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
        self._faults.append((method, pattern, json_response(body, 429, _RATE_LIMITED)))

    def refuse_next(self, method: str, pattern: str) -> None:
        """Answer the next matching request with 403 Missing Access."""
        self._faults.append(
            (method, pattern, json_response({"message": "Missing Access", "code": 50001}, 403))
        )

    def fault(self, method: str, path: str) -> web.Response | None:
        for fault in self._faults:
            if fault[0] == method and re.fullmatch(fault[1], path):
                self._faults.remove(fault)
                self.faulted.append(f"{method} {path}")
                return fault[2]
        return None


# discord.py retries only a 429 that came through Discord's proxy (`Via`).
_RATE_LIMITED = {"X-RateLimit-Scope": "user", "Retry-After": "0.05", "Via": "1.1 google"}


class RequestLimits:
    """What every request counts against: 50 a second outside the interaction endpoints
    (429 with `global: true`), and 10,000 invalid ones (401, 403, 429) in 10 minutes, after
    which Cloudflare answers everything with a 429 page of its own."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.invalid: deque[float] = deque()
        self._recent: deque[float] = deque()

    def clear(self) -> None:
        self.invalid.clear()
        self._recent.clear()

    def banned(self) -> web.Response | None:
        now = self.clock.monotonic()
        while self.invalid and self.invalid[0] < now - 600:
            self.invalid.popleft()
        if len(self.invalid) > INVALID_PER_10_MIN:  # no JSON and no Via: not Discord's answer
            return web.Response(status=429, text="error code: 1015")
        return None

    def take_global(self) -> web.Response | None:
        now = self.clock.monotonic()
        while self._recent and self._recent[0] <= now - 1:
            self._recent.popleft()
        if len(self._recent) < GLOBAL_PER_S:
            self._recent.append(now)
            return None
        retry = round(self._recent[0] + 1 - now, 3)
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": True}
        headers = {
            "Retry-After": str(max(1, round(retry))),
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
            "Via": "1.1 google",
        }
        return json_response(body, 429, headers)

    def answered(self, status: int) -> None:
        if status in (401, 403, 429):
            self.invalid.append(self.clock.monotonic())


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """discord.py decodes a body only if its content type is exactly application/json."""
    data = json.dumps(body).encode()
    return web.Response(body=data, status=status, headers=headers, content_type="application/json")


def refuse(refusal: Refusal) -> web.Response:
    return json_response(refusal.body, refusal.status)


async def read_request(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    """The JSON payload and uploaded files, from a JSON body or a multipart form."""
    if request.content_type.startswith("multipart/"):
        payload, files = None, []
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(data)
            else:
                files.append((part.filename or "", bytes(data)))  # type: ignore[union-attr]
        return payload or {}, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []
