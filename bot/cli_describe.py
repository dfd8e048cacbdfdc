"""`mjbot describe IMAGE`: four prompts that would draw something like an image, as JSON.

It runs a describe job through the core as the console's user (the owner: never limited), so
the answer is what a chat would get: filtered for banned terms, recorded in the job history.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.config import Settings


def register(app: typer.Typer, settings: Callable[[], Settings], logs: Callable[[bool], None]):
    """Add the command; `settings` loads the configuration (and exits on a bad one)."""

    @app.command()
    def describe(
        image: Annotated[Path, typer.Argument(help="A PNG, JPEG, WebP, GIF or BMP file")],
        seed: Annotated[
            int | None,
            typer.Option(min=0, max=4294967295, help="Seed for candidates the beams lack"),
        ] = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    ) -> None:
        """Print {"prompts": [four /mj prompts ending in --ar W:H], "aspect": "W:H"}."""
        logs(verbose)
        result = asyncio.run(describe_file(settings(), image, seed))
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        if "error" in result:
            raise typer.Exit(2)


async def describe_file(settings: Settings, path: Path, seed: int | None) -> dict[str, Any]:
    """The describe of one image file, or {"error": what to fix}."""
    from bot.app import open_app
    from bot.core.errors import MjError
    from bot.core.image_fetch import MAX_BYTES
    from bot.core.requests import Incoming, Origin, Reply
    from engine.captioner import Captioner
    from engine.errors import ModelUnavailable

    try:
        if path.stat().st_size > MAX_BYTES:
            return {"error": f"{path} is larger than {MAX_BYTES // 10**6} MB."}
        data = path.read_bytes()
    except OSError as error:
        return {"error": f"Cannot read {path}: {error.strerror or error}."}
    # This terminal is the operator's: a missing caption model says what to run, here (a
    # chat's user reads only that the model is not available).
    models = settings.models
    captioner = Captioner(
        models.caption_model, data_dir=settings.data_dir, allow_download=models.allow_download
    )
    try:
        await asyncio.to_thread(captioner.folder)
    except ModelUnavailable as error:
        return {"error": str(error)}

    class Quiet:  # the answer is the JSON: the job's own replies are not shown
        async def send(self, origin: Origin, reply: Reply) -> None:
            return None

    # The drawing model is not needed: the captioner loads on the describe.
    async with open_app(settings, preload=False) as application:
        service = application.service
        service.register_sink("console", Quiet())
        origin = Origin("console", "local", settings.console.user)
        try:
            job_id = await service.describe(Incoming(origin, "console", image=data), seed=seed)
        except MjError as error:
            return {"error": f"{path}: {error}"}
        row = await service.wait(job_id)
        if row["status"] != "done":
            reason = row.get("error_detail") or row["error"]
            return {"error": reason or f"The describe was {row['status']}."}
        suggestions = await service.queries.suggestions(job_id)
    return {"prompts": [s.prompt for s in suggestions], "aspect": row["aspect"]}
