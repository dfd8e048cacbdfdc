"""`mjbot loras …` and `mjbot themes …`: the owner's LoRA registry, themes and scope limits.

The CLI edits the bot's SQLite database directly; a running bot sees a change on its next
prompt. LoRA files are checked (layout, base family, rank) before they are registered, and a
file from elsewhere is copied into MJ_LORA_DIR, so the registry never points at a Downloads
folder that gets cleaned up.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli_common import fail, load_settings, open_store

if TYPE_CHECKING:
    from bot.config import Settings
    from storage.looks import Looks

loras_app = typer.Typer(help="LoRA styles: list, inspect, add and remove LoRA files.")
themes_app = typer.Typer(help="Themes (model + LoRAs + style + params) and community limits.")
ADDED_BY = "cli"


@contextmanager
def _looks(settings: Settings) -> Iterator[Looks]:
    with open_store(settings) as store:
        yield store.looks


def _checked(kind: str, name: str) -> str:
    from bot.core.errors import ParamError
    from bot.core.looks import check_name

    try:
        return check_name(kind, name)
    except ParamError as error:
        raise fail(str(error)) from None


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


# --- loras ------------------------------------------------------------------------------


@loras_app.command("list")
def loras_list() -> None:
    """Print the registered LoRAs as JSON."""
    from dataclasses import asdict

    with _looks(load_settings()) as looks:
        _echo([asdict(lora) for lora in looks.loras()])


@loras_app.command("inspect")
def loras_inspect(file: Annotated[Path, typer.Argument(help="A .safetensors LoRA")]) -> None:
    """Say what a LoRA file is (layout, base family, rank), without registering it."""
    from dataclasses import asdict

    info = _inspect(file)
    _echo({"file": str(file), **asdict(info)})


def _inspect(file: Path) -> Any:
    from engine.lora_files import LoraFileError, inspect_lora

    if not file.is_file():
        raise fail(f"No such file: {file}")
    try:
        return inspect_lora(file)
    except LoraFileError as error:
        raise fail(str(error)) from None


@loras_app.command("add")
def loras_add(
    file: Annotated[Path, typer.Argument(help="A .safetensors LoRA (kohya/A1111 or diffusers)")],
    name: Annotated[str, typer.Option(help="What users type: --lora NAME, <lora:NAME:0.8>")],
    trigger: Annotated[str, typer.Option(help="Words added to the prompt with it")] = "",
    weight: Annotated[str, typer.Option(help="Weight when none is given, -2..2")] = "1",
    description: Annotated[str, typer.Option(help="Shown by /loras")] = "",
) -> None:
    """Register a LoRA file (copied into MJ_LORA_DIR if it is elsewhere)."""
    from bot.core.errors import ParamError
    from bot.core.looks import check_weight
    from engine.lora_files import family_name, file_sha256
    from storage.looks import LoraRecord

    settings = load_settings()
    key = _checked("LoRA", name)
    try:
        default_weight = check_weight(key, weight)
    except ParamError as error:
        raise fail(str(error)) from None
    info = _inspect(file)
    folder = settings.lora_folder.resolve()
    stored = _into_folder(file.resolve(), folder)
    record = LoraRecord(
        name=key,
        file=str(stored.relative_to(folder)) if stored.is_relative_to(folder) else str(stored),
        sha256=file_sha256(stored),
        family=info.family,
        layout=info.layout,
        rank=info.rank,
        trigger_words=" ".join(trigger.split()),
        default_weight=default_weight,
        description=description.strip(),
    )
    with _looks(settings) as looks:
        if not looks.add_lora(record, ADDED_BY):
            raise fail(f"A LoRA named {key!r} exists; remove it first or pick another name.")
    typer.echo(
        f"Added LoRA {key!r}: {family_name(info.family)}, {info.layout} layout, rank "
        f"{info.rank}, file {stored}."
    )


def _into_folder(file: Path, folder: Path) -> Path:
    """The file inside the LoRA folder: itself if it is there, else a copy (never over another
    file of the same name with different content)."""
    if file.is_relative_to(folder):
        return file
    target = folder / file.name
    if target.exists():
        from engine.lora_files import file_sha256

        if file_sha256(target) != file_sha256(file):
            raise fail(f"{target} exists and is a different file; rename yours first.")
        return target
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(file, target)
    return target


@loras_app.command("remove")
def loras_remove(
    name: Annotated[str, typer.Argument(help="The LoRA's name")],
    delete_file: Annotated[
        bool, typer.Option(help="Also delete its file from MJ_LORA_DIR")
    ] = False,
) -> None:
    """Unregister a LoRA (refused while a theme uses it)."""
    settings = load_settings()
    key = _checked("LoRA", name)
    with _looks(settings) as looks:
        lora = looks.lora(key)
        if lora is None:
            raise fail(f"No LoRA named {key!r}. `mjbot loras list` shows them.")
        users = looks.themes_using(key)
        if users:
            raise fail(f"Themes use {key!r}: {', '.join(users)}. Change or remove them first.")
        looks.remove_lora(key)
    path = settings.lora_folder / lora.file
    if delete_file and path.resolve().is_relative_to(settings.lora_folder.resolve()):
        path.unlink(missing_ok=True)
    typer.echo(f"Removed LoRA {key!r}.")


# --- themes -----------------------------------------------------------------------------


@themes_app.command("list")
def themes_list() -> None:
    """Print the themes as JSON."""
    with _looks(load_settings()) as looks:
        _echo([_theme_json(theme) for theme in looks.themes()])


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
    key = _checked("Theme", name)
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
    with _looks(settings) as looks:
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
    _echo(_theme_json(theme))


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
    key = _checked("Theme", name)
    with _looks(load_settings()) as looks:
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
    with _looks(settings) as looks:
        if allow_themes is not None:
            names = _names("Theme", allow_themes)
            _known("theme", names, {theme.name for theme in looks.themes()})
            looks.set_allowed(scope, "theme", names, ADDED_BY)
        if allow_models is not None:
            names = [name.strip().lower() for name in allow_models.split(",") if name.strip()]
            _known("model", names, set(settings.models.models))
            looks.set_allowed(scope, "model", names, ADDED_BY)
        if default_theme is not None:
            theme = _checked("Theme", default_theme) if default_theme.strip() else None
            if theme is not None and looks.theme(theme) is None:
                raise fail(f"No theme named {theme!r}.")
            looks.set_default_theme(scope, theme, ADDED_BY)
        _echo(asdict(looks.scope(scope)))


def _names(kind: str, text: str) -> list[str]:
    return [_checked(kind, name) for name in text.split(",") if name.strip()]


def _known(kind: str, names: list[str], known: set[str]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise fail(f"Unknown {kind}s: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
