"""`mjbot describe IMAGE`: four prompts that would draw something like an image, as JSON."""

from __future__ import annotations

import json
import random
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
            int | None, typer.Option(min=0, max=4294967295, help="Seed for sampled candidates")
        ] = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    ) -> None:
        """Print {"prompts": [four /mj prompts ending in --ar W:H], "aspect": "W:H"}."""
        logs(verbose)
        result = describe_file(
            settings(), image, random.randrange(2**32) if seed is None else seed
        )
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        if "error" in result:
            raise typer.Exit(2)


def describe_file(settings: Settings, path: Path, seed: int) -> dict[str, Any]:
    """The describe of one image file, or {"error": what to fix}."""
    from bot.core.errors import ImagePromptError
    from bot.core.image_fetch import load_image
    from bot.core.params import aspect_for_size
    from engine.captioner import SUGGESTIONS, Captioner
    from engine.errors import EngineError

    try:
        image = load_image(path.read_bytes())
    except OSError as error:
        return {"error": f"Cannot read {path}: {error.strerror or error}."}
    except ImagePromptError as error:
        return {"error": f"{path}: {error}"}
    models = settings.models
    captioner = Captioner(
        models.caption_model,
        data_dir=settings.data_dir,
        device=models.device,
        dtype=models.dtype,
        allow_download=models.allow_download,
    )
    try:
        prompts = captioner.describe(image, seed=seed)[:SUGGESTIONS]
    except EngineError as error:
        return {"error": str(error)}
    aspect = aspect_for_size(*image.size)
    return {"prompts": [f"{prompt} --ar {aspect}" for prompt in prompts], "aspect": aspect}
