"""The API's answer envelope, core errors as HTTP statuses, and bearer-key authentication.

Every /api answer is `{"code": "1001", "msg": "success", "data": ...}` or
`{"code": "1002", "msg": "<what went wrong, for a person>"}` with a fitting status. The `msg`
of a failure is in the caller's language: the one the core picks for the key's user once the
request is known (`LANG`), else the client's Accept-Language, else English. "success" is a
fixed token clients compare, and stays as it is.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.adapters.http_body import BodyError
from bot.core.errors import (
    EngineUnavailable,
    JobNotFound,
    MjError,
    NotPermitted,
    QueueFull,
    QuotaExceeded,
)
from bot.core.language import (
    Lang,
    Message,
    MessageError,
    from_accept_language,
    render,
    t,
    verbatim,
)
from bot.core.queries import Queries
from bot.core.requests import Origin

PLATFORM = "api"
OK, FAILED = "1001", "1002"
MAX_BODY = web.AppKey("max_body", int)
# The request's language, once the core chose it (`request_language`).
LANG = web.RequestKey("lang", Lang)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Most specific first: QuotaExceeded and QueueFull are MjErrors too.
_STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (QuotaExceeded, 429),
    (QueueFull, 429),
    (NotPermitted, 403),
    (JobNotFound, 404),
    (EngineUnavailable, 503),
    (BodyError, 400),
    (MjError, 400),  # ParamError, PromptBlocked, --repeat limits
)


def ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        {"code": OK, "msg": "success", "data": data},
        status=status,
        dumps=lambda value: json.dumps(value, ensure_ascii=False),
    )


def request_language(request: web.Request) -> Lang:
    """The language of this request's answers (see the module docstring)."""
    chosen = request.get(LANG)
    if chosen is not None:
        return chosen
    return from_accept_language(request.headers.get("Accept-Language")) or Lang.EN


def failed(
    request: web.Request,
    status: int,
    message: Message,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.json_response(
        {"code": FAILED, "msg": render(message, request_language(request))},
        status=status,
        headers=headers,
        dumps=lambda value: json.dumps(value, ensure_ascii=False),
    )


def status_for(error: Exception) -> int:
    return next(status for kind, status in _STATUSES if isinstance(error, kind))


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals become the 1002 envelope (with aiohttp's own 404, 405 and 413 under /api)."""
    try:
        return await handler(request)
    except AuthError as error:
        challenge = {"WWW-Authenticate": 'Bearer realm="mjbot"'}
        return failed(request, 401, error.message, challenge)
    except tuple(kind for kind, _ in _STATUSES) as error:
        return failed(request, status_for(error), error.message)
    except web.HTTPException as error:
        if not request.path.startswith("/api/") or error.status < 400:
            raise
        reasons = {
            404: t("No such endpoint; see /openapi.json"),
            405: t("{method} is not allowed on {path}", method=request.method, path=request.path),
            413: t("The body is too large (at most {size} bytes)", size=request.app[MAX_BODY]),
        }
        return failed(request, error.status, reasons.get(error.status, verbatim(error.reason)))


class AuthError(MessageError):
    """No key, or one that is unknown or revoked: 401."""


class KeyAuth:
    """Resolves `Authorization: Bearer <key>` to the key's user (platform "api")."""

    def __init__(self, queries: Queries) -> None:
        self.queries = queries

    async def origin(self, request: web.Request) -> Origin:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthError(t("Send your API key as 'Authorization: Bearer <key>'"))
        key = key.strip()
        name = await self.queries.api_key_owner(key)
        if name is None:
            raise AuthError(t("This API key is unknown or revoked"))
        # The key name is the user: quotas, fair share, history and banned-term scope.
        return Origin(PLATFORM, name, name)
