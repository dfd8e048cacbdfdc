"""The /mj flow, from a text to queued jobs.

normalise (once) -> the user's /settings defaults -> the theme's (`lookbook`) -> translate
(`translation`) -> parse -> banned terms (`moderation`) -> model, LoRAs, clip skip and the
community's limits (`lookbook`) -> user, tier and credits (`accounts`) -> image prompt
(`image_fetch`) -> persist the job and debit it in one transaction -> the engine queues it ->
`delivery` follows it. A job is in SQLite before anyone is told it was accepted. Buttons make
jobs from other jobs (`presses`) through `enqueue` too.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from typing import Any

from bot.core.accounts import Accounts
from bot.core.actions import image_prompt_strength, with_init_image
from bot.core.delivery import Delivery
from bot.core.errors import ImagePromptError, MjError, ParamError, QueueFull
from bot.core.image_fetch import MAX_BYTES, ImageRole, fetch_image, load_image
from bot.core.jobs import build_spec, job_row, new_job_id, new_seed
from bot.core.lookbook import Lookbook
from bot.core.moderation import Moderation, screened_texts
from bot.core.params import MjRequest, normalize_input, parse_mj
from bot.core.params_fields import Fields
from bot.core.params_tokens import SPELLING
from bot.core.permutations import expand_permutations
from bot.core.quota import job_credits
from bot.core.requests import Incoming, Responder
from bot.core.settings import CoreSettings
from bot.core.translation import PromptTranslation, translate_prompt
from bot.core.user_settings import merge_params
from engine.job import JobSpec
from engine.port import EnginePort, QueueRefused
from i18n import t
from storage.images import ImageStore, StoredImage
from storage.store import AsyncStore
from translate.translator import AsyncTranslator

MAX_IMAGES = 4  # a grid is 2x2


@dataclass(frozen=True, slots=True)
class Record:
    """What a job's row keeps beside its spec."""

    request: MjRequest  # as parsed (for a derived job: its parent's)
    mj_text: str  # the /mj text it was parsed from
    action: str = "imagine"  # "imagine", or the button kind that made it
    parent_id: str | None = None
    written: str | None = None  # the prompt as typed, when it was translated
    parent_image: int | None = None  # which image of the parent it started from
    # An editing action's own values and the files the job made for itself (action_json).
    details: dict[str, Any] | None = None


