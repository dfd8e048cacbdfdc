"""`mjbot themes …`: themes (a model with LoRAs, a style and params) and each community's
limits: the themes and models allowed there and its default theme.

A theme is checked as a /mj would be before it is stored: its model configured, its LoRAs
registered (`bot.cli_loras`) and made for that model's family, its params parsed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli_common import fail, load_settings
from bot.cli_looks import ADDED_BY, checked_name, echo_json, looks_of

if TYPE_CHECKING:
    from bot.config import Settings
    from storage.looks import Looks

themes_app = typer.Typer(help="Themes (model + LoRAs + style + params) and community limits.")


@themes_app.command("list")
def themes_list() -> None:
    """Print the themes as JSON."""
    with looks_of(load_settings()) as looks:
        echo_json([_theme_json(theme) for theme in looks.themes()])


def _theme_json(theme: Any) -> dict[str, Any]:
    return {
        "name": theme.name,
        "model": theme.model,
        "loras": [{"name": name, "weight": weight} for name, weight in theme.loras],
        "style": theme.style,
        "params": theme.params,
        "description": theme.description,
    }


@themes_app.command("add")
def themes_add(
    name: Annotated[str, typer.Argument(help="What users type after --theme")],
    model: Annotated[str, typer.Option(help="A configured model (MJ_MODEL, MJ_MODELS)")],
    description: Annotated[str, typer.Option(help="Shown by /themes")],
    lora: Annotated[list[str] | None, typer.Option(help="NAME[:WEIGHT], repeatable")] = None,
    style: Annotated[str | None, typer.Option(help="A --style preset")] = None,
    params: Annotated[str, typer.Option(help='/mj parameters, e.g. "--cfg 6 --steps 25"')] = "",
    replace: Annotated[bool, typer.Option(help="Overwrite a theme of that name")] = False,
) -> None:
    """Define a theme: users' own parameters win over the theme's."""
    from bot.core.errors import ParamError
    from bot.core.looks import MAX_LORAS, parse_lora_ref
    from bot.core.styles import STYLES
    from bot.core.user_settings import canonical_params
    from storage.looks import ThemeRecord

    settings = load_settings()
    key = checked_name("Theme", name)
    model_key = model.strip().lower()
    family = _model_family(settings, model_key)
    if style is not None and style.strip().lower() not in STYLES:
        raise fail(f"Unknown style {style!r}. Styles: {', '.join(STYLES)}.")
    try:
        refs = [parse_lora_ref(ref) for ref in lora or []]
        canonical = canonical_params(params)
        _check_theme_params(settings, canonical)
    except ParamError as error:
        raise fail(str(error)) from None
    if len(refs) > MAX_LORAS:
        raise fail(f"A theme takes at most {MAX_LORAS} LoRAs.")
    with looks_of(settings) as looks:
        loras = tuple(_theme_lora(looks, ref, weight, family) for ref, weight in refs)
        theme = ThemeRecord(
            key,
            model_key,
            loras,
            style.strip().lower() if style else None,
            canonical,
            description.strip(),
        )
        if not looks.add_theme(theme, ADDED_BY, replace=replace):
            raise fail(f"A theme named {key!r} exists; add --replace to overwrite it.")
    echo_json(_theme_json(theme))


def _model_family(settings: Settings, model: str) -> str:
    from engine.errors import ModelUnavailable
    from engine.models import classify, source_profile

    if model not in settings.models.models:
        raise fail(f"Unknown model {model!r}. Configured: {', '.join(settings.models.models)}.")
    try:
        return source_profile(classify(model, settings.models.models[model])).family
    except ModelUnavailable as error:
        raise fail(str(error)) from None


def _check_theme_params(settings: Settings, params: str) -> None:
    """Parse the params as a /mj would; the theme's own fields are not params."""
    from bot.core.errors import ParamError
    from bot.core.params import parse_mj
    from bot.core.params_tokens import ALIASES, split_params
    from i18n import t

    _, pairs = split_params(params)
    for param, _value in pairs:
        if ALIASES.get(param, param) in ("model", "style"):
            raise ParamError(
                t("Set the theme's {param} with --{param}, not in --params.", param=param)
            )
    parse_mj(f"x {params}", models=settings.models.models)


def _theme_lora(looks: Looks, name: str, weight: float | None, family: str) -> tuple[str, float]:
    from engine.lora_files import family_name, fits

    lora = looks.lora(name)
    if lora is None:
        raise fail(f"No LoRA named {name!r}. `mjbot loras add` registers one.")
    if not fits(lora.family, family):
        raise fail(
            f"LoRA {name!r} is for {family_name(lora.family)} models; the theme's model is not."
        )
    return name, lora.default_weight if weight is None else weight


@themes_app.command("remove")
def themes_remove(name: Annotated[str, typer.Argument(help="The theme's name")]) -> None:
    """Remove a theme (and it from every community's allowed list and default)."""
    key = checked_name("Theme", name)
    with looks_of(load_settings()) as looks:
        if not looks.remove_theme(key):
            raise fail(f"No theme named {key!r}. `mjbot themes list` shows them.")
    typer.echo(f"Removed theme {key!r}.")


@themes_app.command("scope")
def themes_scope(
    scope: Annotated[str, typer.Argument(help="platform:id (discord:<guild>, telegram:<chat>)")],
    allow_themes: Annotated[
        str | None, typer.Option(help="Comma-separated themes allowed there; '' allows all")
    ] = None,
    allow_models: Annotated[
        str | None, typer.Option(help="Comma-separated models allowed there; '' allows all")
    ] = None,
    default_theme: Annotated[
        str | None, typer.Option(help="Theme for prompts there without --theme; '' for none")
    ] = None,
) -> None:
    """Show, or set, a community's allowed themes and models and its default theme."""
    from dataclasses import asdict

    from bot.core.moderation import valid_scope

    settings = load_settings()
    if not valid_scope(scope) or scope == "global":
        raise fail(f"SCOPE takes platform:id, got {scope!r}")
    with looks_of(settings) as looks:
        if allow_themes is not None:
            names = _names("Theme", allow_themes)
            _known("theme", names, {theme.name for theme in looks.themes()})
            looks.set_allowed(scope, "theme", names, ADDED_BY)
        if allow_models is not None:
            names = [name.strip().lower() for name in allow_models.split(",") if name.strip()]
            _known("model", names, set(settings.models.models))
            looks.set_allowed(scope, "model", names, ADDED_BY)
        if default_theme is not None:
            theme = checked_name("Theme", default_theme) if default_theme.strip() else None
            if theme is not None and looks.theme(theme) is None:
                raise fail(f"No theme named {theme!r}.")
            looks.set_default_theme(scope, theme, ADDED_BY)
        echo_json(asdict(looks.scope(scope)))


def _names(kind: str, text: str) -> list[str]:
    return [checked_name(kind, name) for name in text.split(",") if name.strip()]


def _known(kind: str, names: list[str], known: set[str]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise fail(f"Unknown {kind}s: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
