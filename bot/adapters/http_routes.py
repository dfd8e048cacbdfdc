"""The /api endpoints: draw and wait (txt2img), queue and poll (jobs), cancel, delete (🗑).

Handlers translate HTTP into the core's calls and the core's rows back into JSON; the core
parses, screens, charges and queues exactly as for a chat message. A POST with an
`Idempotency-Key` header that is sent again gets the first request's jobs back
(`bot.core.retries`), as answered the first time.

Image URLs are built from MJ_PUBLIC_URL, else from the address the request arrived at (the
bound socket's), never from the Host header: a client must not choose the host of the URLs
that others are given, nor break a request it has already paid for with a malformed one.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Any

from aiohttp import web

from bot.adapters.http_body import BodyError, parse_body, read_json
from bot.adapters.http_errors import LANG, KeyAuth, failed, ok, request_language
from bot.adapters.http_jobs import JobBoard, JobState, image_name, safety_json, shown_names
from bot.adapters.settings import HttpSettings
from bot.core.delivery import failure_reason
from bot.core.errors import EngineUnavailable
from bot.core.language import from_accept_language, render, t, verbatim
from bot.core.queries import JobStatus, not_deleted
from bot.core.render import job_loras, status_name
from bot.core.requests import Incoming, Origin, RequestKey
from bot.core.retries import fingerprint
from bot.core.service import MjService

CANCEL_WAIT_S = 10.0  # a running job stops within a step; answer with its final state if so
JOB_ID = r"[a-z0-9]{1,40}"
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")  # visible ASCII, as the header can carry it


def request_key(request: web.Request, body: Any) -> RequestKey | None:
    """The retry key a POST's Idempotency-Key header names, bound to the request it came
    with (its path and body); None without the header."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise BodyError(t("Idempotency-Key must be 1 to 255 visible ASCII characters"))
    return RequestKey(key, fingerprint(request.path, body))


def incoming_of(request: web.Request, origin: Origin, body: Any) -> Incoming:
    """A POST as the core's request, with its retry key (`request_key`)."""
    return Incoming(origin, origin.user_id, key=request_key(request, body))


