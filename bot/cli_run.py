"""`mjbot run`: the chat bot on every configured platform, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Annotated

import typer

from bot.cli_signals import stop_on_signals
from bot.config import ConfigError, Settings


def register(
    app: typer.Typer, settings: Callable[[], Settings], logs: Callable[[bool], None]
) -> None:
    @app.command("run")
    def run(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
        """Run the bot on Discord and/or Telegram (whichever tokens are set)."""
        from bot.runner import front_ends, serve
        from engine.errors import ModelUnavailable

        config = settings()
        logs(verbose)
        # httpx logs request URLs at INFO, and Telegram's contain the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)

        async def main() -> None:
            stop = stop_on_signals()
            typer.echo(f"Starting {', '.join(front_ends(config)) or 'nothing'}...", err=True)
            await serve(config, stop)

        try:
            asyncio.run(main())
        except ConfigError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        except ModelUnavailable as error:
            typer.echo(f"Cannot start: {error}", err=True)
            raise typer.Exit(1) from None
        except Exception as error:  # a refused token or an unreachable platform
            typer.echo(f"Stopped: {type(error).__name__}: {error}", err=True)
            raise typer.Exit(1) from None
