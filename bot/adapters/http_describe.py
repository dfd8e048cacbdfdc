"""POST /api/describe: four prompts for an image, answered once they are ready.

The image comes as a file (multipart/form-data, a field `image`) or by its URL (JSON
`{"url": ...}`, or a form field `url`, urlencoded or multipart), which the core fetches as
safely as an image prompt;
`gloss` (true/false, default false) asks for a Chinese gloss of each prompt. The core checks,
charges and queues it exactly as a chat's /describe; the job is then like any other on
`/api/jobs/{id}` (its prompts in `prompts`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import BodyPartReader, web

from bot.adapters.http_body import BodyError, read_json
from bot.adapters.http_errors import failed, ok
from bot.adapters.http_jobs import JobBoard
from bot.adapters.http_openapi import IDEMPOTENCY_HEADER, JOB_LINKS
from bot.adapters.http_routes import ApiRoutes, incoming_of
from bot.core.errors import EngineUnavailable, excerpt
from bot.core.image_fetch import MAX_BYTES
from bot.core.language import t
from bot.core.queries import JobStatus

MAX_URL = 2000
_HOW = t('Send the image as multipart/form-data (a file field "image") or JSON {{"url": "..."}}.')
FORM_SLACK = 64 * 1024  # multipart headers and the small fields beside the image
FIELDS = ("image", "url", "gloss")
TOO_LARGE = t("The image is larger than {size} MB.", size=MAX_BYTES // 10**6)


class TooLarge(BodyError):
    """An image (or a field) over its limit: 413."""


@dataclass(frozen=True, slots=True)
class DescribeOrder:
    image: bytes | None  # the file sent, or None for a URL
    url: str | None
    gloss: bool


class DescribeRoutes:
    def __init__(self, routes: ApiRoutes, board: JobBoard) -> None:
        self.routes = routes
        self.board = board

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/api/describe", self.describe)

    async def describe(self, request: web.Request) -> web.Response:
        origin = await self.routes.auth.origin(request)
        await self.routes.choose_language(request, origin)
        if (request.content_length or 0) > MAX_BYTES + FORM_SLACK:
            return failed(request, 413, TOO_LARGE)
        try:
            order = await read_order(request)
        except TooLarge as error:
            return failed(request, 413, error.message)
        # A retry (Idempotency-Key) is the same request: the same URL or image, the same gloss.
        image = order.image and hashlib.sha256(order.image).hexdigest()
        request_body = {"url": order.url, "gloss": order.gloss, "image": image}
        keyed = replace(incoming_of(request, origin, request_body), image=order.image)
        incoming = await self.routes.choose_language(request, origin, keyed=keyed)
        service = self.routes.service
        if not service.health().alive:
            raise EngineUnavailable(t("The drawing engine is not running; try again later."))
        job_id = await service.describe(incoming, order.url or "", gloss=order.gloss)
        await self.board.state(job_id).settled.wait()
        job = await self.routes.job_json(request, origin, job_id)
        if job["status"] == JobStatus.FAILED.value:
            # The reason is rendered in this request's language already.
            reason = job["error"]
            return failed(
                request, 500, t("Job {job_id} failed: {reason}", job_id=job_id, reason=reason)
            )
        if job["status"] == JobStatus.CANCELLED.value:
            return failed(request, 409, t("Job {job_id} was cancelled.", job_id=job_id))
        keys = ("jobId", "prompts", "glosses", "aspect")
        return ok({key: job[key] for key in keys})


async def read_order(request: web.Request) -> DescribeOrder:
    """The image (or its URL) and the gloss flag, from either kind of body; BodyError else."""
    if request.content_type == "multipart/form-data":
        fields = await _form(request)
    elif request.content_type == "application/x-www-form-urlencoded":
        try:
            fields = dict(await request.post())
        except ValueError:  # text that is not in its charset
            raise BodyError(
                t(
                    'Send the image as multipart/form-data (a file field "image") or JSON '
                    '{{"url": "..."}}: the form could not be read.'
                )
            ) from None
    elif request.content_type == "application/json":
        fields = await read_json(request)  # strict: no NaN, no numbers or nesting beyond use
        if not isinstance(fields, dict) or "image" in fields:
            raise BodyError(
                t(
                    'Send the image as multipart/form-data (a file field "image") or JSON '
                    '{{"url": "..."}}; JSON carries a "url", not the image.'
                )
            )
    else:
        raise BodyError(_HOW)
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise BodyError(
            t(
                "Unknown field {name}: the fields are image, url and gloss.",
                name=excerpt(unknown[0]),
            )
        )
    url, image = fields.get("url"), fields.get("image")
    if url is not None and (not isinstance(url, str) or not 0 < len(url.strip()) <= MAX_URL):
        raise BodyError(
            t("url must be an http(s) URL of at most {most} characters.", most=MAX_URL)
        )
    if (url is None) == (image is None):
        raise BodyError(
            t(
                'Send the image as multipart/form-data (a file field "image") or JSON '
                '{{"url": "..."}}: one image, as a file or a URL.'
            )
        )
    return DescribeOrder(image, url.strip() if url else None, _gloss(fields.get("gloss")))


async def _form(request: web.Request) -> dict[str, Any]:
    """The form's fields: the image's bytes (at most MAX_BYTES, read as they stream in), the
    others as text."""
    try:
        return await _parts(request)
    except BodyError:
        raise
    except (KeyError, ValueError):  # no boundary, or a body that does not follow its own
        raise BodyError(
            t(
                'Send the image as multipart/form-data (a file field "image") or JSON '
                '{{"url": "..."}}: a multipart body with its boundary.'
            )
        ) from None


async def _parts(request: web.Request) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            raise BodyError(
                t(
                    'Send the image as multipart/form-data (a file field "image"): a flat form, '
                    "each field named."
                )
            )
        if part.name in fields:
            raise BodyError(
                t("The field {name} is given twice; send one.", name=excerpt(part.name))
            )
        limit = MAX_BYTES if part.name == "image" else 4 * MAX_URL
        data = await _capped(part, limit)
        fields[part.name] = data if part.name == "image" else data.decode("utf-8", "replace")
    return fields


async def _capped(part: BodyPartReader, limit: int) -> bytes:
    body = bytearray()
    while chunk := await part.read_chunk():
        body += chunk
        if len(body) > limit:  # stop reading now: nothing more of it is needed
            too_long = t("{name} is too long.", name=part.name or "")
            raise TooLarge(TOO_LARGE if part.name == "image" else too_long)
    return bytes(body)


def _gloss(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise BodyError(t("gloss must be true or false."))


def add_to_openapi(document: dict[str, Any]) -> None:
    """Add this endpoint to the OpenAPI document (`bot.adapters.http_openapi`)."""
    error = {"$ref": "#/components/responses/Failed"}
    statuses = ("400", "401", "403", "409", "413", "429", "500", "503")
    answer = {
        "type": "object",
        "required": ["code", "msg", "data"],
        "properties": {"code": {"const": "1001"}, "msg": {"const": "success"}, "data": _PROMPTS},
    }
    document["paths"]["/api/describe"] = {
        "post": {
            "summary": "Four prompts for an image, answered when they are ready",
            "description": (
                "The image as a file (multipart/form-data, field image) or by URL; each prompt "
                "ends in the image's --ar. Charged and queued like a job; banned terms never "
                "appear in a prompt."
            ),
            "parameters": [IDEMPOTENCY_HEADER],
            "requestBody": _BODY,
            "responses": {
                "200": {
                    "description": "The prompts",
                    "content": {"application/json": {"schema": answer}},
                    "links": JOB_LINKS,
                },
                **{status: error for status in statuses},
            },
        }
    }


_TEXT_FIELDS = {
    "url": {"type": "string", "minLength": 1, "maxLength": MAX_URL, "format": "uri"},
    "gloss": {"type": "boolean", "default": False, "description": "Chinese glosses"},
}
_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "image": {
                        "type": "string",
                        "format": "binary",
                        "description": "PNG, JPEG, WebP, GIF or BMP, at most 10 MB",
                    },
                    **_TEXT_FIELDS,
                },
                "description": "image or url, not both",
            }
        },
        **{
            kind: {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["url"],
                    "properties": _TEXT_FIELDS,
                }
            }
            for kind in ("application/json", "application/x-www-form-urlencoded")
        },
    },
}
_PROMPTS = {
    "type": "object",
    "required": ["jobId", "prompts", "aspect"],
    "properties": {
        "jobId": {"type": "string"},
        "prompts": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
        "glosses": {"type": ["array", "null"], "items": {"type": "string"}},
        "aspect": {"type": "string", "pattern": "^[0-9]+:[0-9]+$"},
    },
}
