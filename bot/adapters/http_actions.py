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
import json
from importlib.resources import files
from typing import Any

from aiohttp import web

from bot.adapters.http_body import BodyError, read_json, refuse_unknown_fields, shown
from bot.adapters.http_errors import LANG, ok, request_language
from bot.adapters.http_jobs import image_name
from bot.adapters.http_routes import (
    JOB_ID,
    ApiRoutes,
    image_url,
    incoming_of,
    public_base,
    request_key,
)
from bot.core.errors import EngineUnavailable, LinkRefused
from bot.core.language import Lang, Listing, from_accept_language, render, t
from bot.core.presses import ACTION_NAMES, Order

ACTION_FIELDS = ("action", "index", "factor", "direction", "mask", "prompt")
BLEND_FIELDS = ("images", "prompt", "dimensions")
REGION_PAGE = files("bot.adapters").joinpath("static/region.html").read_text(encoding="utf-8")
# The region page's own words, in its user's language: written into the page as JSON (our
# catalogues' text only; nothing a user typed), read by its script.
PAGE_TEXTS = {
    "title": t("Vary (Region)"),
    "help": t("Mark the part of the image to repaint, then submit."),
    "rect": t("Rectangle"),
    "brush": t("Brush"),
    "size": t("Brush size"),
    "undo": t("Undo"),
    "clear": t("Clear"),
    "prompt": t("Prompt"),
    "submit": t("Submit"),
    "loading": t("Loading…"),
    "empty": t("Mark a region first."),
    "sending": t("Sending…"),
    "failed": t("Could not reach the bot. Try again."),
}
# What each field accepts, for the refusals that name it.
_WHAT = {
    "index": t("a whole number from 1 to 4"),
    "factor": t("a number from 1.0 to 2.0"),
    "direction": t("left, right, up or down"),
    "prompt": t("a string"),
    "mask": t("a PNG in base64"),
    "dimensions": t("portrait, square or landscape"),
}


async def json_body(request: web.Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BodyError(t("The body must be a JSON object"))
    refuse_unknown_fields(body, allowed)
    return body


def _optional(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        raise BodyError(
            t(
                "{name} must be {what}, got {value}",
                name=name,
                what=_WHAT[name],
                value=shown(value),
            )
        )
    return value


def png_field(value: str | None, name: str = "mask") -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise BodyError(t("{name} must be a PNG in base64", name=name)) from None


def parse_order(body: dict[str, Any]) -> Order:
    action = body.get("action")
    if action not in ACTION_NAMES:
        raise BodyError(
            t(
                "action must be one of {actions}, got {value}",
                actions=Listing.of(ACTION_NAMES, "plain"),
                value=shown(action),
            )
        )
    index = _optional(body, "index", int)
    if index is not None and not 1 <= index <= 4:
        raise BodyError(t("index must be a whole number from 1 to 4, got {index}", index=index))
    factor = _optional(body, "factor", int | float)
    direction = _optional(body, "direction", str)
    prompt = _optional(body, "prompt", str)
    mask = png_field(_optional(body, "mask", str))
    return Order(action, index or 1, factor, direction, mask, prompt)


def page_texts(lang: Lang) -> str:
    """The page's words as JSON that is safe inside a <script> element."""
    texts = {key: render(message, lang) for key, message in PAGE_TEXTS.items()}
    encoded = json.dumps({"lang": lang.value, **texts}, ensure_ascii=False)
    return encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
        await self.routes.choose_language(request, origin)
        body = await json_body(request, ACTION_FIELDS)
        order = parse_order(body)
        keyed = incoming_of(request, origin, body)
        incoming = await self.routes.choose_language(request, origin, keyed=keyed)
        self._check_engine()
        job_id = await self.service.act(incoming, request.match_info["job_id"], order)
        return ok(await self.routes.job_json(request, origin, job_id), status=202)

    async def blend(self, request: web.Request) -> web.Response:
        origin = await self.routes.auth.origin(request)
        await self.routes.choose_language(request, origin)
        body = await json_body(request, BLEND_FIELDS)
        images = body.get("images")
        if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
            raise BodyError(t("images must be a list of 2 to 5 image URLs"))
        prompt = _optional(body, "prompt", str) or ""
        dimensions = _optional(body, "dimensions", str)
        if any(any(c.isspace() for c in url) for url in images):
            raise BodyError(t("images must be URLs (without spaces)"))
        text = " ".join([*images, prompt, f"--dimensions {dimensions}" if dimensions else ""])
        keyed = incoming_of(request, origin, body)
        self._check_engine()
        incoming = await self.routes.choose_language(request, origin, prompt, keyed)
        job_id = await self.service.blend(incoming, text.strip())
        return ok(await self.routes.job_json(request, origin, job_id), status=202)

    # the region page (no API key: the signed link is the key) ------------------------------
    async def region_page(self, request: web.Request) -> web.Response:
        await self._link_language(request)
        page = REGION_PAGE.replace("{{TEXTS}}", page_texts(request_language(request)))
        return web.Response(
            text=page,
            content_type="text/html",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    async def region_info(self, request: web.Request) -> web.Response:
        await self._link_language(request)
        page = await self.service.region_page(
            request.query.get("t", ""), request.match_info["job_id"]
        )
        base = public_base(request, self.routes.settings)
        page["image"] = image_url(base, image_name(page.pop("path")))
        return web.json_response(page)

    async def region_submit(self, request: web.Request) -> web.Response:
        """The page's mask: refusals as the API's (403 for a link refused, 429 out of credits
        or a full queue, 503 no engine), each with a msg the page shows. The page sends an
        Idempotency-Key per submit: a resent submit gets the first one's job, charged once."""
        await self._link_language(request)
        body = await json_body(request, ("mask", "prompt"))
        mask = png_field(_optional(body, "mask", str))
        if mask is None:
            raise BodyError(PAGE_TEXTS["empty"])
        prompt = _optional(body, "prompt", str)
        key = request_key(request, body)
        self._check_engine()
        job_id = await self.service.region_submit(
            request.query.get("t", ""), request.match_info["job_id"], mask, prompt, key
        )
        started = t(
            "Job {job_id} started: its grid arrives where you asked for the region.",
            job_id=job_id,
        )
        answer = {"code": "1001", "msg": render(started, request_language(request))}
        return web.json_response({**answer, "jobId": job_id}, status=202)

    async def _link_language(self, request: web.Request) -> None:
        """The page speaks its user's language (a link not good any more: the browser's)."""
        locale = from_accept_language(request.headers.get("Accept-Language"))
        token, job_id = request.query.get("t", ""), request.match_info["job_id"]
        try:
            request[LANG] = await self.service.link_language(token, job_id, locale)
        except LinkRefused:
            request[LANG] = locale or Lang.EN

    def _check_engine(self) -> None:
        if not self.service.health().alive:
            raise EngineUnavailable(t("The drawing engine is not running; try again later."))
