"""The txt2img JSON body: read strictly, validated field by field, then handed to the core as
the prompt and its parameter fields.

`load_json` turns any bytes into JSON or a BodyError: numbers of any length (no int() on 5,000
digits), no NaN or Infinity, no nesting deep enough to exhaust the stack, no unpaired
surrogates (SQLite could not store them). `parse_body` checks each field's shape (type, range,
the configured model names); what a prompt means (its /mj parameters, Chinese, banned terms,
the model's step limit) is the core's business, exactly as for a chat message. A field the
prompt sets too (`--steps` and `steps`) is refused by the core, naming the field.

`width` and `height` set the shape, not the size: the engine draws about the model's native
area (512² for SD 1.5, 1024² for SDXL) in that shape, between 1:4 and 4:1. A longer shape is
drawn at 4:1 (or 1:4), and the job shows the size it got: OpenAPI cannot state a limit on the
ratio of two fields, so a client generated from it could not know to keep within it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from bot.core.errors import excerpt
from bot.core.language import Listing, Message, MessageError, t
from bot.core.params_fields import Fields

FIELDS = (
    "prompt",
    "negativePrompt",
    "width",
    "height",
    "seed",
    "steps",
    "cfg",
    "model",
    "count",
    "theme",
    "loras",
    "clipSkip",
)
MAX_LORAS = 4
_MODEL = re.compile(r"[\w.-]{1,100}")  # a LoRA's name, as the core then checks it
MAX_RATIO = 4  # as --ar: from 1:4 to 4:1
MAX_SIDE = 8192
MAX_DIGITS = 20  # more than any field takes (seeds have 10): a longer number is refused whole


class BodyError(MessageError, ValueError):
    """The body cannot be used; the message names the field and what it accepts."""


@dataclass(frozen=True, slots=True)
class Txt2Img:
    prompt: str  # the /mj text (without the command): a prompt, maybe with parameters
    fields: Fields  # the other fields, as the core's parameters (MjRequest field names)
    count: int | None  # images per job; None: the bot's default


def _whole(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise BodyError(
            t(
                "The body has a number {number}: no field takes one that long.",
                number=excerpt(text),
            )
        )
    return int(text)


def _decimal(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(
            t("The body has a number {number} too large for any field.", number=excerpt(text))
        )
    return value


def _constant(name: str) -> None:
    raise BodyError(
        t("{name} is not a JSON number; send a number or leave the field out.", name=name)
    )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included (a loop: nesting costs no stack)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def load_json(raw: bytes) -> Any:
    """The JSON in a request body, or BodyError saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(t("The body must be JSON in UTF-8")) from None
    try:
        value = json.loads(text, parse_int=_whole, parse_float=_decimal, parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise BodyError(
            t(
                "The body is not valid JSON: {error} at {position}",
                error=error.msg,
                position=str(error.pos),
            )
        ) from None
    except RecursionError:
        raise BodyError(t("The body is nested too deeply; send a flat JSON object")) from None
    for string in _strings(value):
        try:
            string.encode("utf-8")
        except UnicodeEncodeError:  # only a \ud800-style escape makes one
            raise BodyError(t("The body has text with an unpaired surrogate (\\ud800)")) from None
    return value


def shown(value: Any) -> Message:
    """A JSON value as an error message quotes it: as JSON, at most a short prefix."""
    return excerpt(json.dumps(value, ensure_ascii=False))


def _int(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    # JSON true is a Python int; 2.0 is a whole number a client may well send.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BodyError(
            t(
                "{name} must be a whole number from {low} to {high}, got {value}",
                name=name,
                low=str(low),
                high=str(high),
                value=shown(value),
            )
        )
    return value


def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BodyError(t("{name} must be a non-empty string", name=name))
    return value.strip()


def shape(width: int, height: int) -> str:
    """The reduced W:H of a width and height, brought within 1:4 to 4:1."""
    divisor = math.gcd(width, height)
    width, height = width // divisor, height // divisor
    if width > MAX_RATIO * height:
        return f"{MAX_RATIO}:1"
    if height > MAX_RATIO * width:
        return f"1:{MAX_RATIO}"
    return f"{width}:{height}"


def _loras(value: Any) -> list[str]:
    """`loras`: [{"name": "ink", "weight": 0.8}, ...] (weight optional) -> "ink:0.8" words."""
    if value is None:
        return []
    shape = t(
        'loras must be a list of {{"name": NAME, "weight": -2..2}} objects, at most {most}',
        most=MAX_LORAS,
    )
    if not isinstance(value, list) or len(value) > MAX_LORAS:
        raise BodyError(shape)
    words = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else None
        weight = item.get("weight") if isinstance(item, dict) else None
        if (
            not isinstance(name, str)
            or not _MODEL.fullmatch(name)
            or set(item) - {"name", "weight"}
        ):
            raise BodyError(shape)
        if weight is None:
            words.append(name)
        elif isinstance(weight, bool) or not isinstance(weight, int | float):
            raise BodyError(
                t("the weight of LoRA {name} must be a number from -2 to 2", name=excerpt(name))
            )
        else:
            words.append(f"{name}:{weight:g}")
    return words


def refuse_unknown_fields(body: dict[str, Any], allowed: Collection[str]) -> None:
    """BodyError naming the first field of `body` that is not one of `allowed`, and those."""
    unknown = [name for name in body if name not in allowed]
    if unknown:
        raise BodyError(
            t(
                "Unknown field {name}; the fields are: {fields}",
                name=excerpt(unknown[0]),
                fields=Listing.of(allowed, "plain"),
            )
        )


def parse_body(body: Any, models: Collection[str] | None = None) -> Txt2Img:
    """The body of POST /api/txt2img and /api/jobs -> the prompt, its fields, the count.
    `models`: the names `model` may take (None: any name; the core checks it then)."""
    if not isinstance(body, dict):
        raise BodyError(t('The body must be a JSON object, like {{"prompt": "a red fox"}}'))
    refuse_unknown_fields(body, FIELDS)
    prompt = _text(body, "prompt", required=True)
    negative = _text(body, "negativePrompt")
    width = _int(body, "width", 1, MAX_SIDE)
    height = _int(body, "height", 1, MAX_SIDE)
    seed = _int(body, "seed", 0, 2**32 - 1)
    steps = _int(body, "steps", 1, 150)
    count = _int(body, "count", 1, 4)
    model = _text(body, "model")
    cfg = body.get("cfg")
    if cfg is not None and (
        isinstance(cfg, bool) or not isinstance(cfg, int | float) or not 0 <= cfg <= 30
    ):
        raise BodyError(t("cfg must be a number from 0 to 30, got {value}", value=shown(cfg)))
    if model is not None and models is not None and model not in models:
        raise BodyError(
            t(
                "model must be one of: {models}; got {value}",
                models=Listing.of(models, "plain"),
                value=excerpt(model),
            )
        )
    fields: dict[str, tuple[str, str]] = {}
    theme = _text(body, "theme")
    if theme is not None:
        fields["theme"] = ("theme", theme)
    clip_skip = _int(body, "clipSkip", 1, 4)
    if clip_skip is not None:
        fields["clip_skip"] = ("clipSkip", str(clip_skip))
    loras = _loras(body.get("loras"))
    if loras:
        fields["loras"] = ("loras", " ".join(loras))
    if negative:
        fields["negative_prompt"] = ("negativePrompt", negative)
    if (width is None) != (height is None):
        raise BodyError(t("Give both width and height, or neither"))
    if width is not None and height is not None:
        fields["aspect"] = ("width and height", shape(width, height))
    for name, value in (("seed", seed), ("steps", steps), ("model", model)):
        if value is not None:
            fields[name] = (name, str(value))
    if cfg is not None:  # positional digits: the /mj reader takes no exponent (1e-308)
        fields["cfg"] = ("cfg", format(Decimal(repr(cfg)), "f"))
    return Txt2Img(prompt, fields, count)


async def read_json(request: web.Request) -> Any:
    """The request's JSON body (`load_json`), or a BodyError saying what is wrong with it."""
    return load_json(await request.read())
