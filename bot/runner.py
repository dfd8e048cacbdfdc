"""`mjbot run`: every configured front end (Discord, Telegram, the HTTP API) on one event loop,
with one engine.

The order matters: adapters register with the core first, then the core resumes the jobs a
previous run left and delivers what it owes (for Discord once the bot has logged in, since a
delivery needs a logged-in bot), then everything serves until `stop` is set.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from bot.app import App, open_app
from bot.config import ConfigError, Settings


def front_ends(settings: Settings) -> list[str]:
    """The chat front ends this configuration enables."""
    names = []
    if settings.discord.token:
        names.append("discord")
    if settings.telegram.token:
        names.append("telegram")
    if settings.http.enabled:
        names.append("http")
    return names


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    if not front_ends(settings):
        raise ConfigError(
            "Nothing to run: set MJ_DISCORD_TOKEN and/or MJ_TELEGRAM_TOKEN, or "
            "MJ_HTTP_ENABLED=true (see README), or chat locally with `mjbot console`."
        )
    async with open_app(settings) as application:
        await serve_app(application, settings, stop)


async def serve_app(application: App, settings: Settings, stop: asyncio.Event) -> None:
    async with AsyncExitStack() as stack:
        if settings.telegram.token:
            from bot.adapters.telegram_adapter import open_telegram

            await stack.enter_async_context(open_telegram(application.service, settings.telegram))
        if settings.http.enabled:
            from bot.adapters.http_api import open_http_api

            api = await open_http_api(application.service, settings.http)
            await api.start()
            stack.push_async_callback(api.stop)
        if not settings.discord.token:
            await application.service.start()
            await stop.wait()
            return
        from bot.adapters.discord_adapter import run_discord

        discord = asyncio.create_task(
            run_discord(application.service, settings.discord, on_login=application.service.start),
            name="discord",
        )
        stopped = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait({discord, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (discord, stopped):
            task.cancel()
        await asyncio.gather(discord, stopped, return_exceptions=True)
        if discord in done and not discord.cancelled() and discord.exception():
            raise discord.exception()  # a bad token or an unreachable Discord: say so
