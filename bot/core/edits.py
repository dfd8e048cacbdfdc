"""The editing actions on a result (Zoom Out, Pan, Make Square, Vary (Region)), /blend and 🗑.

An edit prepares a canvas and mask from the parent's image (engine.canvas), stores both with
the job (so a restart can rebuild it), and queues an inpainting job of its own grid, charged
like any job for the steps it runs; the row records its parent, the image and the action's
values (`action_json`). Which button means what is `bot.core.buttons` and `bot.core.editing`.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, replace
from typing import Any

from bot.core.accounts import Accounts
from bot.core.actions import request_from_json
from bot.core.buttons import JobKind
from bot.core.drawing import Drawing, Record
from bot.core.editing import (
    VARY_REGION,
    ZOOM_OUT,
    Edit,
    edit_spec,
    plan_for,
    split_dimensions,
)
from bot.core.errors import (
    ImagePromptError,
    JobNotFound,
    JobUnfinished,
    MjError,
    ParamError,
)
from bot.core.image_fetch import fetch_image, load_image, load_mask
from bot.core.jobs import build_spec, new_job_id, new_seed
from bot.core.params import MjRequest, normalize_input
from bot.core.params_tokens import split_image_urls
from bot.core.queries import JobStatus, Queries, not_deleted
from bot.core.quota import job_credits
from bot.core.region_links import RegionLinks
from bot.core.render import status_name
from bot.core.requests import Incoming, Origin, Reply, ReplyKind, Responder
from bot.core.settings import CoreSettings
from engine.canvas import (
    CanvasError,
    CanvasPlan,
    box_mask,
    mask_from_drawing,
    place_source,
    thirds_mask,
)
from engine.job import spec_from_dict
from i18n import Lang, parse_tag, t, verbatim
from storage.images import ImageStore
from storage.store import AsyncStore

BLEND_IMAGES = (2, 5)
LINK_SECRET = "region-links"


@dataclass(frozen=True, slots=True)
class EditRequest:
    edit: Edit
    index: int = 1  # the parent's image (an upscale's only image is 1)
    prompt: str | None = None  # a new /mj text (Remix, Custom Zoom): prompt and params
    cells: frozenset[int] | None = None  # Vary (Region) by thirds
    mask: bytes | None = None  # Vary (Region) by a drawn mask (PNG)


class Edits:
    def __init__(
        self,
        settings: CoreSettings,
        store: AsyncStore,
        images: ImageStore,
        queries: Queries,
        accounts: Accounts,
        drawing: Drawing,
    ) -> None:
        self.settings = settings
        self.store = store
        self.images = images
        self.queries = queries
        self.accounts = accounts
        self.drawing = drawing
        self._links: RegionLinks | None = None

    # the region page's links ------------------------------------------------------------------
    async def links(self) -> RegionLinks:
        if self._links is None:
            secret = await self.store.run(lambda s: s.editing.secret(LINK_SECRET))
            ttl_s = self.settings.actions.region_link_ttl_min * 60
            self._links = RegionLinks(secret, ttl_s)
        return self._links

    async def region_link(self, origin: Origin, job_id: str) -> str | None:
        """The signed page link for `origin`'s user and this job; None without HTTP pages."""
        base = self.settings.region_page_url
        if base is None:
            return None
        token = (await self.links()).token(origin.user_key, job_id)
        return f"{base}/region/{job_id}?t={token}"

    async def linked_job(self, token: str, job_id: str) -> tuple[Origin, dict[str, Any]]:
        """The job a region page link is for, and who may act on it (as the job's origin)."""
        user_key = (await self.links()).check(token, job_id)
        job = await self.queries.job(job_id)
        if job is None or f"{job['platform']}:{job['platform_user_id']}" != user_key:
            raise JobNotFound(t("There is no job {job_id}.", job_id=job_id))
        return job_origin(job), job

    # edits ------------------------------------------------------------------------------------
    async def run(
        self, incoming: Incoming, job: dict[str, Any], request: EditRequest, respond: Responder
    ) -> str:
        """Queue the edit of `job`'s image; returns the new job's id. MjError when refused."""
        image = await self._image(job, request.index)
        parent = spec_from_dict(json.loads(job["spec_json"]))
        profile = self.drawing.engine.profile(parent.model)
        plan = plan_for(request.edit, image.width, image.height, profile)
        source = self.images.absolute(image.path)
        canvas, mask = await asyncio.to_thread(self._prepare, source, plan, request)
        user = await self.accounts.user(incoming.origin, incoming.user_name)
        details = _details(request, [canvas, mask])
        base, parsed, mj_text, written = parent, None, job["mj_text"], None
        if request.prompt:
            base, parsed, mj_text, written = await self.drawing.remixed(
                incoming, request.prompt, parent
            )
        seed = image.seed if image.seed is not None else new_seed()
        spec = edit_spec(
            base,
            job_id=new_job_id(),
            plan=plan,
            canvas=canvas,
            mask=mask,
            seed=seed,
            images=self.settings.limits.images_per_job,
            weight=self.accounts.tier(user).weight,
        )
        if parsed is None:
            parsed = request_from_json(json.loads(job["params_json"]))
            written = job["prompt"] if job["translated_prompt"] else None
        record = Record(
            _sized(parsed, plan),
            mj_text,
            request.edit.kind,
            job["id"],
            written,
            request.index,
            details,
        )
        credits = job_credits(spec, self.drawing.engine.profile(spec.model))
        return await self.drawing.enqueue(incoming, spec, record, user, credits, respond)

    async def _image(self, job: dict[str, Any], index: int) -> Any:
        not_deleted(job)
        if JobStatus(job["status"]) is not JobStatus.DONE:
            raise MjError(
                t(
                    "Job {job_id} is {status}: it has no images yet.",
                    job_id=job["id"],
                    status=status_name(job["status"]),
                )
            )
        images = await self.queries.job_images(job["id"])
        image = next((i for i in images if i.image_index == index), None)
        if image is None:
            raise MjError(t("Job {job_id} has no image {number}.", job_id=job["id"], number=index))
        return image

    def _prepare(self, source: Any, plan: CanvasPlan, request: EditRequest) -> tuple[str, str]:
        """The canvas and its mask, stored (worker thread: image work and file writes)."""
        from PIL import Image

        with Image.open(source) as opened:
            canvas = place_source(opened, plan)
        if request.edit.kind != VARY_REGION:
            mask = box_mask(plan)
        elif request.mask is not None:
            try:
                mask = mask_from_drawing(load_mask(request.mask), plan.width, plan.height)
            except ValueError as error:
                reason = error.message if isinstance(error, CanvasError) else verbatim(str(error))
                raise ParamError(t("Vary (Region): {reason}.", reason=reason)) from None
        elif request.cells:
            mask = thirds_mask(plan.width, plan.height, request.cells)
        else:
            raise ParamError(t("Vary (Region) needs the region: a mask, or cells 1 to 9."))
        return self.images.save_png(canvas).path, self.images.save_png(mask).path

    # 🗑 ----------------------------------------------------------------------------------------
    async def delete(self, job: dict[str, Any]) -> Reply:
        """Remove a result's images and files (the job and its ledger rows stay). Deleted
        already: JobDeleted; still queued or running: JobUnfinished."""
        not_deleted(job)
        if not JobStatus(job["status"]).finished:
            raise JobUnfinished(
                t(
                    "Job {job_id} is {status}: cancel it first.",
                    job_id=job["id"],
                    status=status_name(job["status"]),
                )
            )
        own = json.loads(job.get("action_json") or "{}").get("files", [])
        paths = await self.store.run(lambda s: s.editing.delete_output(job["id"], own))
        await asyncio.to_thread(self.images.remove, paths)
        deleted = t("Job {job_id} deleted.", job_id=job["id"])
        return Reply(ReplyKind.DELETED, deleted, job["id"], ephemeral=True)

    # /blend -------------------------------------------------------------------------------------
    async def blend(
        self, incoming: Incoming, text: str, respond: Responder | None, attached: list[bytes]
    ) -> str:
        """2-5 images (URLs leading the text, and attachments) mixed into one grid."""
        rest, aspect = split_dimensions(normalize_input(text))
        urls, prompt_text = split_image_urls(rest)
        count = len(urls) + len(attached)
        low, high = BLEND_IMAGES
        if not low <= count <= high:
            raise ImagePromptError(
                t(
                    "/blend mixes {low} to {high} images (URLs first, or attachments); got "
                    "{count}.",
                    low=low,
                    high=high,
                    count=count,
                )
            )
        mj_text = f"{prompt_text} --ar {aspect}".strip()
        request, translation = await self.drawing.prepare(incoming, mj_text, allow_empty=True)
        limits = self.settings.image_prompts
        downloads = [
            await fetch_image(
                url, timeout_s=limits.fetch_timeout_s, allow_private=limits.allow_private_urls
            )
            for url in urls
        ]
        paths = await asyncio.to_thread(
            lambda: [self.images.save_png(load_image(data)).path for data in downloads + attached]
        )
        models = self.settings.models
        profile = self.drawing.engine.profile(request.model or models.default)
        user = await self.accounts.user(incoming.origin, incoming.user_name)
        spec = build_spec(
            new_job_id(),
            incoming.origin,
            request,
            profile,
            request.seed if request.seed is not None else new_seed(),
            self.accounts.tier(user).weight,
            default_model=models.default,
            images=self.settings.limits.images_per_job,
        )
        if models.ip_adapter:
            spec = replace(spec, blend_images=tuple(paths), ip_adapter=True)
        else:  # image to image from the mixed latents, with at least one step left to run
            strength = self.settings.actions.blend_strength
            steps = max(spec.steps, math.ceil(1 / strength))
            spec = replace(spec, blend_images=tuple(paths), strength=strength, steps=steps)
        details = {"images": len(paths), "files": paths}
        written = translation.written_prompt
        record = Record(request, mj_text, JobKind.BLEND, None, written, None, details)
        credits = job_credits(spec, profile)
        return await self.drawing.enqueue(incoming, spec, record, user, credits, respond)


def job_origin(job: dict[str, Any]) -> Origin:
    """Where a job's author is, answered in the job's own language."""
    return Origin(
        job["platform"],
        job["chat_id"],
        job["platform_user_id"],
        scope_id=job.get("scope_id"),
        lang=parse_tag(job.get("lang")) or Lang.EN,
    )


def _details(request: EditRequest, files: list[str]) -> dict[str, Any]:
    details: dict[str, Any] = {"files": files}
    edit = request.edit
    if edit.kind == ZOOM_OUT:
        details["factor"] = edit.factor
    elif edit.direction is not None:
        details["direction"] = edit.direction
    if request.cells:
        details["regions"] = sorted(request.cells)
    elif request.mask is not None:
        details["regions"] = "drawn"
    return details


def _sized(request: MjRequest, plan: CanvasPlan) -> MjRequest:
    """The request as its row shows it: the canvas's size and aspect, not the parent's."""
    divisor = math.gcd(plan.width, plan.height)
    aspect = f"{plan.width // divisor}:{plan.height // divisor}"
    return replace(request, width=plan.width, height=plan.height, aspect=aspect)
