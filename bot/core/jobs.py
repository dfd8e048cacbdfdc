"""From a parsed request to the engine's JobSpec and the jobs row that records it. Pure."""

from __future__ import annotations

import secrets
from typing import Any

from bot.core.params import MjRequest
from bot.core.requests import Origin
from bot.core.styles import apply_style
from bot.core.themes import with_triggers
from engine.job import JobSpec, LoraUse, PromptPart, spec_to_dict
from engine.profiles import ModelProfile

SEED_SPACE = 2**32
# No 0/o, 1/l/i: ids are read off screens and typed back (/cancel k7x2...).
_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_job_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))  # ~49 bits


def new_seed() -> int:
    return secrets.randbelow(SEED_SPACE)


def build_spec(
    job_id: str,
    origin: Origin,
    request: MjRequest,
    profile: ModelProfile,
    seed: int,
    weight: float = 1.0,
    *,
    default_model: str,
    images: int,
    loras: tuple[LoraUse, ...] = (),
    triggers: tuple[str, ...] = (),
    clip_skip: int = 1,
) -> JobSpec:
    """Fill the request's gaps with the model's defaults, add the LoRAs' trigger words and
    apply its --style; `images` per job."""
    negative = request.negative_prompt
    parts = []
    for part in request.prompts:
        text = with_triggers(part.text, triggers) if part.weight > 0 else part.text
        if part.weight > 0 and request.style:
            text, _ = apply_style(request.style, text, None)
        parts.append(PromptPart(text, part.weight))
    if request.style:
        _, negative = apply_style(request.style, "", negative)
    return JobSpec(
        job_id=job_id,
        user_key=origin.user_key,
        model=request.model or default_model,
        prompts=tuple(parts),
        negative_prompt=negative,
        width=request.width,
        height=request.height,
        steps=request.steps if request.steps is not None else profile.steps,
        cfg=request.cfg if request.cfg is not None else profile.cfg,
        sampler=request.sampler or profile.sampler,
        # Image i is seed + i: any one image can be redrawn alone from its own seed.
        seeds=tuple((seed + i) % SEED_SPACE for i in range(images)),
        tile=request.tile,
        stop=request.stop,
        chaos=request.chaos or 0,
        weight=weight,
        loras=loras,
        clip_skip=clip_skip,
    )


def job_row(
    spec: JobSpec,
    request: MjRequest,
    origin: Origin,
    user_id: int,
    mj_text: str,
    *,
    action: str = "imagine",
    parent_id: str | None = None,
    written: str | None = None,
) -> dict[str, Any]:
    """`request` is what was parsed; `written` the prompt as typed when it was translated
    (a Chinese prompt): then both are kept, the English as translated_prompt."""
    params = request.to_json_dict()
    return {
        **_who_and_why(spec, origin, user_id, action, parent_id),
        "mj_text": mj_text,
        "prompt": request.prompt if written is None else written,
        "translated_prompt": None if written is None else request.prompt,
        "negative_prompt": request.negative_prompt,
        "prompts_json": params["prompts"],
        "width": spec.width,
        "height": spec.height,
        "aspect": request.aspect,
        "model": spec.model,
        "style": request.style,
        "theme": request.theme,
        "loras_json": [{"name": lora.name, "weight": lora.weight} for lora in spec.loras],
        "clip_skip": spec.clip_skip,
        "sampler": spec.sampler,
        "seed": spec.seeds[0],
        "cfg": spec.cfg,
        "steps": spec.steps,
        "tile": int(spec.tile),
        "stop": spec.stop,
        "chaos": spec.chaos,
        "image_count": spec.image_count,
        "params_json": params,
        "spec_json": spec_to_dict(spec),
    }


def describe_spec(
    job_id: str,
    origin: Origin,
    image: str,
    size: tuple[int, int],
    seed: int,
    weight: float,
    *,
    model: str,
    again: bool = False,
) -> JobSpec:
    """A /describe of the stored `image` (`size` its pixels): beams first, or for a 🔄
    (`again`) seeded samples only. `model` only names the profile the price is read from."""
    return JobSpec(
        job_id=job_id,
        user_key=origin.user_key,
        model=model,
        prompts=(),
        negative_prompt=None,
        width=size[0],
        height=size[1],
        steps=1,
        cfg=0.0,
        sampler="default",
        seeds=(seed,),
        weight=weight,
        init_image=image,
        describe="samples" if again else "beams",
    )


def describe_row(
    spec: JobSpec,
    origin: Origin,
    user_id: int,
    text: str,
    aspect: str,
    *,
    gloss: bool,
    parent_id: str | None = None,
) -> dict[str, Any]:
    """The jobs row of a describe: `text` what the user wrote after /describe; `aspect` the
    image's --ar; `gloss` whether its prompts get a Chinese gloss (kept in params_json)."""
    return {
        **_who_and_why(spec, origin, user_id, "describe", parent_id),
        "mj_text": f"/describe {text}".strip(),
        "prompt": "/describe",
        "width": spec.width,
        "height": spec.height,
        "aspect": aspect,
        "model": spec.model,
        "seed": spec.seeds[0],
        "image_count": 0,
        "params_json": {"gloss": gloss},
        "spec_json": spec_to_dict(spec),
    }


def _who_and_why(
    spec: JobSpec, origin: Origin, user_id: int, action: str, parent_id: str | None
) -> dict[str, Any]:
    """What every jobs row starts with: whose job, where to answer, what made it."""
    return {
        "id": spec.job_id,
        "user_id": user_id,
        "platform": origin.platform,
        "chat_id": origin.chat_id,
        "scope_id": origin.scope_id,
        "reply_handle": origin.reply_handle,
        "nsfw_chat": int(origin.nsfw),
        "lang": origin.lang.value,  # its replies are written in it, after a restart too
        "action": action,
        "parent_id": parent_id,
    }
