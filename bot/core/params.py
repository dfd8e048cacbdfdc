"""The pure /mj parser: `/mj <prompt> [--params]` -> MjRequest, or a ParamError to show the user.

Midjourney's syntax where Midjourney has one (`--ar`, `--no`, `--seed`, `--chaos`, `--iw`,
`--tile`, `--repeat`, `--stop`, image URLs first, `::` weights); Stable Diffusion knobs
(`--steps`, `--cfg`, `--sampler`, `--model`, `--style`) in the same style. No I/O. Values out of
range are refused, never clamped: a silently changed request is worse than an error.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields
from typing import NoReturn

from bot.core.errors import ParamError, excerpt
from bot.core.looks import (
    CLIP_SKIP_RANGE,
    LoraRef,
    check_name,
    collect_loras,
    lora_flag,
    split_lora_tags,
)
from bot.core.numbers import decimal_number, whole_number
from bot.core.params_tokens import (
    ALIASES,
    normalize_input,
    normalize_value,
    split_image_urls,
    split_params,
    split_weighted,
)
from bot.core.sizes import MAX_RATIO, size_for_aspect
from bot.core.styles import STYLES
from bot.core.urls import MAX_URL_CHARS, http_target
from engine.job import PromptPart
from engine.profiles import PROFILES, SAMPLERS, ModelProfile
from i18n import Listing, t

__all__ = ["Fields", "MjRequest", "normalize_input", "parse_mj"]

# Parameters given apart from the text (the HTTP API's JSON fields): MjRequest field ->
# (the name the client used, shown in messages; the value as it would follow --name).
Fields = Mapping[str, tuple[str, str]]


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


_EXAMPLES = {
    "aspect": "16:9",
    "negative_prompt": "text, watermark",
    "seed": "1234",
    "steps": "20",
    "cfg": "7",
    "sampler": "euler_a",
    "model": "NAME",
    "style": "cinematic",
    "repeat": "4",
    "stop": "80",
    "chaos": "50",
    "image_weight": "1.5",
    "loras": "NAME:0.8",
    "theme": "NAME",
    "clip_skip": "2",
}
_INT_RANGES = {
    "seed": (0, 4294967295),
    "repeat": (1, 40),
    "stop": (10, 100),
    "chaos": (0, 100),
    "clip_skip": CLIP_SKIP_RANGE,
}
_FLOAT_RANGES = {"cfg": (0.0, 30.0), "image_weight": (0.0, 3.0)}
# Fields whose value is one word: more words mean prompt text was put after the params.
_ONE_WORD = {"model", "steps", "loras", "theme", *_INT_RANGES, *_FLOAT_RANGES}
_ASPECT = re.compile(r"([0-9]+):([0-9]+)")
_MAX_ASPECT_SIDE = 100_000  # 7680:4320 is written as typed; nobody means 10^6:1
# `/mj`, `/mj@SomeBot` (Telegram groups), `/imagine` and Discord's `/imagine prompt:` copy.
_COMMAND = re.compile(r"^/(?:mj|imagine)(?:@\w+)?(?:\s+prompt:)?(?=\s|$)", re.IGNORECASE)
_EMPTY = t("Your prompt is empty: write what you want to see before the parameters.")


def _closest(word: str, choices: Collection[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def _refuse(
    kind: str, shown: str, value: str, close: str | None, choices: Collection[str]
) -> NoReturn:
    """ParamError for an unknown sampler, style or model: the closest known one if there is
    one, then every choice."""
    values = {"value": excerpt(value), "name": shown, "choices": Listing.of(choices, "plain")}
    if kind == "sampler" and close is not None:
        message = t(
            "Unknown sampler {value}. Did you mean {close}? {name} takes one of: {choices}.",
            close=close,
            **values,
        )
    elif kind == "sampler":
        message = t("Unknown sampler {value}. {name} takes one of: {choices}.", **values)
    elif kind == "style" and close is not None:
        message = t(
            "Unknown style {value}. Did you mean {close}? {name} takes one of: {choices}.",
            close=close,
            **values,
        )
    elif kind == "style":
        message = t("Unknown style {value}. {name} takes one of: {choices}.", **values)
    elif not choices:
        message = t("Unknown model {value}. No model is available.", **values)
    elif close is not None:
        message = t(
            "Unknown model {value}. Did you mean {close}? Available models: {choices}.",
            close=close,
            **values,
        )
    else:
        message = t("Unknown model {value}. Available models: {choices}.", **values)
    raise ParamError(message)


# `shown` below is how the user named a parameter: "--steps" in the text, "steps" as a field.


def _int(shown: str, value: str, low: int, high: int) -> int:
    number = whole_number(value, low, high)
    if number is None:
        raise ParamError(
            t(
                "{name} must be a whole number between {low} and {high}, got {value}",
                name=shown,
                low=str(low),
                high=str(high),
                value=excerpt(value),
            )
        )
    return number


def _float(shown: str, value: str, low: float, high: float) -> float:
    number = decimal_number(value, low, high)
    if number is None:
        raise ParamError(
            t(
                "{name} must be a number between {low} and {high}, got {value}",
                name=shown,
                low=f"{low:g}",
                high=f"{high:g}",
                value=excerpt(value),
            )
        )
    return number


def _sampler_key(name: str) -> str:
    """`DPM++ 2M Karras`, `dpmpp_2m_karras`, `k_euler_a` -> one spelling to compare on."""
    key = re.sub(r"[\s_\-]+", "", name.lower().removeprefix("k_")).replace("dpmpp", "dpm++")
    return "eulera" if key == "eulerancestral" else key


def _sampler(shown: str, value: str) -> str:
    keys = {_sampler_key(sampler): sampler for sampler in SAMPLERS}
    if found := keys.get(_sampler_key(value)):
        return found
    return _refuse("sampler", shown, value, _closest(value.lower(), SAMPLERS), SAMPLERS)


def _style(shown: str, value: str) -> str:
    key = re.sub(r"[\s_]+", "-", value.lower())
    if key in STYLES:
        return key
    return _refuse("style", shown, value, _closest(key, STYLES), STYLES)


def _model(value: str, models: Collection[str] | None) -> str:
    if models is None or value in models:
        return value
    if found := next((m for m in models if m.lower() == value.lower()), None):
        return found
    return _refuse("model", "--model", value, _closest(value, models), models)


def _aspect(shown: str, value: str) -> tuple[int, int]:
    match = _ASPECT.fullmatch(re.sub(r"\s*:\s*", ":", value))
    if not match:
        raise ParamError(
            t(
                "{name} must be two whole numbers written W:H, like {name} 16:9, got {value}",
                name=shown,
                value=excerpt(value),
            )
        )
    width = whole_number(match.group(1), 1, _MAX_ASPECT_SIDE)
    height = whole_number(match.group(2), 1, _MAX_ASPECT_SIDE)
    if width is None or height is None:
        raise ParamError(
            t(
                "{name} sides must be whole numbers from 1 to {most}, like 16:9, got {value}",
                name=shown,
                most=str(_MAX_ASPECT_SIDE),
                value=excerpt(value),
            )
        )
    if width > MAX_RATIO * height or height > MAX_RATIO * width:
        raise ParamError(
            t(
                "{name} {value} is too extreme: use a ratio between 1:4 and 4:1.",
                name=shown,
                value=excerpt(value, quote=""),
            )
        )
    divisor = math.gcd(width, height)
    return width // divisor, height // divisor


def _read_params(pairs: list[tuple[str, str]], fields: Fields) -> dict[str, tuple[str, str]]:
    """Map each field to (name as shown, value): "--name" as typed, or a field's own name.
    Unknown, duplicate and empty params fail, and so does a field the text sets too."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in pairs:
        field = ALIASES.get(name)
        if field is None:
            close = _closest(name, ALIASES)
            typed_name = excerpt(f"--{name}", quote="")
            if close is not None:
                raise ParamError(
                    t(
                        "Unknown parameter {name}. Did you mean --{close}?",
                        name=typed_name,
                        close=close,
                    )
                )
            known = Listing.of((f"--{alias}" for alias in ALIASES), "plain")
            raise ParamError(
                t("Unknown parameter {name}. Known: {known}.", name=typed_name, known=known)
            )
        if field in found:
            first = found[field][0]
            if first == f"--{name}":
                raise ParamError(t("--{name} is given twice; keep one.", name=name))
            raise ParamError(
                t(
                    "--{name} is given twice ({first} and --{name} are the same); keep one.",
                    name=name,
                    first=first,
                )
            )
        if field == "tile" and value:
            raise ParamError(
                t(
                    "--{name} takes no value, got {value}. Write the prompt first and the "
                    "parameters after it.",
                    name=name,
                    value=excerpt(value),
                )
            )
        if field != "tile" and not value:
            raise ParamError(
                t(
                    "--{name} needs a value, e.g. --{name} {example}",
                    name=name,
                    example=_EXAMPLES[field],
                )
            )
        if field in _ONE_WORD and len(value.split()) > 1:
            raise ParamError(
                t(
                    "--{name} takes one value, got {value}. Write the prompt first and the "
                    "parameters after it.",
                    name=name,
                    value=excerpt(value),
                )
            )
        found[field] = (f"--{name}", value)
    for field, (label, value) in fields.items():
        if field in found:
            typed = found[field][0]
            raise ParamError(
                t(
                    "{field} and {typed} in the prompt set the same thing; keep one.",
                    field=label,
                    typed=typed,
                )
            )
        found[field] = (label, normalize_value(field, value))
    return found


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
    `fields`: parameters given apart from the text (see `Fields`). `normalized`: the text went
    through `normalize_input` already (the core does that once per request).

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
    params = _read_params([(n, v) for n, v in pairs if ALIASES.get(n) != "loras"], fields)
    typed = {field: name for field, (name, _) in params.items()}
    raw = {field: value for field, (_, value) in params.items()}

    # 2. Values, each against its own range.
    model = _model(raw["model"], models) if "model" in raw else None
    if callable(profile):
        profile = profile(model)
    int_ranges = {**_INT_RANGES, "steps": (1, profile.max_steps)}
    ints = {f: _int(typed[f], raw[f], *int_ranges[f]) for f in int_ranges if f in raw}
    floats = {f: _float(typed[f], raw[f], *_FLOAT_RANGES[f]) for f in _FLOAT_RANGES if f in raw}
    aspect_w, aspect_h = _aspect(typed["aspect"], raw["aspect"]) if "aspect" in raw else (1, 1)
    sampler = _sampler(typed["sampler"], raw["sampler"]) if "sampler" in raw else None
    style = _style(typed["style"], raw["style"]) if "style" in raw else None
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
