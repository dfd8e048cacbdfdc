"""`mjbot discord`: run the Discord bot until Ctrl-C (or SIGTERM), then shut down cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Annotated

import typer

from bot.config import Settings


def register(
    app: typer.Typer, settings: Callable[[], Settings], logs: Callable[[bool], None]
) -> None:
    """Add the command; `settings` loads the configuration, `logs(verbose)` sets up logging."""

    @app.command("discord")
    def run(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
        """Run the Discord bot (needs MJ_DISCORD_TOKEN; see README, Discord)."""
        import aiohttp
        import discord

        from bot.adapters.discord_adapter import run_discord
        from bot.app import open_app
        from engine.errors import ModelUnavailable

        logs(verbose)
        config = settings()
        if not config.discord.token:
            typer.echo("MJ_DISCORD_TOKEN is not set (see README, Discord).", err=True)
            raise typer.Exit(2)

        async def main() -> None:
            # asyncio.run turns Ctrl-C into cancelling this task; SIGTERM (docker stop,
            # systemd) does the same here, so both close the bot, engine and store in order.
            task = asyncio.current_task()
            assert task is not None
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
            async with open_app(config) as application:
                # Start the core once the bot can send: results the last run left undelivered
                # go out at once.
                await run_discord(
                    application.service, config.discord, on_login=application.service.start
                )

        try:
            asyncio.run(main())
        except (KeyboardInterrupt, asyncio.CancelledError):
            typer.echo("Stopped.", err=True)
        except discord.LoginFailure:
            typer.echo(
                "Discord refused MJ_DISCORD_TOKEN: copy it again from the portal.", err=True
            )
            raise typer.Exit(1) from None
        except aiohttp.ClientConnectionError as error:
            typer.echo(f"Cannot reach Discord: {error}", err=True)
            raise typer.Exit(1) from None
        except ModelUnavailable as error:
            typer.echo(f"Cannot start: {error}", err=True)
            raise typer.Exit(1) from None
