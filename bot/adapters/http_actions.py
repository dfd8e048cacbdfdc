"""The editing endpoints: actions on a job, /blend, and the Vary (Region) page.

    POST /api/jobs/{id}/actions   {"action", "index", "factor", "direction", "mask", "prompt"}
    POST /api/blend               {"images": [2-5 URLs], "prompt", "dimensions"}
    GET  /region/{id}?t=TOKEN     the page (static HTML: rectangle and brush over the image)
    GET  /region/{id}/info?t=     what the page shows; POST /region/{id}?t= its mask

The region page needs no API key: its link is signed by the core for one user and one image
and expires. Bodies are checked for shape here; what they mean is the core's business.
"""

from __future__ import annotations

import base64
import binascii
from importlib.resources import files
from typing import Any

from aiohttp import web

from bot.adapters.http_body import BodyError, read_json, shown
from bot.adapters.http_errors import ok
from bot.adapters.http_jobs import image_name
from bot.adapters.http_routes import JOB_ID, ApiRoutes, image_url, incoming_of, public_base
from bot.core.errors import EngineUnavailable, excerpt
from bot.core.presses import ACTION_NAMES, Order

ACTION_FIELDS = ("action", "index", "factor", "direction", "mask", "prompt")
BLEND_FIELDS = ("images", "prompt", "dimensions")
REGION_PAGE = files("bot.adapters").joinpath("static/region.html").read_text(encoding="utf-8")


async def json_body(request: web.Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BodyError("The body must be a JSON object")
    unknown = [name for name in body if name not in allowed]
    if unknown:
        fields = ", ".join(allowed)
        raise BodyError(f"Unknown field {excerpt(unknown[0])}; the fields are: {fields}")
    return body


def _optional(body: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        raise BodyError(f"{name} must be {what}, got {shown(value)}")
    return value


def png_field(value: str | None, name: str = "mask") -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise BodyError(f"{name} must be a PNG in base64") from None


def parse_order(body: dict[str, Any]) -> Order:
    action = body.get("action")
    if action not in ACTION_NAMES:
        raise BodyError(f"action must be one of {', '.join(ACTION_NAMES)}, got {shown(action)}")
    index = _optional(body, "index", int, "a whole number from 1 to 4")
    if index is not None and not 1 <= index <= 4:
        raise BodyError(f"index must be a whole number from 1 to 4, got {index}")
    factor = _optional(body, "factor", int | float, "a number from 1.0 to 2.0")
    direction = _optional(body, "direction", str, "left, right, up or down")
    prompt = _optional(body, "prompt", str, "a string")
    mask = png_field(_optional(body, "mask", str, "a PNG in base64"))
    return Order(action, index or 1, factor, direction, mask, prompt)


class EditingRoutes:
    def __init__(self, routes: ApiRoutes) -> None:
        self.routes = routes
        self.service = routes.service

    def add_to(self, app: web.Application) -> None:
        app.router.add_post(f"/api/jobs/{{job_id:{JOB_ID}}}/actions", self.action)
        app.router.add_post("/api/blend", self.blend)
        app.router.add_get(f"/region/{{job_id:{JOB_ID}}}", self.region_page)
        app.router.add_get(f"/region/{{job_id:{JOB_ID}}}/info", self.region_info)
        app.router.add_post(f"/region/{{job_id:{JOB_ID}}}", self.region_submit)

    async def action(self, request: web.Request) -> web.Response:
        """A new job from this one: like POST /api/jobs, 202 with the new job."""
        origin = await self.routes.auth.origin(request)
        body = await json_body(request, ACTION_FIELDS)
        order = parse_order(body)
        incoming = incoming_of(request, origin, body)
        self._check_engine()
        job_id = await self.service.act(incoming, request.match_info["job_id"], order)
        return ok(await self.routes.job_json(request, origin, job_id), status=202)

    async def blend(self, request: web.Request) -> web.Response:
        origin = await self.routes.auth.origin(request)
        body = await json_body(request, BLEND_FIELDS)
        images = body.get("images")
        if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
            raise BodyError("images must be a list of 2 to 5 image URLs")
        prompt = _optional(body, "prompt", str, "a string") or ""
        dimensions = _optional(body, "dimensions", str, "portrait, square or landscape")
        if any(any(c.isspace() for c in url) for url in images):
            raise BodyError("images must be URLs (without spaces)")
        text = " ".join([*images, prompt, f"--dimensions {dimensions}" if dimensions else ""])
        incoming = incoming_of(request, origin, body)
        self._check_engine()
        job_id = await self.service.blend(incoming, text.strip())
        return ok(await self.routes.job_json(request, origin, job_id), status=202)

    # the region page (no API key: the signed link is the key) ------------------------------
    async def region_page(self, request: web.Request) -> web.Response:
        return web.Response(
            text=REGION_PAGE,
            content_type="text/html",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    async def region_info(self, request: web.Request) -> web.Response:
        page = await self.service.region_page(
            request.query.get("t", ""), request.match_info["job_id"]
        )
        base = public_base(request, self.routes.settings)
        page["image"] = image_url(base, image_name(page.pop("path")))
        return web.json_response(page)

    async def region_submit(self, request: web.Request) -> web.Response:
        """The page's mask: refusals as the API's (403 for a link refused, 429 out of credits
        or a full queue, 503 no engine), each with a msg the page shows."""
        body = await json_body(request, ("mask", "prompt"))
        mask = png_field(_optional(body, "mask", str, "a PNG in base64"))
        if mask is None:
            raise BodyError("Mark a region first.")
        prompt = _optional(body, "prompt", str, "a string")
        self._check_engine()
        job_id = await self.service.region_submit(
            request.query.get("t", ""), request.match_info["job_id"], mask, prompt
        )
        text = f"Job {job_id} started: its grid arrives where you asked for the region."
        return web.json_response({"code": "1001", "msg": text, "jobId": job_id}, status=202)

    def _check_engine(self) -> None:
        if not self.service.health().alive:
            raise EngineUnavailable("The drawing engine is not running; try again later.")
