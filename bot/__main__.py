"""The `mjbot` command: console bot, one-shot imagine and describe, the parser, models, banned
terms."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_api_keys import register as register_api_keys
from bot.cli_describe import register as register_describe
from bot.cli_filters import filter_app
from bot.cli_loras import loras_app
from bot.cli_safety import safety_app
from bot.cli_serve import register as register_front_ends
from bot.cli_themes import themes_app
from bot.cli_translate import register as register_translation
from bot.cli_workers import register as register_workers
from bot.config import ConfigError, Settings
from bot.log_redaction import install as redact_secrets

app = typer.Typer(add_completion=False, no_args_is_help=False, help=__doc__)
models_app = typer.Typer(help="Download and inspect models.")
app.add_typer(models_app, name="models")
app.add_typer(filter_app, name="filter")
app.add_typer(safety_app, name="safety")
app.add_typer(loras_app, name="loras")
app.add_typer(themes_app, name="themes")


def _settings() -> Settings:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None
    redact_secrets(settings.secrets)
    return settings


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact_secrets(())  # on the handlers just made: every entry point logs through them


register_translation(app, models_app, _settings)
register_front_ends(app, _settings, _logging)
register_api_keys(app, _settings)
register_workers(app, _settings)
register_describe(app, _settings, _logging)


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context) -> None:
    """Without a command, start the console bot."""
    if ctx.invoked_subcommand is None:
        console()


@app.command()
def console(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Chat with the bot in this terminal: type prompts, see progress, get grid paths."""
    from bot.adapters.console import ConsoleAdapter, ConsoleSink
    from bot.app import open_app
    from engine.errors import EngineUnavailable, ModelUnavailable
    from i18n import from_environment, parse_tag

    _logging(verbose)
    settings = _settings()

    async def run(settings: Settings) -> None:
        async with open_app(settings) as application:
            sink = ConsoleSink(preview_file=settings.data_dir / "console-preview.png")
            # MJ_LANG, else the terminal's own locale (LANG=zh_TW.UTF-8 ...).
            locale = parse_tag(settings.console.lang) or from_environment(os.environ)
            adapter = ConsoleAdapter(
                application.service, settings.console.user, sink=sink, locale=locale
            )
            await application.service.start()
            if settings.models.model == "tiny":
                print("Note: MJ_MODEL=tiny is a random test model; its images are noise.")
            await adapter.repl()

    try:
        asyncio.run(run(settings))
    except EngineUnavailable as error:  # MJ_ENGINE=ray and no cluster to join
        typer.echo(f"Cannot start: {error}", err=True)
        raise typer.Exit(1) from None
    except ModelUnavailable as error:
        typer.echo(f"Cannot start: {error}", err=True)
        if not sys.stdin.isatty() or settings.models.model == "tiny":
            raise typer.Exit(1) from None
        # A newcomer without the model can still see the whole bot work, knowingly.
        if not typer.confirm("Start with the tiny test model instead (it draws noise)?"):
            raise typer.Exit(1) from None
        tiny = replace(settings.models, model="tiny", models={"tiny": "tiny"})
        asyncio.run(run(replace(settings, models=tiny)))


