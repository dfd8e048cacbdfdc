"""Rules for LoRA and theme names and LoRA weights (pure functions, no I/O).

Names are what users type in `--lora NAME:0.8`, `<lora:NAME:0.8>` and `--theme NAME`, so they
are short, lowercase and free of `:`, `<`, `>` and spaces, which delimit them there.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.errors import ParamError, excerpt
from i18n import t

NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
MAX_LORAS = 4  # per job: each one adds step time until fused, and they blur together beyond
WEIGHT_RANGE = (-2.0, 2.0)  # beyond this a LoRA overpowers the model into noise
_WEIGHT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# A1111's `<lora:NAME:WEIGHT>` in the prompt; Chinese input methods type `＜`, `＞` and `：`.
_TAG = re.compile(r"[<＜]lora[:：]([^<>＜＞]*?)[>＞]", re.IGNORECASE)
_OPEN_TAG = re.compile(r"[<＜]lora[:：]", re.IGNORECASE)
CLIP_SKIP_RANGE = (1, 4)


@dataclass(frozen=True, slots=True)
class LoraRef:
    """A LoRA a request names; weight None takes the LoRA's default weight."""

    name: str
    weight: float | None = None


def check_name(kind: str, name: str) -> str:
    """A valid name, lowercased; ParamError saying what a name may hold otherwise."""
    key = name.strip().lower()
    if not NAME.fullmatch(key):
        values = {"name": name.strip()[:60]}
        raise ParamError(
            t(
                "Theme names are 1-40 characters of a-z, 0-9, '_', '.' and '-', starting with a "
                "letter or digit; got '{name}'",
                **values,
            )
            if kind.lower() == "theme"
            else t(
                "LoRA names are 1-40 characters of a-z, 0-9, '_', '.' and '-', starting with a "
                "letter or digit; got '{name}'",
                **values,
            )
        )
    return key


def check_weight(name: str, text: str) -> float:
    """A LoRA weight from text, in WEIGHT_RANGE."""
    low, high = WEIGHT_RANGE
    if not _WEIGHT.fullmatch(text.strip()):
        raise ParamError(
            t(
                "The weight of LoRA '{name}' must be a number from {low} to {high}",
                name=name,
                low=f"{low:g}",
                high=f"{high:g}",
            )
        )
    weight = float(text)
    if not low <= weight <= high:
        raise ParamError(
            t(
                "The weight of LoRA '{name}' must be from {low} to {high}, got {weight}",
                name=name,
                low=f"{low:g}",
                high=f"{high:g}",
                weight=f"{weight:g}",
            )
        )
    return weight


def parse_lora_ref(text: str) -> tuple[str, float | None]:
    """`NAME` or `NAME:WEIGHT` -> (name, weight or None for the LoRA's default)."""
    name, sep, weight = unicodedata.normalize("NFKC", text).strip().partition(":")
    key = check_name("LoRA", name)
    if not sep:
        return key, None
    return key, check_weight(key, weight)


def lora_flag(name: str, value: str) -> str:
    """One `--lora NAME[:WEIGHT]` value (the flag repeats for more LoRAs)."""
    if not value:
        raise ParamError(t("--{name} needs a value, e.g. --{name} NAME:0.8", name=name))
    if len(value.split()) > 1:
        raise ParamError(
            t(
                "--{name} takes one LoRA, got {value}: repeat --{name} for more. Write the "
                "prompt first and the parameters after it.",
                name=name,
                value=excerpt(value),
            )
        )
    return value


def split_lora_tags(prompt: str) -> tuple[str, list[str]]:
    """Take `<lora:NAME:WEIGHT>` tags out of a prompt: (prompt without them, "NAME:WEIGHT"s)."""
    refs = [match.group(1) for match in _TAG.finditer(prompt)]
    rest = _TAG.sub(" ", prompt) if refs else prompt
    if _OPEN_TAG.search(rest):
        raise ParamError(t("A <lora:...> tag is not closed: write it as <lora:NAME:WEIGHT>."))
    return (" ".join(rest.split()) if refs else prompt), refs


def collect_loras(refs: list[str]) -> tuple[LoraRef, ...]:
    """The LoRAs of one request from its tags and --lora values: each once, at most four."""
    loras: dict[str, LoraRef] = {}
    for ref in refs:
        name, weight = parse_lora_ref(ref)
        if name in loras:
            raise ParamError(t("LoRA '{name}' is given twice; keep one.", name=name))
        loras[name] = LoraRef(name, weight)
    if len(loras) > MAX_LORAS:
        raise ParamError(
            t("At most {most} LoRAs per prompt, got {count}.", most=MAX_LORAS, count=len(loras))
        )
    return tuple(loras.values())
