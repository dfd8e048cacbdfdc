"""A button press becomes a job: reroll, upscale or vary the job the button sits under.

Which button does what is the table in `bot.core.buttons`; the specs are `bot.core.actions`'s.
Only the job's author may press its buttons; a derived job is charged like any job for what it
uses, and reports to the press's own Responder.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.core import buttons
from bot.core.accounts import Accounts
from bot.core.actions import derived_spec, request_from_json
from bot.core.buttons import ButtonAction, JobKind
from bot.core.drawing import Drawing, Record
from bot.core.errors import MjError
from bot.core.jobs import new_job_id, new_seed
from bot.core.queries import JobStatus, Queries, not_yours
from bot.core.quota import job_credits
from bot.core.render import status_name
from bot.core.requests import ButtonPress, Incoming, Responder
from bot.core.settings import CoreSettings
from engine.job import JobSpec, spec_from_dict
from i18n import t


class Presses:
    def __init__(
        self, settings: CoreSettings, queries: Queries, accounts: Accounts, drawing: Drawing
    ) -> None:
        self.settings = settings
        self.queries = queries
        self.accounts = accounts
        self.drawing = drawing

    async def press(self, incoming: Incoming, press: ButtonPress, respond: Responder) -> None:
        action = buttons.find(press.action)
        if action is None:
            raise MjError(t("Unknown button '{action}'.", action=press.action))
        job = await self.queries.own_job(incoming.origin, press.job_id, not_yours(press.job_id))
        if action.kind is JobKind.REROLL:
            await self._reroll(incoming, job, respond)
        else:
            await self._from_image(incoming, job, action, respond)

    async def _reroll(self, incoming: Incoming, job: dict[str, Any], respond: Responder) -> None:
        parent = spec_from_dict(json.loads(job["spec_json"]))
        if job["action"] in (JobKind.UPSCALE, JobKind.VARIATION):
            # The same upscale or variation again, with new seeds.
            seeds = tuple(new_seed() for _ in parent.seeds)
            spec = replace(parent, job_id=new_job_id(), seeds=seeds)
            await self._enqueue(incoming, job, spec, job["action"], job["parent_image"], respond)
            return
        await self.drawing.imagine(
            incoming,
            job["mj_text"],
            respond,
            seed=new_seed(),
            action=JobKind.REROLL,
            parent_id=job["id"],
            init_image=parent.init_image,  # an image prompt is not fetched again
        )

    async def _from_image(
        self, incoming: Incoming, job: dict[str, Any], action: ButtonAction, respond: Responder
    ) -> None:
        if JobStatus(job["status"]) is not JobStatus.DONE:
            raise MjError(
                t(
                    "Job {job_id} is {status}: it has no images yet.",
                    job_id=job["id"],
                    status=status_name(job["status"]),
                )
            )
        images = await self.queries.job_images(job["id"])
        image = next((i for i in images if i.image_index == action.image), None)
        if image is None:
            raise MjError(
                t("Job {job_id} has no image {number}.", job_id=job["id"], number=action.image)
            )
        shown = await self.drawing.delivery.safety.shown(job["id"])
        if any(s.hidden for s in shown if s.image_index == action.image):
            raise MjError(
                t(
                    "Image {number} of job {job_id} was hidden by the image safety check.",
                    number=action.image,
                    job_id=job["id"],
                )
            )
        user = await self.accounts.user(incoming.origin, incoming.user_name)
        spec = derived_spec(
            spec_from_dict(json.loads(job["spec_json"])),
            action,
            image,
            job_id=new_job_id(),
            seed=new_seed(),
            weight=self.accounts.tier(user).weight,
            images_per_job=self.settings.limits.images_per_job,
            settings=self.settings.actions,
            upscaler=self.settings.models.upscaler,
        )
        await self._enqueue(incoming, job, spec, action.kind, action.image, respond, user)

    async def _enqueue(
        self,
        incoming: Incoming,
        parent: dict[str, Any],
        spec: JobSpec,
        kind: str,
        parent_image: int | None,
        respond: Responder,
        user: dict[str, Any] | None = None,
    ) -> None:
        """Queue a job made from `parent`'s image, charged like any job for what it uses."""
        user = user or await self.accounts.user(incoming.origin, incoming.user_name)
        credits = job_credits(spec, self.drawing.engine.profile(spec.model))
        record = Record(
            request_from_json(json.loads(parent["params_json"])),
            parent["mj_text"],
            kind,
            parent["id"],
            parent["prompt"] if parent["translated_prompt"] else None,
            parent_image,
        )
        await self.drawing.enqueue(incoming, spec, record, user, credits, respond)
