"""The API's answer envelope, core errors as HTTP statuses, and bearer-key authentication.

Every /api answer is `{"code": "1001", "msg": "success", "data": ...}` or
`{"code": "1002", "msg": "<what went wrong, for a person>"}` with a fitting status. The `msg`
of a failure is in the caller's language: the one the core picks for the key's user once the
request is known (`LANG`), else the client's Accept-Language, else English. "success" is a
fixed token clients compare, and stays as it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.adapters.http_body import BodyError
from bot.core.errors import (
    EngineUnavailable,
    JobDeleted,
    JobNotFound,
    JobUnfinished,
    LinkRefused,
    MjError,
    NotPermitted,
    PromptBlocked,
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
from bot.core.render import FAILED as OOPS
from bot.core.requests import Origin
from bot.core.retries import KeyReused

log = logging.getLogger(__name__)

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
    (LinkRefused, 403),  # the region page's signed link
    # Well formed and refused by policy: forbidden, not a bad request.
    (PromptBlocked, 403),
    (JobNotFound, 404),
    (JobDeleted, 410),  # its owner deleted it (🗑): gone for good, not "never was"
    (JobUnfinished, 409),  # 🗑 of a job still queued or running: cancel it first
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
    """Refusals become the 1002 envelope (with aiohttp's own 404, 405 and 413 under /api);
    a bug becomes a logged 500 with nothing of its details, and the server serves on."""
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
            405: t("{method} is not allowed here", method=request.method),
            413: t("The body is too large (at most {size} bytes)", size=request.app[MAX_BODY]),
        }
        # RFC 9110: a 405 lists what is allowed.
        allow = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        reason = reasons.get(error.status, verbatim(error.reason))
        return failed(request, error.status, reason, allow)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return failed(request, 500, OOPS)


class AuthError(MessageError):
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
            raise AuthError(t("Send your API key as 'Authorization: Bearer <key>'"))
        name = await self.queries.api_key_owner(key)
        if name is None:
            raise AuthError(t("This API key is unknown or revoked"))
        # The key name is the user: quotas, fair share, history and banned-term scope.
        return Origin(PLATFORM, name, name)
