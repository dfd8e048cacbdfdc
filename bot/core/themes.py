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
from i18n import Listing, Message, t
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
            t(
                "The theme brings {theirs} LoRAs and you gave {yours}: at most {most} in all. "
                "Leave some out.",
                theirs=len(merged) - len(typed),
                yours=len(typed),
                most=MAX_LORAS,
            )
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
            raise ParamError(
                t(
                    "Unknown LoRA '{name}'. Available: {known} (see /loras).",
                    name=ref.name,
                    known=_known(sorted(registry)),
                )
            )
        if not fits(record.family, model_family):
            raise ParamError(
                t(
                    "LoRA '{name}' is made for {family} models and '{model}' is not one: pick "
                    "another --model or leave the LoRA out.",
                    name=ref.name,
                    family=family_name(record.family),
                    model=model,
                )
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
            t(
                "The theme '{theme}' is not allowed here. Allowed: {allowed}.",
                theme=theme,
                allowed=Listing.of(scope.allowed_themes, "plain"),
            )
        )
    if scope.allowed_models and model not in scope.allowed_models:
        raise ParamError(
            t(
                "The model '{model}' is not allowed here. Allowed: {allowed}.",
                model=model,
                allowed=Listing.of(scope.allowed_models, "plain"),
            )
        )


def unknown_theme(name: str, themes: Sequence[str]) -> ParamError:
    return ParamError(
        t(
            "Unknown theme '{name}'. Themes: {known} (see /themes).",
            name=name,
            known=_known(themes),
        )
    )


def _known(names: Sequence[str]) -> Message:
    """Names to choose from, or a word saying there are none yet."""
    return Listing.of(names, "plain") if names else t("none yet")
