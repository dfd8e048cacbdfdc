"""What there is to pick, over HTTP: the API's /models, /themes, /styles and /loras.

    GET /api/models | /api/themes | /api/styles | /api/loras
        -> {"code": "1001", "msg": "success", "data": {"items": [{"name", "about"}, ...]}}

`about` is the line the chat front ends list: description, base family, trigger words,
default weight. The names are what the `model`, `theme` and `loras` fields (and --style) take.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.adapters.http_errors import ok, request_language
from bot.adapters.http_openapi import success_response
from bot.adapters.http_routes import ApiRoutes
from bot.core.language import render
from bot.core.lookbook import KINDS

_SUMMARIES = {
    "models": "The models the model field takes (the default first)",
    "themes": "The themes the theme field takes (presets of model, LoRAs, style, params)",
    "styles": "The style presets --style takes",
    "loras": "The LoRA styles the loras field takes, with their trigger words",
}


class LookRoutes:
    def __init__(self, routes: ApiRoutes) -> None:
        self.routes = routes

    def add_to(self, app: web.Application) -> None:
        for kind in KINDS:
            app.router.add_get(f"/api/{kind}", self.listing)

    async def listing(self, request: web.Request) -> web.Response:
        origin = await self.routes.auth.origin(request)
        await self.routes.choose_language(request, origin)
        kind = request.path.rsplit("/", 1)[-1]
        entries = await self.routes.service.looks(kind, origin)
        lang = request_language(request)
        items = [{"name": e.name, "about": render(e.about, lang)} for e in entries]
        return ok({"items": items})


def describe(document: dict[str, Any]) -> None:
    """Add the listings to the OpenAPI document."""
    item = {
        "type": "object",
        "required": ["name", "about"],
        "properties": {"name": {"type": "string"}, "about": {"type": "string"}},
    }
    items = {"type": "object", "properties": {"items": {"type": "array", "items": item}}}
    document["components"]["schemas"]["Looks"] = items
    listed = success_response({"$ref": "#/components/schemas/Looks"}, "The list")
    error = {"$ref": "#/components/responses/Failed"}
    for kind, summary in _SUMMARIES.items():
        document["paths"][f"/api/{kind}"] = {
            "get": {"summary": summary, "responses": {"200": listed, "401": error}}
        }
