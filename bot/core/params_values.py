"""Each /mj parameter's value checked on its own: numbers against their ranges, the aspect
ratio, and samplers, styles and models against the known ones (the closest named when a name
is unknown).

`bot.core.params` calls these once `bot.core.params_fields` has said which field each param
sets; a check here sees one value and how the user named it, never the rest of the request.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection
from typing import NoReturn

from bot.core.errors import ParamError, excerpt
from bot.core.looks import CLIP_SKIP_RANGE
from bot.core.numbers import decimal_number, whole_number
from bot.core.sizes import MAX_RATIO
from bot.core.styles import STYLES
from engine.profiles import SAMPLERS
from i18n import Listing, t

# Each number field's range; --steps' depends on the model, so `parse_mj` adds it.
INT_RANGES = {
    "seed": (0, 4294967295),
    "repeat": (1, 40),
    "stop": (10, 100),
    "chaos": (0, 100),
    "clip_skip": CLIP_SKIP_RANGE,
}
FLOAT_RANGES = {"cfg": (0.0, 30.0), "image_weight": (0.0, 3.0)}
_ASPECT = re.compile(r"([0-9]+):([0-9]+)")
_MAX_ASPECT_SIDE = 100_000  # 7680:4320 is written as typed; nobody means 10^6:1


def closest(word: str, choices: Collection[str]) -> str | None:
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


def read_int(shown: str, value: str, low: int, high: int) -> int:
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


def read_float(shown: str, value: str, low: float, high: float) -> float:
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


def read_sampler(shown: str, value: str) -> str:
    keys = {_sampler_key(sampler): sampler for sampler in SAMPLERS}
    if found := keys.get(_sampler_key(value)):
        return found
    return _refuse("sampler", shown, value, closest(value.lower(), SAMPLERS), SAMPLERS)


def read_style(shown: str, value: str) -> str:
    key = re.sub(r"[\s_]+", "-", value.lower())
    if key in STYLES:
        return key
    return _refuse("style", shown, value, closest(key, STYLES), STYLES)


def read_model(value: str, models: Collection[str] | None) -> str:
    if models is None or value in models:
        return value
    if found := next((m for m in models if m.lower() == value.lower()), None):
        return found
    return _refuse("model", "--model", value, closest(value, models), models)


def read_aspect(shown: str, value: str) -> tuple[int, int]:
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
