"""`mjbot telegram`: the Telegram bot on its own (long polling, or a webhook if configured)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Annotated

import typer

from bot.cli_signals import stop_on_signals
from bot.config import Settings


def register(
    app: typer.Typer, settings: Callable[[], Settings], configure_logging: Callable[[bool], None]
) -> None:
    """Add the command; `settings` loads the configuration (and exits on a bad one)."""

    @app.command()
    def telegram(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
        """Run the Telegram bot (MJ_TELEGRAM_TOKEN from @BotFather). Ctrl-C stops it."""
        from telegram.error import InvalidToken, NetworkError

        from engine.errors import ModelUnavailable

        config = settings()
        if not config.telegram.token:
            typer.echo("Set MJ_TELEGRAM_TOKEN to the token @BotFather gave your bot.", err=True)
            raise typer.Exit(2)
        configure_logging(verbose)
        # httpx logs every request URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
            asyncio.run(_serve(config))
        except KeyboardInterrupt:  # where signal handlers are unavailable (Windows)
            pass
        except ModelUnavailable as error:
            typer.echo(f"Cannot start: {error}", err=True)
            raise typer.Exit(1) from None
        except InvalidToken:
            typer.echo("Telegram refused MJ_TELEGRAM_TOKEN: check it with @BotFather.", err=True)
            raise typer.Exit(1) from None
        except NetworkError as error:
            typer.echo(f"Cannot reach Telegram: {error}", err=True)
            raise typer.Exit(1) from None


async def _serve(config: Settings) -> None:
    from bot.adapters.telegram_adapter import run_telegram
    from bot.app import open_app

    # Ctrl-C and SIGTERM (service managers, docker stop) end the wait: everything below
    # closes in order (updates, previews, engine, database) instead of dying mid-write.
    stop = stop_on_signals()
    async with open_app(config) as application:
        typer.echo("Connecting to Telegram (Ctrl-C stops the bot)...", err=True)
        await run_telegram(application.service, config.telegram, stop)
