"""`mjbot translate TEXT` and `mjbot models pull-translation`: the translation commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from bot.config import Settings


def register(app: typer.Typer, models_app: typer.Typer, settings: Callable[[], Settings]) -> None:
    """Add the commands; `settings` loads the configuration (and exits on a bad one)."""

    @app.command()
    def translate(
        text: Annotated[str, typer.Argument(help="A /mj text, e.g. '赛博朋克风格的猫 --ar 16:9'")],
    ) -> None:
        """Print how a prompt is translated, as JSON: source, translated, backend."""
        from bot.core.translation import translate_sync
        from translate.translator import Translation, Translator, TranslatorUnavailable

        config = settings()
        if config.translation.mode == "off":
            result = Translation(text, text, "none")  # MJ_TRANSLATE=off: what the bot would do
        else:
            try:
                translator = Translator(config.translation.mode, config.translation_packages_dir)
            except TranslatorUnavailable as error:
                typer.echo(str(error), err=True)
                raise typer.Exit(1) from None
            result = translate_sync(translator, text)
        payload = {"source": text, "translated": result.text, "backend": result.backend}
        typer.echo(json.dumps(payload, ensure_ascii=False))

    @models_app.command("pull-translation")
    def pull_translation(
        file: Annotated[
            Path | None,
            typer.Option("--file", help="Install this .argosmodel file instead of downloading"),
        ] = None,
        index: Annotated[
            str | None, typer.Option(help="Package index URL (default: argos' own index)")
        ] = None,
        gloss: Annotated[
            bool,
            typer.Option(
                "--gloss", help="Download the en->zh package instead: Chinese glosses of /describe"
            ),
        ] = False,
    ) -> None:
        """Install the zh->en argostranslate package that translates Chinese prompts (or, with
        --gloss, the en->zh one that glosses /describe's prompts in Chinese)."""
        from translate.packages import (
            FROM_CODE,
            GLOSS,
            PackageError,
            find_package,
            install_package,
            pull_package,
        )

        target = settings().translation_packages_dir
        direction = GLOSS if gloss else (FROM_CODE, "en")
        try:
            if file is not None:
                package = install_package(file, target)
            else:
                name = "->".join(direction)
                typer.echo(f"Downloading the {name} package from the argos index...", err=True)
                package = pull_package(target, index, direction=direction)
        except PackageError as error:
            typer.echo(f"Could not install the translation package: {error}", err=True)
            raise typer.Exit(1) from None
        uses = (
            "/describe now glosses its prompts in Chinese for Chinese users."
            if find_package(target, *GLOSS) == package
            else "Chinese prompts now go through argos (MJ_TRANSLATE=auto or argos)."
        )
        typer.echo(
            f"Installed {package.name} (version {package.version}) in {package.path}. {uses}"
        )
