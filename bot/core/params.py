"""The pure /mj parser: `/mj <prompt> [--params]` -> MjRequest, or a ParamError to show the user.

Midjourney's syntax where Midjourney has one (`--ar`, `--no`, `--seed`, `--chaos`, `--iw`,
`--tile`, `--repeat`, `--stop`, image URLs first, `::` weights); Stable Diffusion knobs
(`--steps`, `--cfg`, `--sampler`, `--model`, `--style`) in the same style. No I/O. Values out of
range are refused, never clamped: a silently changed request is worse than an error.

Here: the request and the parse, step by step. Its parts hold the rest: `bot.core.params_tokens`
finds params, image URLs and ::weights in the text, `bot.core.params_fields` says which field
each param sets, `bot.core.params_values` checks each value on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields

from bot.core.errors import ParamError, excerpt
from bot.core.looks import LoraRef, check_name, collect_loras, lora_flag, split_lora_tags
from bot.core.params_fields import Fields, read_params
from bot.core.params_tokens import (
    ALIASES,
    normalize_input,
    split_image_urls,
    split_params,
    split_weighted,
)
from bot.core.params_values import (
    FLOAT_RANGES,
    INT_RANGES,
    read_aspect,
    read_float,
    read_int,
    read_model,
    read_sampler,
    read_style,
)
from bot.core.sizes import size_for_aspect
from bot.core.urls import MAX_URL_CHARS, http_target
from engine.job import PromptPart
from engine.profiles import PROFILES, ModelProfile
from i18n import t

__all__ = ["MjRequest", "normalize_input", "parse_mj"]


@dataclass(frozen=True, slots=True)
class MjRequest:
    """A validated /mj request. Optional knobs are None when not given (the model decides)."""

    prompt: str  # the text without params and image URLs; multi-prompts: parts joined by ", "
    negative_prompt: str | None
    width: int
    height: int
    aspect: str  # reduced W:H, "1:1" without --ar
    seed: int | None
    steps: int | None
    cfg: float | None
    sampler: str | None  # a key of engine.profiles.SAMPLERS
    model: str | None
    style: str | None  # a key of bot.core.styles.STYLES, not yet applied to the prompt
    tile: bool
    repeat: int | None
    stop: int | None
    chaos: int | None
    image_urls: tuple[str, ...]
    image_weight: float | None
    prompts: tuple[PromptPart, ...]  # one entry of weight 1.0 without `::` weights
    # --lora and <lora:...> in the order typed; names not yet looked up in the registry.
    loras: tuple[LoraRef, ...] = ()
    theme: str | None = None  # a theme name, not yet looked up
    clip_skip: int | None = None  # 1..4; None: the theme's or model's

    def to_json_dict(self) -> dict:
        """Plain JSON types: tuples become lists, prompts become {"text", "weight"} objects."""
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["image_urls"] = list(self.image_urls)
        data["prompts"] = [{"text": p.text, "weight": p.weight} for p in self.prompts]
        data["loras"] = [{"name": lora.name, "weight": lora.weight} for lora in self.loras]
        return data


# `/mj`, `/mj@SomeBot` (Telegram groups), `/imagine` and Discord's `/imagine prompt:` copy.
_COMMAND = re.compile(r"^/(?:mj|imagine)(?:@\w+)?(?:\s+prompt:)?(?=\s|$)", re.IGNORECASE)
_EMPTY = t("Your prompt is empty: write what you want to see before the parameters.")


def parse_mj(
    text: str,
    *,
    profile: ModelProfile | Callable[[str | None], ModelProfile] = PROFILES["sd-turbo"],
    models: Collection[str] | None = None,
    max_prompt_chars: int = 1500,
    attached_image: bool = False,
    fields: Fields | None = None,
    normalized: bool = False,
    allow_empty: bool = False,
) -> MjRequest:
    """Parse one /mj message into a validated request.

    `allow_empty`: the prompt may be empty (a /blend draws from its images alone).

    `attached_image`: the message came with an image (a chat attachment), so --iw has one.
    `fields`: parameters given apart from the text (see `bot.core.params_fields.Fields`).
    `normalized`: the text went through `normalize_input` already (the core does that once per
    request).

    `profile` sizes the image and bounds --steps: a fixed profile, or a function from the
    --model name (None when not given) to that model's profile. `models` None accepts any
    model name.
    """
    # 1. Undo what phones and input methods did, then drop the command.
    text = _COMMAND.sub("", text if normalized else normalize_input(text)).strip()
    head, pairs = split_params(text)
    head, lora_refs = split_lora_tags(head)
    lora_refs += [lora_flag(name, value) for name, value in pairs if ALIASES.get(name) == "loras"]
    fields = dict(fields or {})
    if "loras" in fields:  # a list given apart from the text: NAME:WEIGHT words
        lora_refs += fields.pop("loras")[1].replace(",", " ").split()
    params = read_params([(n, v) for n, v in pairs if ALIASES.get(n) != "loras"], fields)
    typed = {field: name for field, (name, _) in params.items()}
    raw = {field: value for field, (_, value) in params.items()}

    # 2. Values, each against its own range.
    model = read_model(raw["model"], models) if "model" in raw else None
    if callable(profile):
        profile = profile(model)
    int_ranges = {**INT_RANGES, "steps": (1, profile.max_steps)}
    ints = {f: read_int(typed[f], raw[f], *int_ranges[f]) for f in int_ranges if f in raw}
    floats = {f: read_float(typed[f], raw[f], *FLOAT_RANGES[f]) for f in FLOAT_RANGES if f in raw}
    aspect_w, aspect_h = read_aspect(typed["aspect"], raw["aspect"]) if "aspect" in raw else (1, 1)
    sampler = read_sampler(typed["sampler"], raw["sampler"]) if "sampler" in raw else None
    style = read_style(typed["style"], raw["style"]) if "style" in raw else None
    loras = collect_loras(lora_refs)
    theme = check_name("Theme", raw["theme"]) if "theme" in raw else None

    # 3. Image prompts first in the text, then ::weights in the rest.
    image_urls, body = split_image_urls(head)
    for url in image_urls:
        if http_target(url) is None:
            raise ParamError(
                t(
                    "The image URL {url} is not a valid http(s) URL (at most {most} characters, "
                    "a host name, a port up to 65535).",
                    url=excerpt(url),
                    most=str(MAX_URL_CHARS),
                )
            )
    if "image_weight" in floats and not image_urls and not attached_image:
        raise ParamError(t("--iw needs an image prompt: put an image URL at the start."))
    parts = split_weighted(body)
    if not parts and allow_empty:
        parts = [("", 1.0)]
    if not parts:
        raise ParamError(_EMPTY)
    if sum(weight for _, weight in parts) <= 0:
        raise ParamError(
            t(
                "The ::weights add up to 0 or less; they must add up to more than 0 "
                "(e.g. cat::2 dog::-0.5)."
            )
        )
    prompt = ", ".join(part for part, _ in parts)
    negative = raw.get("negative_prompt")
    if len(prompt) > max_prompt_chars:
        raise ParamError(
            t(
                "Your prompt is {length} characters long; the limit is {limit}. Shorten it.",
                length=len(prompt),
                limit=max_prompt_chars,
            )
        )
    if negative is not None and len(negative) > max_prompt_chars:
        raise ParamError(
            t(
                "{name} is {length} characters long; the limit is {limit}. Shorten it.",
                name=typed.get("negative_prompt") or "--no",
                length=len(negative),
                limit=max_prompt_chars,
            )
        )

    # 4. Size from the profile's native area.
    width, height = size_for_aspect(aspect_w, aspect_h, profile)
    return MjRequest(
        prompt=prompt,
        negative_prompt=negative,
        width=width,
        height=height,
        aspect=f"{aspect_w}:{aspect_h}",
        seed=ints.get("seed"),
        steps=ints.get("steps"),
        cfg=floats.get("cfg"),
        sampler=sampler,
        model=model,
        style=style,
        tile="tile" in raw,
        repeat=ints.get("repeat"),
        stop=ints.get("stop"),
        chaos=ints.get("chaos"),
        image_urls=image_urls,
        image_weight=floats.get("image_weight"),
        prompts=tuple(PromptPart(part, weight) for part, weight in parts),
        loras=loras,
        theme=theme,
        clip_skip=ints.get("clip_skip"),
    )
