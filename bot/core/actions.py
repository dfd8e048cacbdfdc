"""Jobs made from other jobs' images: upscale (U), variations (V, Vary) and image prompts.

All three are image-to-image jobs: a start image and a strength (how much of it is repainted).
This module decides those values and nothing else; it is pure. The buttons themselves are in
`bot.core.buttons`.

    U1..U4, U2X   2x "hires fix": the image resized with Lanczos to twice its size, then
                  repainted lightly (MJ_UPSCALE_STRENGTH) with the job's model, prompt and the
                  image's own seed, which adds detail the resize could not invent. With an
                  upscaler model (MJ_UPSCALER) it draws the 2x image instead, every one of its
                  steps (at least UPSCALER_MIN_STEPS), with the same prompt and seed.
    V1..V4, VX    four new images from image N, strongly varied (MJ_VARY_STRONG), new seeds:
                  Midjourney's default "high variation mode".
    VS            the same, subtly varied (MJ_VARY_SUBTLE).
    --iw W        an image prompt's weight, 0..3, default 1: strength = 1 - W / 4, so W 0 ~ text
                  only (strength 1), W 1 repaints 75 %, W 3 keeps most of the image (25 %).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from bot.core.buttons import ButtonAction, JobKind, can_upscale, can_upscale_4x
from bot.core.errors import MjError
from bot.core.jobs import SEED_SPACE
from bot.core.looks import LoraRef
from bot.core.params import MjRequest
from bot.core.settings import ActionSettings
from engine.job import JobSpec, PromptPart
from i18n import t
from storage.rows import ImageRow

# Upscaler models denoise from pure noise (guided by the low-res image), so a parent's 1-4
# turbo steps would not do: the SD x4 upscaler gives clean results from about 20 DDIM steps.
UPSCALER_MIN_STEPS = 20


def image_prompt_strength(image_weight: float | None) -> float:
    """--iw (0..3, default 1) -> denoising strength: a higher weight keeps more of the image."""
    weight = 1.0 if image_weight is None else image_weight
    return 1.0 - weight / 4.0


def with_init_image(spec: JobSpec, init_image: str, strength: float) -> JobSpec:
    """`spec` as image-to-image, with enough steps that at least one of them runs."""
    steps = max(spec.steps, math.ceil(1 / strength))
    return replace(spec, init_image=init_image, strength=strength, steps=steps)


def derived_spec(
    parent: JobSpec,
    action: ButtonAction,
    image: ImageRow,
    *,
    job_id: str,
    seed: int,
    weight: float,
    images_per_job: int,
    settings: ActionSettings,
    upscaler: bool,
    gan_upscaler: bool = False,
) -> JobSpec:
    """The spec for `action` on `image` of the job `parent` ran. MjError if it can't be done."""
    if action.kind is JobKind.UPSCALE_4X:
        return gan_spec(parent, action, image, job_id, weight, settings, gan_upscaler)
    if action.kind is JobKind.UPSCALE:
        if not can_upscale(image.width, image.height, settings):
            raise MjError(
                t(
                    "This image is {width}x{height}: twice that is over this bot's limit of "
                    "{limit} px a side.",
                    width=str(image.width),
                    height=str(image.height),
                    limit=settings.upscale_max_side,
                )
            )
        own_seed = image.seed if image.seed is not None else parent.seeds[action.image - 1]
        size, seeds = (2 * image.width, 2 * image.height), (own_seed,)
    else:
        size = (image.width, image.height)
        seeds = tuple((seed + i) % SEED_SPACE for i in range(images_per_job))
    spec = replace(
        parent,
        job_id=job_id,
        width=size[0],
        height=size[1],
        seeds=seeds,
        stop=None,  # a stopped (noisy) upscale or variation is not what anyone asked for
        weight=weight,
        # Start from the parent's own steps, not the steps left after its strength.
        steps=parent.steps,
        upscaler=False,
    )
    if action.kind is JobKind.UPSCALE and upscaler:
        # The upscaler runs all its steps: strength 1 makes the price (run_steps) say so.
        steps = max(parent.steps, UPSCALER_MIN_STEPS)
        return replace(spec, init_image=image.path, strength=1.0, steps=steps, upscaler=True)
    return with_init_image(spec, image.path, action.strength_in(settings))


def request_from_json(params: dict[str, Any]) -> MjRequest:
    """The parent's parsed request back from its params_json (for the derived job's row)."""
    values = dict(params)
    values["image_urls"] = tuple(values.get("image_urls") or ())
    values["prompts"] = tuple(PromptPart(p["text"], p["weight"]) for p in values["prompts"])
    values["loras"] = tuple(
        LoraRef(lora["name"], lora["weight"]) for lora in params.get("loras", ())
    )
    return MjRequest(**values)


def gan_spec(
    parent: JobSpec,
    action: ButtonAction,
    image: ImageRow,
    job_id: str,
    weight: float,
    settings: ActionSettings,
    gan_upscaler: bool,
) -> JobSpec:
    """Upscale 4x: the image through the GAN upscaler, one pass, no prompt, steps or LoRAs."""
    if not gan_upscaler:
        raise MjError(t("This bot has no 4x upscaler now (MJ_GAN_UPSCALER is not set)."))
    if not can_upscale_4x(image.width, image.height, settings):
        raise MjError(
            t(
                "This image is {width}x{height}: four times that is over this bot's limit of "
                "{limit} px a side.",
                width=str(image.width),
                height=str(image.height),
                limit=settings.gan_max_side,
            )
        )
    own_seed = image.seed if image.seed is not None else parent.seeds[action.image - 1]
    return replace(
        parent,
        job_id=job_id,
        width=4 * image.width,
        height=4 * image.height,
        seeds=(own_seed,),
        steps=1,
        init_image=image.path,
        strength=1.0,
        stop=None,
        chaos=0,
        tile=False,
        weight=weight,
        upscaler=False,
        loras=(),
        clip_skip=1,
        gan_upscale=True,
    )
