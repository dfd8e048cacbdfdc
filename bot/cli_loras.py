"""`mjbot loras …`: the owner's LoRA registry from the command line.

LoRA files are checked (layout, base family, rank) before they are registered, and a file from
elsewhere is copied into MJ_LORA_DIR, so the registry never points at a Downloads folder that
gets cleaned up. Themes, which use registered LoRAs, are `bot.cli_themes`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_common import fail, load_settings
from bot.cli_looks import ADDED_BY, checked_name, echo_json, looks_of

loras_app = typer.Typer(help="LoRA styles: list, inspect, add and remove LoRA files.")


@loras_app.command("list")
def loras_list() -> None:
    """Print the registered LoRAs as JSON."""
    from dataclasses import asdict

    with looks_of(load_settings()) as looks:
        echo_json([asdict(lora) for lora in looks.loras()])


@loras_app.command("inspect")
def loras_inspect(file: Annotated[Path, typer.Argument(help="A .safetensors LoRA")]) -> None:
    """Say what a LoRA file is (layout, base family, rank), without registering it."""
    from dataclasses import asdict

    info = _inspect(file)
    echo_json({"file": str(file), **asdict(info)})


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
    key = checked_name("LoRA", name)
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
    with looks_of(settings) as looks:
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
    key = checked_name("LoRA", name)
    with looks_of(settings) as looks:
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
