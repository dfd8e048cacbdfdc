"""The platform-neutral core: every adapter hands it `Incoming` and renders the `Reply`s.

/mj flow: translate (`translation`) -> parse -> banned terms (`moderation`) -> user, tier and
credits (`accounts`) -> image prompt (`image_fetch`) -> persist the job and debit it in one
transaction -> the engine queues it -> `delivery` follows it: acknowledge -> progress ->
store images -> deliver -> mark delivered. Buttons (U/V/🔄) make derived jobs (`actions`).
A job is in SQLite before anyone is told it was accepted, and on start-up jobs left queued or
running are queued again and results never delivered are delivered, so nothing acknowledged
is lost across restarts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from typing import Any

from bot.config import Settings
from bot.core import render
from bot.core.accounts import COMMANDS as ACCOUNT_COMMANDS
from bot.core.accounts import Accounts, Clock, utc_now
from bot.core.actions import (
    derived_spec,
    image_prompt_strength,
    parse_action,
    request_from_json,
    with_init_image,
)
from bot.core.delivery import Delivery, origin_of
from bot.core.errors import (
    ImagePromptError,
    MjError,
    ParamError,
    QueueFull,
)
from bot.core.image_fetch import fetch_image, load_image
from bot.core.jobs import build_spec, job_row, new_job_id, new_seed
from bot.core.moderation import Moderation, command_name, positive_texts
from bot.core.params import MjRequest, parse_mj
from bot.core.queries import Queries
from bot.core.quota import job_credits
from bot.core.requests import ButtonPress, Incoming, Origin, Reply, ReplyKind, ReplySink
from bot.core.translation import translate_prompt
from bot.core.user_settings import UserSettings
from engine.dispatcher import Engine
from engine.fair_queue import QueueRefused
from engine.job import (
    JobSpec,
    spec_from_dict,
)
from storage.images import ImageStore
from storage.store import AsyncStore, JobStatus, Store
from translate.translator import AsyncTranslator

log = logging.getLogger(__name__)

COMMANDS = ("mj", "imagine", "cancel", "help", "start", "settings")
MAX_IMAGES = 4  # a grid is 2x2


def split_command(text: str) -> tuple[str, str]:
    """'/mj@Bot a fox' -> ('mj', 'a fox'); text without a leading slash -> ('', text)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return "", stripped
    head, _, rest = stripped[1:].partition(" ")
    return head.split("@", 1)[0].lower(), rest.strip()


