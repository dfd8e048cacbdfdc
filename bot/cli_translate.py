"""`mjbot translate TEXT` and `mjbot models pull-translation`: the translation commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
        from bot.app import translator_for
        from bot.core.translation import translate_sync
        from translate.translator import Translation, TranslatorUnavailable

        config = settings()
        if config.translation.mode == "off":
            result = Translation(text, text, "none")  # MJ_TRANSLATE=off: what the bot would do
        else:
            try:
                translator = translator_for(config)
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
        llm: Annotated[
            str | None,
            typer.Option(
                "--llm",
                metavar="NAME",
                help="Pull this chat model from the Hugging Face hub instead of the argos "
                "package, e.g. Qwen/Qwen2.5-0.5B-Instruct",
            ),
        ] = None,
        gloss: Annotated[
            bool,
            typer.Option(
                "--gloss", help="Download the en->zh package instead: Chinese glosses of /describe"
            ),
        ] = False,
    ) -> None:
        """Install what translates Chinese prompts: the zh->en argos package, or with --llm a
        local chat model (used ahead of argos); with --gloss, the en->zh argos package that
        glosses /describe's prompts in Chinese."""
        target = settings().translation_packages_dir
        if llm is not None:
            _pull_llm(llm, target)
            return
        from translate.packages import (
            FROM_CODE,
            GLOSS,
            TO_CODE,
            PackageError,
            find_package,
            install_package,
            pull_package,
        )

        direction = GLOSS if gloss else (FROM_CODE, TO_CODE)
        with _exit_on(PackageError, "Could not install the translation package"):
            if file is not None:
                package = install_package(file, target)
            else:
                name = "->".join(direction)
                typer.echo(f"Downloading the {name} package from the argos index...", err=True)
                package = pull_package(target, index, direction=direction)
        uses = (
            "/describe now glosses its prompts in Chinese for Chinese users."
            if find_package(target, *GLOSS) == package
            else "Chinese prompts now go through argos (MJ_TRANSLATE=auto or argos)."
        )
        typer.echo(
            f"Installed {package.name} (version {package.version}) in {package.path}. {uses}"
        )


def _pull_llm(name: str, target: Path) -> None:
    from translate.llm_models import LlmError, pull_llm

    typer.echo(f"Downloading {name} from the Hugging Face hub...", err=True)
    with _exit_on(LlmError, "Could not pull the translation model"):
        folder = pull_llm(name, target)
    typer.echo(
        f"Installed {name} in {folder}. Chinese prompts now go through it (MJ_TRANSLATE=auto "
        f"or llm; MJ_TRANSLATE_LLM={name} picks it when several are installed)."
    )


@contextmanager
def _exit_on(error_type: type[Exception], what: str) -> Iterator[None]:
    """An expected failure (offline, a bad file) is a message and exit code 1, no traceback."""
    try:
        yield
    except error_type as error:
        typer.echo(f"{what}: {error}", err=True)
        raise typer.Exit(1) from None
