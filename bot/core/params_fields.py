"""Which MjRequest field each param sets: the names typed after `--` and the fields given apart
from the text, with unknown names (and the closest known), duplicates, and missing or extra
values refused.

The step between finding params in the text (`bot.core.params_tokens`) and checking each
value (`bot.core.params_values`): it knows every field's name and example, not its range.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.errors import ParamError, excerpt
from bot.core.params_tokens import ALIASES, normalize_value
from bot.core.params_values import FLOAT_RANGES, INT_RANGES, closest
from i18n import Listing, t

# Parameters given apart from the text (the HTTP API's JSON fields): MjRequest field ->
# (the name the client used, shown in messages; the value as it would follow --name).
Fields = Mapping[str, tuple[str, str]]

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
# Fields whose value is one word: more words mean prompt text was put after the params.
_ONE_WORD = {"model", "steps", "loras", "theme", *INT_RANGES, *FLOAT_RANGES}


def read_params(pairs: list[tuple[str, str]], fields: Fields) -> dict[str, tuple[str, str]]:
    """Map each field to (name as shown, value): "--name" as typed, or a field's own name.
    Unknown, duplicate and empty params fail, and so does a field the text sets too."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in pairs:
        field = ALIASES.get(name)
        if field is None:
            close = closest(name, ALIASES)
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
