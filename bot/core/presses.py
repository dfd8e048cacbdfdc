"""A button press becomes a job: reroll, upscale or vary the job the button sits under; draw a
describe's suggestion, or describe its image again.

Which button does what is the table in `bot.core.buttons`; the specs are `bot.core.actions`'s.
Only the job's author may press its buttons; a derived job is charged like any job for what it
uses, and reports to the press's own Responder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core import buttons
from bot.core.accounts import Accounts
from bot.core.actions import derived_spec, request_from_json
from bot.core.buttons import ButtonAction, JobKind
from bot.core.describing import Describing
from bot.core.drawing import Drawing, Record
from bot.core.editing import VARY_REGION, edit_from_fields, parse_edit
from bot.core.edits import EditRequest, Edits
from bot.core.errors import MjError, ParamError
from bot.core.jobs import new_job_id, new_seed
from bot.core.queries import JobStatus, Queries, not_deleted, not_yours
from bot.core.quota import job_credits
from bot.core.remix import REMIXED, ask_prompt, button_question, remixing
from bot.core.render import status_name
from bot.core.requests import (
    Button,
    ButtonPress,
    Incoming,
    Reply,
    ReplyKind,
    Responder,
)
from bot.core.settings import CoreSettings
from bot.core.user_settings import UserSettings
from engine.job import JobSpec, spec_from_dict
from i18n import Duration, t

CONFIRM, DECLINE = "PERMOK", "PERMNO"  # the answer to "these {...} choices make N jobs"
CONFIRM_ABOVE = 4  # more jobs than this from one /mj are confirmed first (chat front ends)

# The HTTP API's names for the buttons' image jobs, and the button each one works like.
BY_NAME = {
    "upscale": "U1",
    "variation": "V1",
    "vary_subtle": "VS",
    "vary_strong": "VX",
    "upscale_4x": "U4X",
}
ACTION_NAMES = ("reroll", *BY_NAME, "zoom_out", "pan", "make_square", "vary_region")


@dataclass(frozen=True, slots=True)
class Order:
    """An action asked for by name and fields (the HTTP API's POST /api/jobs/{id}/actions)."""

    action: str  # one of ACTION_NAMES
    index: int = 1  # which image of the job, 1-based
    factor: float | None = None  # zoom_out
    direction: str | None = None  # pan
    mask: bytes | None = field(default=None, repr=False)  # vary_region: a PNG
    prompt: str | None = None  # a new prompt for the edit (Remix)


class Presses:
    def __init__(
        self,
        settings: CoreSettings,
        queries: Queries,
        accounts: Accounts,
        drawing: Drawing,
        edits: Edits,
        describing: Describing,
        user_settings: UserSettings,
    ) -> None:
        self.settings = settings
        self.queries = queries
        self.accounts = accounts
        self.drawing = drawing
        self.edits = edits
        self.describing = describing
        self.user_settings = user_settings

    async def press(self, incoming: Incoming, press: ButtonPress, respond: Responder) -> None:
        if press.action in (CONFIRM, DECLINE):
            await self._permutations(incoming, press, respond)
            return
        action = buttons.find(press.action)
        if action is None:
            raise MjError(t("Unknown button '{action}'.", action=press.action))
        job = not_deleted(
            await self.queries.own_job(incoming.origin, press.job_id, not_yours(press.job_id))
        )
        store, origin = self.drawing.store, incoming.origin
        if press.action in REMIXED and await remixing(store, origin):
            question = button_question(job, press.action)
            await respond.answer(await ask_prompt(store, origin, job, question))
            return
        if action.kind is JobKind.REROLL:
            await self._reroll(incoming, job, respond)
        elif action.kind is JobKind.DELETE:
            await respond.answer(await self.edits.delete(job))
        elif action.kind in buttons.EDITS:
            await self._edit(incoming, job, press.action, respond)
        elif action.kind is JobKind.SUGGESTION:
            await self._suggestion(incoming, job, action, respond)
        else:
            await self._from_image(incoming, job, action, respond)

    async def act(self, incoming: Incoming, job_id: str, order: Order) -> str:
        """An action named by fields (the HTTP API): the buttons' jobs, on any image of the
        job. Returns the new job's id; its news goes to the platform's sink."""
        job = not_deleted(await self.queries.own_job(incoming.origin, job_id))
        if order.action == "reroll":
            return await self._reroll(incoming, job, None)
        if order.action in BY_NAME:
            strength_of = buttons.find(BY_NAME[order.action])
            assert strength_of is not None
            action = replace(strength_of, image=order.index)
            return await self._from_image(incoming, job, action, None)
        edit = edit_from_fields(order.action, order.factor, order.direction)
        if edit.kind == VARY_REGION and order.mask is None:
            raise ParamError(
                t("vary_region needs a mask: a PNG, white (or opaque) where to paint.")
            )
        request = EditRequest(edit, order.index, order.prompt, mask=order.mask)
        return await self.edits.run(incoming, job, request, None)

    async def remix(
        self, incoming: Incoming, job_id: str, code: str, prompt: str, respond: Responder
    ) -> None:
        """/remix JOB V2 PROMPT: the variation (V1-V4, VS, VX) with the edited prompt."""
        action = buttons.find(code)
        if code not in REMIXED or code == "ZOC" or action is None:
            raise ParamError(t("Usage: /remix JOB_ID V1..V4|VS|VX your prompt --params"))
        refusal = t("Job {job_id} is not yours to remix.", job_id=job_id)
        job = await self.queries.own_job(incoming.origin, job_id, refusal)
        await self._from_image(incoming, job, action, respond, prompt)

    async def _permutations(
        self, incoming: Incoming, press: ButtonPress, respond: Responder
    ) -> None:
        """The answer to 'this makes N jobs: run them?' (the pending request's id)."""
        origin = incoming.origin
        pending = await self.drawing.store.run(lambda s: s.editing.take_pending(press.job_id))
        mine = pending is not None and (pending["platform"], pending["platform_user_id"]) == (
            origin.platform,
            origin.user_id,
        )
        if not mine:
            if pending is not None:  # not theirs: put it back for its owner
                await self.drawing.store.run(lambda s: s.editing.add_pending(pending))
            raise MjError(t("These jobs are not yours to start, or they were answered already."))
        assert pending is not None
        if press.action == DECLINE:
            await respond.answer(Reply(ReplyKind.TEXT, t("Not started."), ephemeral=True))
            return
        payload = pending["payload_json"]
        await self.drawing.imagine(
            incoming, payload["text"], respond, defaults=payload["defaults"]
        )

    async def _edit(
        self, incoming: Incoming, job: dict[str, Any], code: str, respond: Responder
    ) -> None:
        """Zoom Out, Pan, Make Square at once; Custom Zoom and Vary (Region) ask first."""
        edit = parse_edit(code)
        assert edit is not None  # the buttons table and the editing codes agree
        if code == "ZOC":
            text = t(
                "Custom Zoom: send /zoom {job_id} FACTOR, a factor from 1.0 to 2.0 (or with a "
                "new prompt: /zoom {job_id} your prompt --zoom 1.5).",
                job_id=job["id"],
            )
            await respond.answer(Reply(ReplyKind.TEXT, text, job["id"], ephemeral=True))
        elif code == "VR":
            await respond.answer(await self._region_choice(incoming, job))
        else:
            await self.edits.run(incoming, job, EditRequest(edit), respond)

    async def _region_choice(self, incoming: Incoming, job: dict[str, Any]) -> Reply:
        """The region page's signed link where the HTTP front end serves it; else the thirds."""
        link = await self.edits.region_link(incoming.origin, job["id"])
        if link is not None:
            minutes = self.settings.actions.region_link_ttl_min
            text = t(
                "Vary (Region): mark the part of job {job_id}'s image to repaint on this page "
                "(the link is yours alone and works for {minutes}).",
                job_id=job["id"],
                minutes=Duration(minutes * 60, "long"),
            )
            button = Button(t("Open the region editor"), "", job["id"], url=link)
            return Reply(ReplyKind.TEXT, text, job["id"], buttons=(button,), ephemeral=True)
        text = t(
            "Vary (Region): pick the parts of a 3×3 grid to repaint (1 2 3 / 4 5 6 / 7 8 9, "
            "left to right, top to bottom), or send /region {job_id} CELLS, e.g. /region "
            "{job_id} 4 5 6 (with Remix, a prompt after the cells).",
            job_id=job["id"],
        )
        return Reply(ReplyKind.TEXT, text, job["id"], ephemeral=True, pick_regions=True)

    async def _reroll(
        self, incoming: Incoming, job: dict[str, Any], respond: Responder | None
    ) -> str:
        if job["action"] == JobKind.DESCRIBE:  # 🔄 under a describe: new prompts
            return await self.describing.again(incoming, job, respond)
        parent = spec_from_dict(json.loads(job["spec_json"]))
        if job["action"] in buttons.SAME_AGAIN:
            # The same upscale, variation, edit or blend again, with new seeds.
            seeds = tuple(new_seed() for _ in parent.seeds)
            spec = replace(parent, job_id=new_job_id(), seeds=seeds)
            return await self._enqueue(
                incoming, job, spec, job["action"], job["parent_image"], respond
            )
        [job_id, *_] = await self.drawing.imagine(
            incoming,
            job["mj_text"],
            respond,
            seed=new_seed(),
            action=JobKind.REROLL,
            parent_id=job["id"],
            init_image=parent.init_image,  # an image prompt is not fetched again
            permute=False,  # its text is one of the expanded ones, braces taken literally
        )
        return job_id

    async def _suggestion(
        self, incoming: Incoming, job: dict[str, Any], action: ButtonAction, respond: Responder
    ) -> None:
        """Draw a describe's prompt N as if the user had typed it: their /settings defaults,
        the filter, credits and fair share as for any /mj."""
        if job["action"] != JobKind.DESCRIBE or JobStatus(job["status"]) is not JobStatus.DONE:
            raise MjError(t("Job {job_id} has no prompts to draw.", job_id=job["id"]))
        suggestions = await self.queries.suggestions(job["id"])
        chosen = next((s for s in suggestions if s.index == action.image), None)
        if chosen is None:
            raise MjError(
                t("Job {job_id} has no prompt {number}.", job_id=job["id"], number=action.image)
            )
        defaults = await self.user_settings.defaults(incoming.origin)
        await self.drawing.imagine(
            incoming,
            chosen.prompt,
            respond,
            defaults=defaults,
            action=JobKind.SUGGESTION,
            parent_id=job["id"],
        )

    async def _from_image(
        self,
        incoming: Incoming,
        job: dict[str, Any],
        action: ButtonAction,
        respond: Responder | None,
        prompt: str | None = None,
    ) -> str:
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
        parent = spec_from_dict(json.loads(job["spec_json"]))
        record: Record | None = None
        if prompt:  # Remix: the parent's image, drawn towards the edited prompt
            parent, record = await self._remixed(incoming, job, parent, prompt, action)
        spec = derived_spec(
            parent,
            action,
            image,
            job_id=new_job_id(),
            seed=new_seed(),
            weight=self.accounts.tier(user).weight,
            images_per_job=self.settings.limits.images_per_job,
            settings=self.settings.actions,
            upscaler=self.settings.models.upscaler,
            gan_upscaler=self.settings.models.gan_upscaler,
        )
        return await self._enqueue(
            incoming, job, spec, action.kind, action.image, respond, user, record
        )

    async def _remixed(
        self,
        incoming: Incoming,
        job: dict[str, Any],
        parent: JobSpec,
        prompt: str,
        action: ButtonAction,
    ) -> tuple[JobSpec, Record]:
        """The parent's spec with the remix prompt's prompt and parameters, and its record."""
        spec, request, text, written = await self.drawing.remixed(incoming, prompt, parent)
        record = Record(request, text, action.kind, job["id"], written, action.image)
        return spec, record

    async def _enqueue(
        self,
        incoming: Incoming,
        parent: dict[str, Any],
        spec: JobSpec,
        kind: str,
        parent_image: int | None,
        respond: Responder | None,
        user: dict[str, Any] | None = None,
        record: Record | None = None,
    ) -> str:
        """Queue a job made from `parent`'s image, charged like any job for what it uses."""
        user = user or await self.accounts.user(incoming.origin, incoming.user_name)
        credits = job_credits(spec, self.drawing.engine.profile(spec.model))
        record = record or Record(
            request_from_json(json.loads(parent["params_json"])),
            parent["mj_text"],
            kind,
            parent["id"],
            parent["prompt"] if parent["translated_prompt"] else None,
            parent_image,
        )
        return await self.drawing.enqueue(incoming, spec, record, user, credits, respond)