class MjService:
    def __init__(
        self,
        settings: Settings,
        store: AsyncStore,
        engine: Engine,
        images: ImageStore,
        *,
        translator: AsyncTranslator | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.images = images
        self.moderation = Moderation(settings, store)
        self.queries = Queries(store)
        self.accounts = Accounts(settings, store, clock)
        self.user_settings = UserSettings(store, self.parse)
        self.translator = translator  # None: prompts reach the model as written
        self.delivery = Delivery(settings, store, images, self.accounts)

    # wiring ------------------------------------------------------------------------------
    def register_sink(
        self, platform: str, sink: ReplySink, preview_every_s: float | None = None
    ) -> None:
        """An adapter says: send replies for `platform` to me, with previews this often."""
        self.delivery.register_sink(platform, sink, preview_every_s)

    async def start(self) -> None:
        """Re-queue what a previous run left unfinished and deliver what it left undelivered."""
        for row in await self.store.run(Store.unfinished_jobs):
            origin = origin_of(row)
            spec = spec_from_dict(json.loads(row["spec_json"]))
            log.info("resuming job %s (%s before the restart)", row["id"], row["status"])
            handle = self.engine.submit(
                spec, preview_every_s=self.delivery.pace(origin), force=True
            )
            self.delivery.follow(origin, handle, resumed=True)
        for row in await self.store.run(Store.undelivered_jobs):
            if self.delivery.connected(row["platform"]):
                await self.delivery.deliver_final(row)

    async def close(self) -> None:
        await self.delivery.close()

    def pending_job_ids(self) -> list[str]:
        """Jobs this process is still following (queued, running or being delivered)."""
        return self.delivery.pending_job_ids()

    # incoming ----------------------------------------------------------------------------
    async def handle(self, incoming: Incoming) -> None:
        """Answer one user action; every outcome, including errors, becomes a Reply."""
        try:
            if incoming.button is not None:
                await self.press(incoming, incoming.button)
                return
            command, rest = split_command(incoming.text or "")
            if command in ("mj", "imagine"):
                # Typed /mj only: a reroll repeats the stored text, defaults included.
                await self.imagine(incoming, await self.user_settings.apply(incoming.origin, rest))
            elif command == "cancel":
                await self.cancel(incoming.origin, rest or None)
            elif command == "settings":
                reply = await self.user_settings.command(incoming.origin, rest)
                await self.delivery.send(incoming.origin, reply)
            elif command in ("help", "start"):
                await self.delivery.send(incoming.origin, Reply(ReplyKind.TEXT, render.HELP))
            elif command_name(command):
                reply = await self.moderation.command(incoming, command, rest)
                await self.delivery.send(incoming.origin, reply)
            elif command == "quota":
                text = await self.accounts.quota_text(incoming)
                await self.delivery.send(
                    incoming.origin, Reply(ReplyKind.TEXT, text, ephemeral=True)
                )
            elif command == "history":
                await self.history(incoming.origin, rest)
            elif command == "show":
                await self.show(incoming.origin, rest)
            elif command.replace("_", "-") in ACCOUNT_COMMANDS:
                reply = await self.accounts.command(incoming, command.replace("_", "-"), rest)
                await self.delivery.send(incoming.origin, reply)
            else:
                shown = f"/{command}" if command else "that"
                await self.delivery.send(
                    incoming.origin,
                    Reply(ReplyKind.ERROR, f"I don't know {shown}. {render.HELP}", ephemeral=True),
                )
        except MjError as error:
            await self.delivery.send(
                incoming.origin, Reply(ReplyKind.ERROR, str(error), ephemeral=True)
            )

    async def imagine(
        self,
        incoming: Incoming,
        text: str,
        *,
        seed: int | None = None,
        action: str = "imagine",
        parent_id: str | None = None,
        images: int | None = None,
        init_image: str | None = None,
    ) -> list[str]:
        """Parse, persist and queue a /mj request (N jobs with --repeat). Returns job ids.

        `images` asks for fewer (or more) images per job than MJ_IMAGES_PER_JOB, 1..4: the
        HTTP API's `count`. Credits follow the image count. `init_image`: a stored image
        prompt to reuse (a reroll) instead of fetching one.
        """
        if images is not None and not 1 <= images <= MAX_IMAGES:
            raise ParamError(f"A job draws 1 to {MAX_IMAGES} images, not {images}.")
        per_job = images or self.settings.images_per_job
        translation = await translate_prompt(self.translator, text)  # Chinese -> English
        attached = incoming.image is not None or init_image is not None
        request = self.parse(translation.text, attached)
        # Banned terms before anything is stored or queued (a blocked prompt costs nothing),
        # in the prompt as written and as translated.
        texts = positive_texts(request)
        if translation.text != text:
            texts += positive_texts(self.parse(text, attached))
        await self.moderation.screen(incoming, text, texts)
        repeat = request.repeat or 1
        if repeat > self.settings.max_repeat:
            raise MjError(f"--repeat can be at most {self.settings.max_repeat} on this bot.")
        origin = incoming.origin
        profile = self.engine.profile(request.model or self.settings.default_model)
        user = await self.accounts.user(origin, incoming.user_name)  # refuses blocked users
        tier = self.accounts.tier(user)
        # Fetched and checked before any credit is spent: a bad image costs nothing.
        init_image = init_image or await self._image_prompt(incoming, request)
        job_ids = []
        for i in range(repeat):
            if seed is not None:
                job_seed = seed
            elif request.seed is not None:
                job_seed = request.seed + i * per_job
            else:
                job_seed = new_seed()
            spec = build_spec(
                new_job_id(),
                origin,
                request,
                self.settings,
                profile,
                job_seed,
                tier.weight,
                images=per_job,
            )
            if init_image is not None:
                strength = image_prompt_strength(request.image_weight)
                spec = with_init_image(spec, init_image, strength)
            credits = job_credits(spec, profile)
            job_ids.append(
                await self._enqueue(
                    origin,
                    spec,
                    request,
                    user,
                    credits,
                    text,
                    action,
                    parent_id,
                    translation.prompt,
                )
            )
        return job_ids

    def parse(self, text: str, attached_image: bool = False) -> MjRequest:
        default = self.settings.default_model
        return parse_mj(
            text,
            profile=lambda model: self.engine.profile(model or default),
            models=list(self.settings.models),
            max_prompt_chars=self.settings.max_prompt_chars,
            attached_image=attached_image,
        )

    async def press(self, incoming: Incoming, button: ButtonPress) -> None:
        job = await self._own_job(incoming.origin, button.job_id)
        parent_spec = spec_from_dict(json.loads(job["spec_json"]))
        if button.action == "reroll" and job["action"] in ("upscale", "variation"):
            # The same upscale or variation again, with new seeds.
            seeds = tuple(new_seed() for _ in parent_spec.seeds)
            spec = replace(parent_spec, job_id=new_job_id(), seeds=seeds)
            await self._enqueue_derived(incoming, job, spec, job["action"], job["parent_image"])
        elif button.action == "reroll":
            await self.imagine(
                incoming,
                job["raw_text"],
                seed=new_seed(),
                action="reroll",
                parent_id=job["id"],
                init_image=parent_spec.init_image,  # an image prompt is not fetched again
            )
        elif (action := parse_action(button.action, self.settings)) is not None:
            if JobStatus(job["status"]) is not JobStatus.DONE:
                raise MjError(f"Job {job['id']} is {job['status']}: it has no images yet.")
            images = await self.store.run(lambda s: s.job_images(job["id"]))
            image = next((i for i in images if i.image_index == action.index), None)
            if image is None:
                raise MjError(f"Job {job['id']} has no image {action.index}.")
            user = await self.accounts.user(incoming.origin, incoming.user_name)
            spec = derived_spec(
                parent_spec,
                action,
                image,
                job_id=new_job_id(),
                seed=new_seed(),
                weight=self.accounts.tier(user).weight,
                images_per_job=self.settings.images_per_job,
                settings=self.settings,
            )
            await self._enqueue_derived(incoming, job, spec, action.kind, action.index, user)
        else:
            raise MjError(f"Unknown button {button.action!r}.")

    async def cancel(self, origin: Origin, job_id: str | None) -> None:
        if job_id is None:
            rows = await self.store.run(lambda s: s.user_jobs(origin.platform, origin.user_id))
            live = [r for r in rows if not JobStatus(r["status"]).finished]
            if not live:
                raise MjError("You have no queued or running job to cancel.")
            job_id = live[0]["id"]
        job = await self._own_job(origin, job_id)
        if JobStatus(job["status"]).finished:
            raise MjError(f"Job {job_id} is already {job['status']}.")
        if not self.engine.cancel(job_id):
            # Known to SQLite but not to this engine (e.g. its platform is not connected yet).
            await self.store.run(lambda s: s.mark_cancelled(job_id))
            await self.accounts.refund(job_id, 1.0, "job cancelled")
            await self.delivery.send(
                origin, Reply(ReplyKind.TEXT, f"Job {job_id} cancelled.", job_id)
            )
            await self.store.run(lambda s: s.mark_delivered(job_id))

    async def history(self, origin: Origin, rest: str) -> None:
        """/history [N]: the user's last N jobs (10 by default, at most 50)."""
        count = int(rest) if rest.strip().isdigit() else 10
        if not 1 <= count <= 50 or (rest.strip() and not rest.strip().isdigit()):
            raise MjError("Usage: /history [N], N from 1 to 50.")
        rows = await self.store.run(
            lambda s: s.user_jobs(origin.platform, origin.user_id, limit=count)
        )
        await self.delivery.send(
            origin, Reply(ReplyKind.TEXT, render.history_lines(rows), ephemeral=True)
        )

    async def show(self, origin: Origin, job_id: str) -> None:
        """/show JOB_ID: post a past job's result again, with working buttons."""
        if not job_id.strip():
            raise MjError("Usage: /show JOB_ID (see /history for your job ids).")
        job = await self._own_job(origin, job_id.strip())
        if JobStatus(job["status"]) is not JobStatus.DONE:
            raise MjError(f"Job {job['id']} is {job['status']}: there is no result to show.")
        await self.delivery.send(origin, self.delivery.result_reply(job, None))

    async def remember_reply_message(self, job_id: str, message_id: str) -> None:
        """An adapter records the message that shows a job's progress (to edit it later)."""
        await self.store.run(lambda s: s.set_reply_message(job_id, message_id))

    async def reply_message(self, job_id: str) -> str | None:
        """The message an adapter recorded for this job, even from before a restart."""
        job = await self.store.run(lambda s: s.get_job(job_id))
        return None if job is None else job.get("reply_message_id")

    async def wait(self, job_id: str) -> dict[str, Any]:
        """Until the job's outcome has been delivered; returns its row (for one-shot commands)."""
        return await self.delivery.wait(job_id)

    # the job's life ------------------------------------------------------------------------
    async def _image_prompt(self, incoming: Incoming, request: MjRequest) -> str | None:
        """Fetch, check and store the image prompt, if any; its path in the image store."""
        count = len(request.image_urls) + (incoming.image is not None)
        if count == 0:
            return None
        if count > 1:
            raise ImagePromptError("Use one image prompt per job (one URL or one attachment).")
        data = incoming.image
        if data is None:
            data = await fetch_image(
                request.image_urls[0],
                timeout_s=self.settings.image_fetch_timeout_s,
                allow_private=self.settings.allow_private_image_urls,
            )
        # Stored (re-encoded as PNG) so the job can be rebuilt after a restart.
        stored = await asyncio.to_thread(lambda: self.images.save_png(load_image(data)))
        return stored.path

    async def _enqueue_derived(
        self,
        incoming: Incoming,
        parent: dict[str, Any],
        spec: JobSpec,
        action: str,
        parent_image: int | None,
        user: dict[str, Any] | None = None,
    ) -> str:
        """Queue a job made from `parent`'s image, charged like any job for what it uses."""
        user = user or await self.accounts.user(incoming.origin, incoming.user_name)
        credits = job_credits(spec, self.engine.profile(spec.model))
        return await self._enqueue(
            incoming.origin,
            spec,
            request_from_json(json.loads(parent["params_json"])),
            user,
            credits,
            parent["raw_text"],
            action,
            parent["id"],
            parent["prompt"],
            parent_image=parent_image,
        )

    async def _enqueue(
        self,
        origin: Origin,
        spec: JobSpec,
        request: MjRequest,
        user: dict[str, Any],
        credits: float,
        text: str,
        action: str,
        parent_id: str | None,
        written: str | None = None,  # the prompt as typed, when it was translated
        *,
        parent_image: int | None = None,  # which image of the parent an action started from
    ) -> str:
        max_waiting = self.accounts.tier(user).max_waiting
        try:
            self.engine.check_admission(spec.user_key, max_waiting)
        except QueueRefused as refused:
            raise QueueFull(str(refused)) from None
        row = job_row(
            spec,
            request,
            origin,
            user["id"],
            text,
            action=action,
            parent_id=parent_id,
            prompt=written,
        )
        row["parent_image"] = parent_image
        # Persisted, and paid for, before it is acknowledged: one transaction.
        await self.accounts.insert_charged(user, row, credits)
        try:
            handle = self.engine.submit(
                spec, preview_every_s=self.delivery.pace(origin), max_waiting=max_waiting
            )
        except QueueRefused as refused:
            reason = str(refused)
            await self.store.run(lambda s: s.mark_failed(spec.job_id, reason))
            await self.accounts.refund(spec.job_id, 1.0, "refused by the queue")
            await self.store.run(lambda s: s.mark_delivered(spec.job_id))
            raise QueueFull(reason) from None
        self.delivery.follow(origin, handle)
        return spec.job_id

    async def _own_job(self, origin: Origin, job_id: str) -> dict[str, Any]:
        not_yours = f"Job {job_id} is not yours, so its buttons are not for you."
        return await self.queries.own_job(origin, job_id, not_yours)


__all__ = ["MjService", "split_command"]
