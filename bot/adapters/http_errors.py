"""The API's answer envelope, core errors as HTTP statuses, and bearer-key authentication.

Every /api answer is `{"code": "1001", "msg": "success", "data": ...}` or
`{"code": "1002", "msg": "<what went wrong, for a person>"}` with a fitting status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.adapters.http_body import BodyError
from bot.core import render
from bot.core.errors import (
    EngineUnavailable,
    JobNotFound,
    LinkRefused,
    MjError,
    NotPermitted,
    PromptBlocked,
    QueueFull,
    QuotaExceeded,
)
from bot.core.queries import Queries
from bot.core.requests import Origin
from bot.core.retries import KeyReused

log = logging.getLogger(__name__)

PLATFORM = "api"
OK, FAILED = "1001", "1002"
MAX_BODY = web.AppKey("max_body", int)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Most specific first: QuotaExceeded and QueueFull are MjErrors too.
_STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (QuotaExceeded, 429),
    (QueueFull, 429),
    (NotPermitted, 403),
    (LinkRefused, 403),  # the region page's signed link
    # Well formed and refused by policy: forbidden, not a bad request.
    (PromptBlocked, 403),
    (JobNotFound, 404),
    (EngineUnavailable, 503),
    # The key is bound to another request: a conflict with what the server holds for it.
    (KeyReused, 409),
    (BodyError, 400),
    (MjError, 400),  # ParamError, ImagePromptError, --repeat limits
)


def ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        {"code": OK, "msg": "success", "data": data},
        status=status,
        dumps=lambda value: json.dumps(value, ensure_ascii=False),
    )


def failed(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"code": FAILED, "msg": message},
        status=status,
        headers=headers,
        dumps=lambda value: json.dumps(value, ensure_ascii=False),
    )


def status_for(error: Exception) -> int:
    return next(status for kind, status in _STATUSES if isinstance(error, kind))


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals become the 1002 envelope (with aiohttp's own 404, 405 and 413 under /api);
    a bug becomes a logged 500 with nothing of its details, and the server serves on."""
    try:
        return await handler(request)
    except AuthError as error:
        return failed(401, str(error), {"WWW-Authenticate": 'Bearer realm="mjbot"'})
    except tuple(kind for kind, _ in _STATUSES) as error:
        return failed(status_for(error), str(error))
    except web.HTTPException as error:
        if not request.path.startswith("/api/") or error.status < 400:
            raise
        reason = {
            404: "No such endpoint; see /openapi.json",
            405: f"{request.method} is not allowed here",
            413: f"The body is too large (at most {request.app[MAX_BODY]} bytes)",
        }.get(error.status, error.reason)
        # RFC 9110: a 405 lists what is allowed.
        allow = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        return failed(error.status, reason, allow)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return failed(500, render.FAILED)


class AuthError(Exception):
    """No key, or one that is unknown or revoked: 401."""


class KeyAuth:
    """Resolves `Authorization: Bearer <key>` to the key's user (platform "api")."""

    def __init__(self, queries: Queries) -> None:
        self.queries = queries

    async def origin(self, request: web.Request) -> Origin:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        # Keys are printable ASCII; other bytes arrive as surrogates no hash can take.
        if scheme.lower() != "bearer" or not key or not (key.isascii() and key.isprintable()):
            raise AuthError("Send your API key as 'Authorization: Bearer <key>'")
        name = await self.queries.api_key_owner(key)
        if name is None:
            raise AuthError("This API key is unknown or revoked")
        # The key name is the user: quotas, fair share, history and banned-term scope.
        return Origin(PLATFORM, name, name)