class Drawing:
    def __init__(
        self,
        settings: CoreSettings,
        store: AsyncStore,
        engine: EnginePort,
        images: ImageStore,
        moderation: Moderation,
        accounts: Accounts,
        delivery: Delivery,
        translator: AsyncTranslator | None,
        lookbook: Lookbook,
    ) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.images = images
        self.moderation = moderation
        self.accounts = accounts
        self.delivery = delivery
        self.translator = translator  # None: prompts reach the model as written
        self.lookbook = lookbook
        # Admission, persisting and queueing as one step: no other job can take the place a
        # job was admitted to while it is being recorded, so the queue never refuses a job
        # that was already recorded and charged.
        self._admitting = asyncio.Lock()

    @property
    def admission(self) -> asyncio.Lock:
        """Held while a job is admitted, recorded and queued; the service's start holds it
        while it resumes a previous run's jobs, so none of this run's is half-recorded then."""
        return self._admitting

    def parse(
        self,
        text: str,
        attached_image: bool = False,
        fields: Fields | None = None,
        allow_empty: bool = False,
        default: str | None = None,
    ) -> MjRequest:
        """`text` normalised already (`normalize_input`); `default`: the model without
        --model (the bot's, unless a community allows only others)."""
        default = default or self.settings.models.default
        return parse_mj(
            text,
            normalized=True,
            profile=lambda model: self.engine.profile(model or default),
            models=self.settings.models.names,
            max_prompt_chars=self.settings.limits.max_prompt_chars,
            attached_image=attached_image,
            fields=fields,
            allow_empty=allow_empty,
        )

    async def imagine(
        self,
        incoming: Incoming,
        text: str,
        respond: Responder | None = None,
        *,
        defaults: str = "",
        fields: Fields | None = None,
        images: int | None = None,
        seed: int | None = None,
        action: str = "imagine",
        parent_id: str | None = None,
        init_image: str | None = None,
        permute: bool = True,
    ) -> list[str]:
        """Parse, persist and queue a /mj request (N jobs with --repeat). Returns job ids.

        `respond`: the request the jobs report to (None: their platform's sink). `defaults`:
        the user's /settings, added where the text does not set them. `fields`: parameters
        given apart from the text (the HTTP API's). `images` asks for fewer (or more) images
        per job than MJ_IMAGES_PER_JOB, 1..4; credits follow. `init_image`: a stored image
        prompt to reuse (a reroll) instead of fetching one. `permute`: expand
        `{a, b}` choices into one request each (a reroll repeats one that was expanded).
        """
        variants = expand_permutations(text) if permute else (text,)
        if len(variants) > 1:  # every combination, each a request (and charged) of its own
            job_ids = []
            for variant in variants:
                job_ids += await self.imagine(
                    incoming,
                    variant,
                    respond,
                    defaults=defaults,
                    fields=fields,
                    images=images,
                    seed=seed,
                    action=action,
                    parent_id=parent_id,
                    init_image=init_image,
                    permute=False,
                )
            return job_ids
        text = variants[0]
        if images is not None and not 1 <= images <= MAX_IMAGES:
            raise ParamError(
                t("A job draws 1 to {most} images, not {count}.", most=MAX_IMAGES, count=images)
            )
        per_job = images or self.settings.limits.images_per_job
        text = merge_params(normalize_input(text), defaults)
        field_theme = (fields or {}).get("theme")
        themed = await self.lookbook.theme_text(
            incoming.origin, text, field_theme[1] if field_theme else None
        )
        text = themed.text
        fields = await self._translated(fields or {})
        attached = incoming.image is not None or init_image is not None
        request, translation = await self.prepare(
            incoming, text, attached, fields, default=themed.default_model
        )
        repeat = request.repeat or 1
        if repeat > self.settings.limits.max_repeat:
            limit = self.settings.limits.max_repeat
            raise MjError(t("--repeat can be at most {limit} on this bot.", limit=limit))
        origin = incoming.origin
        look = await self.lookbook.look(request, themed)  # unknown or refused: nothing charged
        profile = self.engine.profile(look.model)
        user = await self.accounts.user(origin, incoming.user_name)  # refuses blocked users
        tier = self.accounts.tier(user)
        # Fetched and checked before any credit is spent: a bad image costs nothing.
        init_image = init_image or await self._image_prompt(incoming, request)
        mj_text = " ".join([text, *field_params(fields)])
        record = Record(request, mj_text, action, parent_id, translation.written_prompt)
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
                profile,
                job_seed,
                tier.weight,
                default_model=look.model,
                images=per_job,
                loras=look.loras.loras,
                triggers=look.loras.trigger_words,
                clip_skip=look.clip_skip,
            )
            if init_image is not None:
                strength = image_prompt_strength(request.image_weight)
                spec = with_init_image(spec, init_image, strength)
            credits = job_credits(spec, profile)
            job_ids.append(await self.enqueue(incoming, spec, record, user, credits, respond))
        return job_ids

    async def prepare(
        self,
        incoming: Incoming,
        text: str,
        attached: bool = False,
        fields: Fields | None = None,
        *,
        allow_empty: bool = False,
        default: str | None = None,
    ) -> tuple[MjRequest, PromptTranslation]:
        """`text` (normalised) translated, parsed and screened for banned terms (before
        anything is stored or queued: a blocked prompt costs nothing), in the prompt as written
        and as translated. `default`: the model without --model."""
        translation = await translate_prompt(self.translator, text)  # Chinese -> English
        request = self.parse(translation.text, attached, fields, allow_empty, default)
        texts = screened_texts(request.prompts) + screened_texts(translation.written)
        await self.moderation.screen(incoming, text, texts)
        return request, translation

    async def remixed(
        self, incoming: Incoming, prompt: str, parent: JobSpec
    ) -> tuple[JobSpec, MjRequest, str, str | None]:
        """Remix: `parent` redrawn for an edited /mj text (its prompt and parameters; the
        parent's model, seeds and image count where the text does not say). Returns the spec,
        the parsed request, the normalised text and the prompt as written if translated."""
        text = normalize_input(prompt)
        request, translation = await self.prepare(incoming, text)
        spec = build_spec(
            parent.job_id,
            incoming.origin,
            request,
            self.engine.profile(request.model or parent.model),
            parent.seeds[0],
            default_model=parent.model,
            images=len(parent.seeds),
        )
        # A remix edits the prompt, not the look: the parent's LoRAs stay.
        clip_skip = request.clip_skip or parent.clip_skip
        spec = replace(
            spec,
            init_image=parent.init_image,
            strength=parent.strength,
            loras=parent.loras,
            clip_skip=clip_skip,
        )
        return spec, request, text, translation.written_prompt

    async def enqueue(
        self,
        incoming: Incoming,
        spec: JobSpec,
        record: Record,
        user: dict[str, Any],
        credits: float,
        respond: Responder | None,
    ) -> str:
        """Persist and debit the job in one transaction, then queue it and follow it. A job the
        queue refuses is a refusal (QueueFull), never a recorded job."""
        row = job_row(
            spec,
            record.request,
            incoming.origin,
            user["id"],
            record.mj_text,
            action=record.action,
            parent_id=record.parent_id,
            written=record.written,
        )
        row["parent_image"] = record.parent_image
        if record.details is not None:
            row["action_json"] = json.dumps(record.details, ensure_ascii=False)
        return await self.enqueue_row(incoming, spec, row, user, credits, respond)

    async def enqueue_row(
        self,
        incoming: Incoming,
        spec: JobSpec,
        row: dict[str, Any],
        user: dict[str, Any],
        credits: float,
        respond: Responder | None,
    ) -> str:
        """`enqueue` for a job whose row is made already (a describe's)."""
        origin = incoming.origin
        max_waiting = self.accounts.tier(user).max_waiting
        async with self._admitting:
            try:
                self.engine.check_admission(spec.user_key, max_waiting)
            except QueueRefused as refused:
                raise QueueFull(refused.message) from None
            if (key := incoming.key) is not None:  # in the job's own insert: none lacks its key
                row = {**row, "idempotency_key": key.key, "request_hash": key.fingerprint}
            # Persisted, and paid for, before it is acknowledged: one transaction.
            await self.accounts.insert_charged(user, row, credits)
            try:
                handle = self.engine.submit(
                    spec, preview_every_s=self.delivery.pace(origin), max_waiting=max_waiting
                )
            except QueueRefused as refused:  # an engine with limits of its own: never happened
                await self.store.run(lambda s: s.credits.withdraw(spec.job_id))
                raise QueueFull(refused.message) from None
        self.delivery.follow(origin, handle, respond)
        return spec.job_id

    async def _translated(self, fields: Fields) -> Fields:
        """A negative prompt given as a field is translated like the text's --no."""
        if "negative_prompt" not in fields:
            return fields
        label, value = fields["negative_prompt"]
        english = await translate_prompt(self.translator, value)
        return {**fields, "negative_prompt": (label, english.text)}

    async def _image_prompt(self, incoming: Incoming, request: MjRequest) -> str | None:
        """Fetch, check and store the image prompt, if any; its path in the image store."""
        count = len(request.image_urls) + (incoming.image is not None)
        if count == 0:
            return None
        if count > 1:
            raise ImagePromptError(t("Use one image prompt per job (one URL or one attachment)."))
        url = None if incoming.image is not None else request.image_urls[0]
        return (await self.user_image(incoming, url)).path

    async def user_image(
        self, incoming: Incoming, url: str | None, what: ImageRole = "image prompt"
    ) -> StoredImage:
        """An image a user gave (attached to `incoming`, else at `url`, fetched safely),
        checked and stored as PNG (so its job can be rebuilt after a restart): image prompts
        and /describe, before anything is charged."""
        data = incoming.image
        if data is None:
            assert url is not None
            data = await fetch_image(
                url,
                timeout_s=self.settings.image_prompts.fetch_timeout_s,
                allow_private=self.settings.image_prompts.allow_private_urls,
            )
        image = await asyncio.to_thread(load_image, data, MAX_BYTES, what)
        # Scored before it is used or anything is charged: a flagged one is refused here.
        await self.delivery.safety.check_image_prompt(incoming, image)
        return await asyncio.to_thread(self.images.save_png, image)


def field_params(fields: Fields) -> list[str]:
    """Fields as the /mj params they stand for (a 🔄 parses the text again); a list of LoRAs
    is one --lora each."""
    params = []
    for field, (_, value) in fields.items():
        values = value.split() if field == "loras" else [value]
        params += [f"--{SPELLING[field]} {item}" for item in values]
    return params
