"""A job's Server-Sent Events stream, and images served by their unguessable names.

SSE events, in order: `position` (queue place, as it changes), `progress` (percent, and a
preview image URL when one was made), then one of `done` (image URLs), `failed` (error) or
`cancelled`; the stream ends after it. A client that connects late first gets where the
job stands now. A comment line every 15 s keeps proxies from closing a quiet stream.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.adapters.http_errors import request_language
from bot.adapters.http_jobs import JobBoard, JobEvent, describe_prompts, final_event
from bot.adapters.http_routes import JOB_ID, ApiRoutes, image_url, public_base
from bot.core.errors import JobDeleted
from bot.core.language import Lang, Message, render, t
from bot.core.queries import JobStatus

KEEPALIVE_S = 15.0
IMAGE_DELETED = t("This image was deleted by its owner.")


class StreamRoutes:
    def __init__(self, routes: ApiRoutes, board: JobBoard) -> None:
        self.routes = routes
        self.board = board

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(f"/api/jobs/{{job_id:{JOB_ID}}}/events", self.events)
        app.router.add_get("/images/{name}", self.image)

    async def events(self, request: web.Request) -> web.StreamResponse:
        origin = await self.routes.auth.origin(request)
        await self.routes.choose_language(request, origin)
        lang = request_language(request)
        job_id = request.match_info["job_id"]
        row = await self.routes.own_row(origin, job_id)  # 404 before the stream starts
        base = public_base(request, self.routes.settings)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # nginx: pass events through at once
            }
        )
        await response.prepare(request)
        state = self.board.known(job_id)
        if JobStatus(row["status"]).finished and (state is None or state.final is None):
            # Finished before this process followed it: the last word is in SQLite.
            queries = self.routes.service.queries
            shown = await queries.shown_images(job_id)
            event = final_event(row, shown, await describe_prompts(queries, row))
            await _write(response, job_id, event, base, lang)
            return response
        snapshot, queue = self.board.subscribe(job_id)
        try:
            for event in snapshot:
                await _write(response, job_id, event, base, lang)
                if event.final:
                    return response
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                await _write(response, job_id, event, base, lang)
                if event.final:
                    return response
        finally:
            self.board.unsubscribe(job_id, queue)

    async def image(self, request: web.Request) -> web.StreamResponse:
        # Previews are in memory; stored images are found by the core, which serves nothing
        # but its own random names (no path a client sends can reach another file).
        name = request.match_info["name"]
        # Names never repeat, so an image never changes: clients and proxies may keep it.
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}
        preview = self.board.previews.get(name)
        if preview is not None:
            return web.Response(body=preview, content_type="image/png", headers=headers)
        path = self.routes.service.image_file(name)
        if path is None and await self.routes.service.image_deleted(name):
            raise JobDeleted(IMAGE_DELETED)
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={**headers, "Content-Type": "image/png"})


async def _write(
    response: web.StreamResponse, job_id: str, event: JobEvent, base: str, lang: Lang
) -> None:
    data: dict[str, Any] = {"jobId": job_id, **event.data}
    if isinstance(data.get("error"), Message):  # a failure's reason, in this client's language
        data["error"] = render(data["error"], lang)
    # Image names become URLs as they leave: the base depends on how this client called.
    if data.get("preview"):
        data["preview"] = image_url(base, data["preview"])
    if "images" in data:  # a withheld image has no name, and so no URL
        data["images"] = [name and image_url(base, name) for name in data["images"]]
    if data.get("grid"):
        data["grid"] = image_url(base, data["grid"])
    payload = json.dumps(data, ensure_ascii=False)
    await response.write(f"event: {event.name}\ndata: {payload}\n\n".encode())