class ApiRoutes:
    def __init__(
        self, service: MjService, board: JobBoard, auth: KeyAuth, settings: HttpSettings
    ) -> None:
        self.service = service
        self.board = board
        self.auth = auth
        self.settings = settings

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/api/txt2img", self.txt2img)
        app.router.add_post("/api/jobs", self.create_job)
        app.router.add_get(f"/api/jobs/{{job_id:{JOB_ID}}}", self.get_job)
        app.router.add_delete(f"/api/jobs/{{job_id:{JOB_ID}}}", self.delete_job)
        app.router.add_post(f"/api/jobs/{{job_id:{JOB_ID}}}/cancel", self.cancel_job)

    # endpoints ---------------------------------------------------------------------------
    async def txt2img(self, request: web.Request) -> web.Response:
        """Queue the drawing and answer once its images are stored (or it failed)."""
        origin, job_ids = await self._submit(request)
        # States are taken now, before any await, so a finished one cannot be dropped first.
        states = [self.board.state(job_id) for job_id in job_ids]
        for job_id, state in zip(job_ids, states, strict=True):
            row = await self.own_row(origin, job_id)
            if not JobStatus(row["status"]).finished:  # a retry's jobs may be long done
                await state.settled.wait()
        jobs = [await self.job_json(request, origin, job_id) for job_id in job_ids]
        for job in jobs:
            if job["status"] == JobStatus.FAILED.value:
                failure = t(
                    "Job {job_id} failed: {reason} Your credits for it are refunded.",
                    job_id=job["jobId"],
                    reason=verbatim(job["error"]),
                )
                return failed(request, 500, failure)
            if job["status"] == JobStatus.CANCELLED.value:
                cancelled = t("Job {job_id} was cancelled.", job_id=job["jobId"])
                return failed(request, 409, cancelled)
        return ok(
            {
                "images": [url for job in jobs for url in job["images"]],
                "jobId": job_ids[0],
                "jobIds": job_ids,
                "prompt": jobs[0]["prompt"],
                "translatedPrompt": jobs[0]["translatedPrompt"],
                "seeds": [seed for job in jobs for seed in job["seeds"]],
                "safety": [verdict for job in jobs for verdict in job["safety"]],
            }
        )

    async def create_job(self, request: web.Request) -> web.Response:
        """Queue the drawing and answer at once; follow it with GET or its event stream."""
        origin, job_ids = await self._submit(request)
        job = await self.job_json(request, origin, job_ids[0])
        return ok({**job, "jobIds": job_ids}, status=202)

    async def get_job(self, request: web.Request) -> web.Response:
        origin = await self.auth.origin(request)
        await self.choose_language(request, origin)
        return ok(await self.job_json(request, origin, request.match_info["job_id"]))

    async def cancel_job(self, request: web.Request) -> web.Response:
        origin = await self.auth.origin(request)
        await self.choose_language(request, origin)
        job_id = request.match_info["job_id"]
        row = await self.own_row(origin, job_id)
        if JobStatus(row["status"]).finished:
            done = t(
                "Job {job_id} is already {status}.",
                job_id=job_id,
                status=status_name(row["status"]),
            )
            return failed(request, 409, done)
        state = self.board.state(job_id)
        await self.service.cancel(origin, job_id)
        try:
            await asyncio.wait_for(state.settled.wait(), CANCEL_WAIT_S)
        except TimeoutError:
            return ok(await self.job_json(request, origin, job_id), status=202)  # still stopping
        return ok(await self.job_json(request, origin, job_id))

    async def delete_job(self, request: web.Request) -> web.Response:
        """🗑: the job's images and files removed, as the chat button does; the job stays, as
        deleted (GET answers 410 from now on, and so does a second DELETE)."""
        origin = await self.auth.origin(request)
        await self.choose_language(request, origin)
        job_id = request.match_info["job_id"]
        await self.service.delete(origin, job_id)
        row = await self.service.queries.own_job(origin, job_id)
        return ok({"jobId": job_id, "deletedAt": row["deleted_at"]})

    # helpers -------------------------------------------------------------------------------
    async def _submit(self, request: web.Request) -> tuple[Origin, list[str]]:
        origin = await self.auth.origin(request)
        await self.choose_language(request, origin)
        body = await read_json(request)
        order = parse_body(body, self.service.settings.models.names)
        keyed = incoming_of(request, origin, body)
        if not self.service.health().alive:
            raise EngineUnavailable(t("The drawing engine is not running; try again later."))
        incoming = await self.choose_language(request, origin, order.prompt, keyed)
        job_ids = await self.service.imagine(
            incoming, order.prompt, fields=order.fields, images=order.count
        )
        return origin, job_ids

    async def choose_language(
        self,
        request: web.Request,
        origin: Origin,
        prompt: str | None = None,
        keyed: Incoming | None = None,
    ) -> Incoming:
        """The key's user as the core sees this request (`keyed`: with its retry key), with
        the language its answers take (its Accept-Language, and the prompt's script once there
        is one): kept for the error middleware and what this request renders."""
        locale = from_accept_language(request.headers.get("Accept-Language"))
        base = keyed or Incoming(origin, origin.user_id)
        incoming = replace(base, text=prompt, locale=locale)
        request[LANG] = await self.service.language(incoming)
        return incoming

    async def own_row(self, origin: Origin, job_id: str) -> dict[str, Any]:
        """The job's row if it is this key's; other keys' jobs do not exist for it, and a
        deleted one is gone (JobDeleted: 410)."""
        return not_deleted(await self.service.queries.own_job(origin, job_id))

    async def job_json(self, request: web.Request, origin: Origin, job_id: str) -> dict[str, Any]:
        """A job as the API shows it: SQLite for what is settled, the board for what is live."""
        base = public_base(request, self.settings)
        row = await self.own_row(origin, job_id)
        shown = await self.service.queries.shown_images(job_id)
        # A describe's answer: its prompts (with --ar) and their Chinese glosses, if any.
        suggestions = await self.service.queries.suggestions(job_id)
        described = row["action"] == "describe"
        glosses = [s.gloss for s in suggestions]
        state: JobState | None = self.board.known(job_id)
        status = JobStatus(row["status"])
        live = state is not None and not status.finished
        progress = 100 if status is JobStatus.DONE else (state.percent if live else None)
        preview = state.preview if live and state.preview else None
        return {
            "jobId": job_id,
            "status": status.value,
            "position": state.position if live else None,
            "progress": progress,
            "preview": image_url(base, preview) if preview else None,
            # A blurred image's URL is its blurred copy's; a withheld one has none (null).
            "images": [name and image_url(base, name) for name in shown_names(shown)],
            "safety": safety_json(shown),
            "grid": image_url(base, image_name(row["grid_path"]))
            if row.get("grid_path")
            else None,
            "seeds": [image.seed for image in shown],
            "prompts": [s.prompt for s in suggestions] if described else None,
            "glosses": glosses if described and any(glosses) else None,
            "aspect": row["aspect"],
            "error": render(failure_reason(row), request_language(request))
            if status is JobStatus.FAILED
            else None,
            # A cancel accepted after a remote worker had run every step: done and charged.
            "cancelCameLate": bool(row.get("cancel_came_late")),
            "prompt": row["prompt"],
            # The prompt the model read: the translation, or the prompt as written.
            "translatedPrompt": row["translated_prompt"] or row["prompt"],
            "width": row["width"],
            "height": row["height"],
            # What it was drawn with, as the captions say it.
            "model": row["model"],
            "theme": row.get("theme"),
            "style": row.get("style"),
            "loras": job_loras(row),
            "sampler": row["sampler"],
            "seed": row["seed"],
            "steps": row["steps"],
            "cfg": row["cfg"],
            "clipSkip": row.get("clip_skip") or 1,
            "createdAt": row["created_at"],
            "finishedAt": row.get("finished_at"),
        }


def public_base(request: web.Request, settings: HttpSettings) -> str:
    """Where clients reach us: MJ_PUBLIC_URL behind a proxy, else the address this request
    arrived at (the bound socket's: a wildcard bind gives the interface the client used)."""
    if settings.public_url:
        return settings.public_url
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    host, port = sockname[:2] if sockname else (settings.host, settings.port)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def image_url(base: str, name: str) -> str:
    return f"{base}/images/{name}"
