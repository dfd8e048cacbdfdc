"""The txt2img JSON body: validated field by field, then handed to the core as the prompt and
its parameter fields.

Only the shape of each field is checked here (type, range); what a prompt means (its /mj
parameters, Chinese, banned terms, the model's step limit) is the core's business, exactly as
for a chat message. A field the prompt sets too (`--steps` and `steps`) is refused by the core,
naming the field.

`width` and `height` set the aspect ratio (`--ar W:H`, reduced), not the exact size: the engine
draws about the model's native area (512² for SD 1.5, 1024² for SDXL) in that shape, so a
client cannot ask for a size the GPU was never meant to draw.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.core.language import Listing, MessageError, t
from bot.core.params import Fields

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
MAX_RATIO = 4  # as --ar: from 1:4 to 4:1
MAX_SIDE = 8192
_MODEL = re.compile(r"[\w.-]{1,100}")


class BodyError(MessageError, ValueError):
    """The body cannot be used; the message names the field and what it accepts."""


@dataclass(frozen=True, slots=True)
class Txt2Img:
    prompt: str  # the /mj text (without the command): a prompt, maybe with parameters
    fields: Fields  # the other fields, as the core's parameters (MjRequest field names)
    count: int | None  # images per job; None: the bot's default


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
                value=json.dumps(value, ensure_ascii=False),
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
                t("the weight of LoRA '{name}' must be a number from -2 to 2", name=name)
            )
        else:
            words.append(f"{name}:{weight:g}")
    return words


def parse_body(body: Any) -> Txt2Img:
    """The body of POST /api/txt2img and /api/jobs -> the prompt, its fields, the count."""
    if not isinstance(body, dict):
        raise BodyError(t('The body must be a JSON object, like {{"prompt": "a red fox"}}'))
    unknown = [name for name in body if name not in FIELDS]
    if unknown:
        raise BodyError(
            t(
                "Unknown field '{name}'; the fields are: {fields}",
                name=unknown[0],
                fields=Listing.of(FIELDS, "plain"),
            )
        )
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
        raise BodyError(
            t(
                "cfg must be a number from 0 to 30, got {value}",
                value=json.dumps(cfg, ensure_ascii=False),
            )
        )
    if model is not None and not _MODEL.fullmatch(model):
        raise BodyError(
            t(
                "model must be a model name (letters, digits, '_', '.', '-'), got '{value}'",
                value=model,
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
        if max(width, height) > MAX_RATIO * min(width, height):
            raise BodyError(
                t(
                    "width:height is {ratio}; use a ratio between 1:4 and 4:1 (width and "
                    "height set the shape, the model sets the size)",
                    ratio=f"{width}:{height}",
                )
            )
        divisor = math.gcd(width, height)
        fields["aspect"] = ("width and height", f"{width // divisor}:{height // divisor}")
    for name, value in (("seed", seed), ("steps", steps), ("model", model)):
        if value is not None:
            fields[name] = (name, str(value))
    if cfg is not None:
        fields["cfg"] = ("cfg", f"{cfg:g}")
    return Txt2Img(prompt, fields, count)


async def read_json(request: web.Request) -> Any:
    """The request's JSON body, or a BodyError saying what is wrong with it."""
    try:
        return await request.json(loads=json.loads)
    except json.JSONDecodeError as error:
        raise BodyError(
            t(
                "The body is not valid JSON: {error} at {position}",
                error=error.msg,
                position=str(error.pos),
            )
        ) from None
    except UnicodeDecodeError:
        raise BodyError(t("The body must be JSON in UTF-8")) from None
