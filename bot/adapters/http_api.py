"""The HTTP API adapter: aiohttp in the bot's own event loop, one more front end of the core.

    open_http_api(service, settings) -> HttpApi     registers the "api" sink; start() / stop()
    HttpFrontEnd(service, settings)                 the same as the launcher runs it

Endpoints (see http_openapi for the full description):
    POST /api/txt2img, POST /api/jobs, GET|DELETE /api/jobs/{id}, POST /api/jobs/{id}/cancel,
    GET /api/jobs/{id}/events, POST /api/jobs/{id}/actions, POST /api/blend,
    GET|POST /region/{id} (http_actions)
    GET /api/models, /api/themes, /api/styles, /api/loras (http_looks)
    POST /api/describe (an image file or URL -> four prompts; http_describe)
    GET /images/{name}, GET /healthz, GET /metrics, GET /openapi.json

Several front ends in one process (`bot.runner`): open each (this registers its sink), then
call `service.start()` once, so jobs resumed after a restart find every sink.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Self

from aiohttp import web

from bot.adapters.front_end import FrontEndError, wait_forever
from bot.adapters.http_actions import EditingRoutes
from bot.adapters.http_actions_openapi import describe
from bot.adapters.http_describe import DescribeRoutes, add_to_openapi
from bot.adapters.http_errors import MAX_BODY, PLATFORM, KeyAuth, error_middleware
from bot.adapters.http_jobs import JobBoard
from bot.adapters.http_looks import LookRoutes
from bot.adapters.http_looks import describe as describe_looks
from bot.adapters.http_metrics import metrics
from bot.adapters.http_openapi import ApiLimits, openapi
from bot.adapters.http_routes import ApiRoutes
from bot.adapters.http_stream import StreamRoutes
from bot.adapters.settings import HttpSettings
from bot.core.service import MjService

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("mjbot")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0"


def build_http_app(service: MjService, settings: HttpSettings) -> web.Application:
    """The aiohttp application over the core; registers the "api" ReplySink."""
    board = JobBoard(service.queries)
    service.register_sink(PLATFORM, board, preview_every_s=settings.preview_every_s)
    web_app = web.Application(client_max_size=settings.max_body, middlewares=[error_middleware])
    web_app[MAX_BODY] = settings.max_body
    routes = ApiRoutes(service, board, KeyAuth(service.queries), settings)
    routes.add_to(web_app)
    StreamRoutes(routes, board).add_to(web_app)
    EditingRoutes(routes).add_to(web_app)
    LookRoutes(routes).add_to(web_app)
    DescribeRoutes(routes, board).add_to(web_app)
    themes, loras = service.look_names()
    limits = ApiLimits(
        service.model_steps(), service.settings.limits.max_prompt_chars, themes, loras
    )
    document = openapi(_version(), limits)
    describe(document)
    add_to_openapi(document)
    describe_looks(document)

    async def healthz(request: web.Request) -> web.Response:
        health = service.health()
        # No worker ready: jobs still queue (200), and the status says why none start.
        status = "ok" if health.workers_alive else "no worker alive"
        return web.json_response(
            {
                "status": status if health.alive else "engine stopped",
                "queue": health.waiting,
                "workers": {"alive": health.workers_alive, "total": len(health.workers)},
            },
            status=200 if health.alive else 503,
        )

    async def openapi_json(request: web.Request) -> web.Response:
        return web.json_response(document)

    async def metrics_text(request: web.Request) -> web.Response:
        return await metrics(request, service)

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_text)
    web_app.router.add_get("/openapi.json", openapi_json)
    return web_app


class HttpApi:
    """The running server's handle: `start()` binds and serves, `stop()` closes connections."""

    def __init__(self, web_app: web.Application, host: str, port: int) -> None:
        self.web_app = web_app
        self.host = host
        self.port = port
        self._runner = web.AppRunner(web_app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        # Port 0 picks a free port: report the one the system gave.
        if self._runner.addresses:
            self.port = self._runner.addresses[0][1]
        log.info("HTTP API listening on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


async def open_http_api(service: MjService, settings: HttpSettings) -> HttpApi:
    """Build the API over the core and return its (not yet started) server handle."""
    return HttpApi(build_http_app(service, settings), settings.host, settings.port)


class HttpFrontEnd:
    """The launcher's handle (`bot.adapters.front_end`): listening from entry to exit."""

    name = PLATFORM

    def __init__(self, service: MjService, settings: HttpSettings) -> None:
        self.service = service
        self.settings = settings
        self.api: HttpApi | None = None

    @property
    def ready(self) -> str:
        return f"HTTP API on {self.api.url}" if self.api else "HTTP API"

    async def __aenter__(self) -> Self:
        api = await open_http_api(self.service, self.settings)
        try:
            await api.start()
        except OSError as error:  # the port is taken, or the host is not ours
            await api.stop()
            where = f"{self.settings.host}:{self.settings.port}"
            raise FrontEndError(f"Cannot listen on {where}: {error}") from None
        self.api = api
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        if self.api is not None:
            await self.api.stop()

    async def serve(self) -> None:
        await wait_forever()  # aiohttp's server answers in tasks of its own
