"""How a request's theme, LoRAs and a community's limits turn into what a job draws with.

Pure functions over the registry's records (no I/O); the service fetches the records, calls
these before anything is charged, and a ParamError goes back to the user as it is.

Precedence, weakest first: the community's default theme (only when the request names none),
the theme's model, style and params, the user's /settings, what the user typed. A theme's
params are merged into the /mj text like /settings defaults are, so the parser sees one text;
LoRAs merge by name, the user's weight winning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import ParamError
from bot.core.looks import MAX_LORAS, LoraRef
from bot.core.params_tokens import ALIASES, normalize_input, split_params
from engine.job import LoraUse
from engine.lora_files import family_name, fits
from storage.looks import LoraRecord, ScopeLooks, ThemeRecord


@dataclass(frozen=True, slots=True)
class ResolvedLoras:
    loras: tuple[LoraUse, ...]  # with files and final weights, in the order given
    trigger_words: tuple[str, ...]  # of the LoRAs used at a weight other than 0


def theme_named(text: str) -> str | None:
    """The `--theme` a /mj text sets (its last one), without parsing the rest."""
    _, pairs = split_params(normalize_input(text))
    values = [value for name, value in pairs if ALIASES.get(name) == "theme"]
    return values[-1].strip().lower() if values and values[-1].strip() else None


def theme_params(theme: ThemeRecord) -> str:
    """A theme as /mj defaults: its model, style and params."""
    parts = [f"--model {theme.model}"]
    if theme.style:
        parts.append(f"--style {theme.style}")
    if theme.params:
        parts.append(theme.params)
    return " ".join(parts)


def merge_loras(theme: ThemeRecord | None, typed: Sequence[LoraRef]) -> tuple[LoraRef, ...]:
    """The theme's LoRAs, then the user's; a LoRA in both takes the user's weight."""
    merged = {name: LoraRef(name, weight) for name, weight in theme.loras} if theme else {}
    for ref in typed:
        merged[ref.name] = ref
    if len(merged) > MAX_LORAS:
        raise ParamError(
            f"The theme brings {len(merged) - len(typed)} LoRAs and you gave {len(typed)}: at "
            f"most {MAX_LORAS} in all. Leave some out."
        )
    return tuple(merged.values())


def resolve_loras(
    refs: Sequence[LoraRef],
    registry: Mapping[str, LoraRecord],
    model: str,
    model_family: str,
    lora_dir: Path,
) -> ResolvedLoras:
    """Registry records for the refs: unknown names and other families are refused."""
    uses, triggers = [], []
    for ref in refs:
        record = registry.get(ref.name)
        if record is None:
            known = ", ".join(sorted(registry)) or "none yet"
            raise ParamError(f"Unknown LoRA {ref.name!r}. Available: {known} (see /loras).")
        if not fits(record.family, model_family):
            raise ParamError(
                f"LoRA {ref.name!r} is made for {family_name(record.family)} models and "
                f"{model!r} is not one: pick another --model or leave the LoRA out."
            )
        weight = record.default_weight if ref.weight is None else ref.weight
        path = Path(record.file)
        uses.append(LoraUse(ref.name, str(lora_dir / path), record.sha256, weight))
        if weight and record.trigger_words:
            triggers.append(record.trigger_words)
    return ResolvedLoras(tuple(uses), tuple(triggers))


def with_triggers(prompt: str, triggers: Sequence[str]) -> str:
    """The prompt with the LoRAs' trigger words it does not already hold, appended."""
    missing = [words for words in triggers if words.lower() not in prompt.lower()]
    return ", ".join([prompt, *missing]) if missing else prompt


def pick_model(scope: ScopeLooks, requested: str | None, default: str) -> str:
    """The model a job uses: the one asked for (theme or --model), else the bot's default,
    or, where a community allows only some models and not that one, the first it allows."""
    if requested:
        return requested
    if scope.allowed_models and default not in scope.allowed_models:
        return scope.allowed_models[0]
    return default


def check_scope(scope: ScopeLooks, theme: str | None, model: str) -> None:
    """A community's limits; its own default theme is always allowed there."""
    allowed = (*scope.allowed_themes, scope.default_theme)
    if theme and scope.allowed_themes and theme not in allowed:
        raise ParamError(
            f"The theme {theme!r} is not allowed here. Allowed: {', '.join(scope.allowed_themes)}."
        )
    if scope.allowed_models and model not in scope.allowed_models:
        raise ParamError(
            f"The model {model!r} is not allowed here. Allowed: {', '.join(scope.allowed_models)}."
        )


def unknown_theme(name: str, themes: Sequence[str]) -> ParamError:
    known = ", ".join(themes) or "none yet"
    return ParamError(f"Unknown theme {name!r}. Themes: {known} (see /themes).")