@app.command()
def imagine(
    text: Annotated[str, typer.Argument(help="The /mj text, e.g. 'a red fox --ar 3:2'")],
    out: Annotated[Path | None, typer.Option(help="Also copy the images into this folder")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run one /mj job and print JSON: job id, image paths and the parameters used."""
    from bot.app import open_app
    from bot.core.commands import split_command
    from bot.core.errors import MjError
    from bot.core.requests import Incoming, Origin, Reply, ReplyKind
    from engine.errors import EngineUnavailable, ModelUnavailable

    _logging(verbose)
    settings = _settings()
    errors: list[str] = []

    class StderrSink:
        async def send(self, origin: Origin, reply: Reply) -> None:
            if reply.kind is ReplyKind.ERROR:
                errors.append(reply.text)
            elif reply.kind is not ReplyKind.PROGRESS:
                print(reply.text, file=sys.stderr)

    async def run() -> dict[str, Any]:
        async with open_app(settings) as application:
            service = application.service
            service.register_sink("console", StderrSink())
            origin = Origin("console", "local", settings.console.user)
            _, rest = split_command(text if text.lstrip().startswith("/") else f"/mj {text}")
            try:
                job_ids = await service.imagine(Incoming(origin, "console"), rest)
            except MjError as error:
                return {"error": str(error)}
            rows = [await service.wait(job_id) for job_id in job_ids]
            return {"jobs": [_job_json(application, row, out) for row in rows]}

    try:
        result = asyncio.run(run())
    except (ModelUnavailable, EngineUnavailable) as error:
        result = {"error": str(error)}
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    if "error" in result:
        raise typer.Exit(2)
    if any(job["status"] != "done" for job in result["jobs"]):
        raise typer.Exit(1)


def _job_json(application: Any, row: dict[str, Any], out: Path | None) -> dict[str, Any]:
    images = application.store.run_sync(lambda s: s.jobs.images(row["id"]))
    root = application.settings.images_dir
    paths = [root / image.path for image in images]
    grid = root / row["grid_path"] if row.get("grid_path") else None
    if out is not None and grid is not None:
        out.mkdir(parents=True, exist_ok=True)
        grid = Path(shutil.copy(grid, out / f"{row['id']}-grid.png"))
        paths = [
            Path(shutil.copy(path, out / f"{row['id']}-{image.image_index}.png"))
            for path, image in zip(paths, images, strict=True)
        ]
    return {
        "job_id": row["id"],
        "status": row["status"],
        "error": row.get("error_detail") or row.get("error"),
        "grid": str(grid) if grid else None,
        "images": [str(path) for path in paths],
        "seeds": [image.seed for image in images],
        "parameters": {
            key: row.get(key)
            for key in (
                "prompt",
                "translated_prompt",
                "negative_prompt",
                "width",
                "height",
                "aspect",
                "model",
                "sampler",
                "steps",
                "cfg",
                "seed",
                "style",
                "tile",
                "stop",
                "chaos",
            )
        },
    }


@app.command()
def parse(text: Annotated[str, typer.Argument(help="The /mj text to parse")]) -> None:
    """Print how a /mj text is understood, as JSON (exit code 2 and {"error"} if it is not)."""
    from bot.core.errors import ParamError
    from bot.core.params import parse_mj
    from engine.profiles import profile_for_name

    settings = _settings()
    try:
        request = parse_mj(
            text,
            profile=lambda model: profile_for_name(
                settings.models.models[model or settings.models.default]
            ),
            models=list(settings.models.models),
            max_prompt_chars=settings.limits.max_prompt_chars,
        )
    except ParamError as error:
        typer.echo(json.dumps({"error": str(error)}, ensure_ascii=False))
        raise typer.Exit(2) from None
    typer.echo(json.dumps(request.to_json_dict(), ensure_ascii=False, indent=2))


@models_app.command("pull")
def models_pull(
    repo_id: Annotated[str, typer.Argument(help="Hub id, e.g. stabilityai/sd-turbo")],
) -> None:
    """Download a model from the Hugging Face hub into the local cache (with progress)."""
    from engine.models import pull

    try:
        path = pull(repo_id)
    except Exception as error:
        typer.echo(f"Could not download {repo_id}: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Downloaded {repo_id} to {path}. Use it with MJ_MODEL={repo_id}")


@models_app.command("list")
def models_list() -> None:
    """Show the configured models, what kind of source each is, and whether it is on disk."""
    from engine.errors import ModelUnavailable
    from engine.models import classify, local_hub_snapshot

    settings = _settings()
    for name, ref in settings.models.models.items():
        try:
            source = classify(name, ref)
        except ModelUnavailable as error:
            typer.echo(f"{name}: {ref} — {error}")
            continue
        here = source.kind != "hub" or local_hub_snapshot(ref) is not None
        default = " (default)" if name == settings.models.default else ""
        typer.echo(
            f"{name}{default}: {ref} [{source.kind}, {'on disk' if here else 'not downloaded'}]"
        )


@models_app.command("speed")
def models_speed() -> None:
    """How each configured model will run on this machine (number format, layout, decoder,
    previews, compile), as JSON: what MJ_DTYPE=auto and the other speed settings decide here."""
    from bot.app import build_backend
    from engine.decoders import TAESD_BY_FAMILY
    from engine.hardware import probe
    from engine.models import pick_device
    from engine.tuning import plan

    settings = _settings()
    backend = build_backend(settings)  # sources and profiles only: nothing is loaded
    hardware = probe(pick_device(settings.models.device))
    tuning = settings.speed
    models = {}
    for name in settings.models.models:
        family = backend.profile(name).family
        chosen = plan(tuning, hardware, family)
        models[name] = {
            "family": family,
            "dtype": chosen.dtype,
            "channels_last": chosen.channels_last,
            "cudnn_benchmark": chosen.cudnn_benchmark,
            "compile": chosen.compile_mode or "off",
            "decoder": tuning.decoder,
            "previews": tuning.previews,
            "taesd": tuning.taesd or TAESD_BY_FAMILY.get(family),
        }
    report = {
        "device": hardware.device,
        "hardware": hardware.name,
        "native_bf16": hardware.native_bf16,
        "models": models,
    }
    typer.echo(json.dumps(report, indent=2))


def main() -> None:
    # Idle OpenMP threads spin by default and starve the event loop and other processes on
    # small CPU boxes; passive waiting costs nothing measurable on a GPU machine.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Library chatter (loading bars, optional-backend notices) is noise in a chat console;
    # -v turns our own logging up, and real problems still surface as errors.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    app()


if __name__ == "__main__":
    main()
