"""`mjbot safety check IMAGE...`: score image files with the safety classifier, as JSON lines.

Exit code 0 when every file is safe, 1 when any is flagged, 2 when a file could not be read
(or the classifier could not be loaded).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from filters.image_safety import SafetyScorer

safety_app = typer.Typer(help="The image safety check: score image files.")


def _read(path: Path) -> Any:
    """The image at `path` (first frame), or a sentence saying why it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except FileNotFoundError:
        return "no such file"
    except IsADirectoryError:
        return "a directory, not an image"
    except UnidentifiedImageError:
        return "not an image Pillow can read"
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        return f"cannot read it: {error}"


def _check(scorer: SafetyScorer, path: Path, threshold: float) -> dict[str, Any]:
    from filters.image_safety import checked_score

    image = _read(path)
    if isinstance(image, str):
        return {"path": str(path), "error": image}
    score = checked_score(scorer.score(image))
    verdict = "flagged" if score >= threshold else "safe"
    return {"path": str(path), "score": round(score, 6), "verdict": verdict}


@safety_app.command("check")
def check(
    images: Annotated[list[Path], typer.Argument(help="Image files (PNG, JPEG, WebP, ...)")],
    scorer: Annotated[
        str | None,
        typer.Option(help="opennsfw (the bundled model) or module:attribute (MJ_SAFETY_SCORER)"),
    ] = None,
) -> None:
    """Print {"path", "score", "verdict"} per file, at the default threshold
    (MJ_SAFETY_THRESHOLD)."""
    from bot.config import ConfigError, Settings
    from filters.image_safety import ScorerUnavailable, load_scorer

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None
    threshold = settings.safety_policy.threshold
    try:
        loaded = load_scorer(scorer or settings.safety.scorer, threads=settings.safety.threads)
        results = [_check(loaded, path, threshold) for path in images]
    except ScorerUnavailable as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    for result in results:
        typer.echo(json.dumps(result, ensure_ascii=False))
    if any("error" in result for result in results):
        raise typer.Exit(2)
    if any(result["verdict"] == "flagged" for result in results):
        raise typer.Exit(1)
