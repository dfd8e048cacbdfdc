"""`mjbot run|discord|telegram|http`: the long-running front ends, through the one launcher."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import typer

from bot.config import Settings

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens")]


def register(
    app: typer.Typer, settings: Callable[[], Settings], logs: Callable[[bool], None]
) -> None:
    """Add the commands; `settings` loads the configuration, `logs(verbose)` sets up logging."""

    def launch(names: Callable[[Settings], list[str]], verbose: bool) -> None:
        from bot.log_redaction import redact
        from bot.runner import launch as run_front_ends

        config = settings()
        logs(verbose)
        # httpx logs every Bot API request at INFO: noise (its token redacted all the same).
        logging.getLogger("httpx").setLevel(logging.WARNING)
        # Start-up failures quote library messages, and python-telegram-bot's name the token.
        code = run_front_ends(
            config, names(config), lambda line: typer.echo(redact(line), err=True)
        )
        if code:
            raise typer.Exit(code)

    @app.command("run")
    def run(verbose: Verbose = False) -> None:
        """Every configured front end (MJ_DISCORD_TOKEN, MJ_TELEGRAM_TOKEN, MJ_HTTP_ENABLED)."""
        from bot.runner import configured

        launch(configured, verbose)

    @app.command("discord")
    def discord(verbose: Verbose = False) -> None:
        """The Discord bot alone (needs MJ_DISCORD_TOKEN; see README, Discord)."""
        launch(lambda _: ["discord"], verbose)

    @app.command("telegram")
    def telegram(verbose: Verbose = False) -> None:
        """The Telegram bot alone (MJ_TELEGRAM_TOKEN from @BotFather)."""
        launch(lambda _: ["telegram"], verbose)

    @app.command("http")
    def http(verbose: Verbose = False) -> None:
        """The HTTP API alone, on MJ_HTTP_HOST:MJ_HTTP_PORT (whatever MJ_HTTP_ENABLED says)."""
        launch(lambda _: ["http"], verbose)
