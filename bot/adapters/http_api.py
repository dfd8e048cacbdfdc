"""The HTTP API adapter: aiohttp in the bot's own event loop, one more front end of the core.

    open_http_api(app, settings) -> HttpApi     registers the "api" sink; start() / stop()

Endpoints (see http_openapi for the full description):
    POST /api/txt2img, POST /api/jobs, GET|DELETE /api/jobs/{id}, GET /api/jobs/{id}/events
    GET /images/{name}, GET /healthz, GET /metrics, GET /openapi.json

Several front ends in one process: open each (this registers its sink), then call
`service.start()` once, so jobs resumed after a restart find every sink.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web

from bot.adapters.http_errors import MAX_BODY, PLATFORM, KeyAuth, error_middleware
from bot.adapters.http_jobs import JobBoard
from bot.adapters.http_metrics import metrics
from bot.adapters.http_openapi import openapi
from bot.adapters.http_routes import ApiRoutes
from bot.adapters.http_stream import StreamRoutes
from bot.app import App
from bot.config import Settings

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("mjbot")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0"


def build_http_app(app: App, settings: Settings) -> web.Application:
    """The aiohttp application over `app`'s core; registers the "api" ReplySink."""
    service = app.service
    board = JobBoard(service.queries)
    service.register_sink(PLATFORM, board, preview_every_s=settings.http_preview_every_s)
    web_app = web.Application(
        client_max_size=settings.http_max_body, middlewares=[error_middleware]
    )
    web_app[MAX_BODY] = settings.http_max_body
    routes = ApiRoutes(service, board, KeyAuth(service.queries), settings)
    routes.add_to(web_app)
    StreamRoutes(routes, board, settings).add_to(web_app)
    document = openapi(_version())

    async def healthz(request: web.Request) -> web.Response:
        alive = service.engine.is_alive()
        workers = service.engine.workers()
        ready = sum(worker.alive for worker in workers)
        # No worker ready: jobs still queue (200), and the status says why none start.
        status = "ok" if ready else "no worker alive"
        return web.json_response(
            {
                "status": status if alive else "engine stopped",
                "queue": service.engine.waiting_count(),
                "workers": {"alive": ready, "total": len(workers)},
            },
            status=200 if alive else 503,
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


async def open_http_api(app: App, settings: Settings) -> HttpApi:
    """Build the API over `app` and return its (not yet started) server handle."""
    return HttpApi(build_http_app(app, settings), settings.http_host, settings.http_port)
