"""The one launcher: any set of front ends (Discord, Telegram, the HTTP API) on one event loop
with one engine, one signal path and one mapping from errors to exit codes.

The order matters: every front end is opened first (each registers its sink with the core and
connects: Discord logs in, Telegram starts receiving, the HTTP API listens); then the core
starts, resuming the jobs a previous run left and delivering what it owes through those sinks;
then everything serves until Ctrl-C, SIGTERM or a front end's failure, and closes in reverse.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress

from bot.adapters.front_end import FrontEnd, FrontEndError
from bot.app import App, open_app
from bot.config import ConfigError, Settings
from bot.core.service import MjService
from engine.errors import EngineUnavailable, ModelUnavailable

NAMES = ("discord", "telegram", "http")
_MISSING = {
    "discord": "MJ_DISCORD_TOKEN is not set: copy the bot token from the Discord developer "
    "portal (see README, Discord).",
    "telegram": "MJ_TELEGRAM_TOKEN is not set: create a bot with @BotFather and use the token "
    "it gives you (see README, Telegram).",
}


def configured(settings: Settings) -> list[str]:
    """The front ends this configuration enables (what `mjbot run` starts)."""
    enabled = {
        "discord": bool(settings.discord.token),
        "telegram": bool(settings.telegram.token),
        "http": settings.http.enabled,
    }
    return [name for name in NAMES if enabled[name]]


def check(settings: Settings, names: list[str]) -> None:
    """ConfigError now, before any model loads, for a front end that cannot start."""
    if not names:
        raise ConfigError(
            "Nothing to run: set MJ_DISCORD_TOKEN and/or MJ_TELEGRAM_TOKEN, or "
            "MJ_HTTP_ENABLED=true (see README), or chat locally with `mjbot console`."
        )
    for name in names:
        if name in _MISSING and name not in configured(settings):
            raise ConfigError(_MISSING[name])


def front_end(name: str, service: MjService, settings: Settings) -> FrontEnd:
    """The front end `name` over the core (platform libraries are imported only when used)."""
    if name == "discord":
        from bot.adapters.discord_adapter import DiscordFrontEnd

        return DiscordFrontEnd(service, settings.discord)
    if name == "telegram":
        from bot.adapters.telegram_front_end import TelegramFrontEnd

        return TelegramFrontEnd(service, settings.telegram)
    from bot.adapters.http_api import HttpFrontEnd

    return HttpFrontEnd(service, settings.http)


async def serve_app(
    application: App,
    settings: Settings,
    names: list[str],
    stop: asyncio.Event,
    say: Callable[[str], None] = print,
) -> None:
    """Open the front ends, start the core, serve until `stop` is set or one fails."""
    ends = [front_end(name, application.service, settings) for name in names]
    async with AsyncExitStack() as stack:
        for end in ends:
            await stack.enter_async_context(end)
            say(end.ready)
        await application.service.start()
        tasks = [asyncio.create_task(end.serve(), name=end.name) for end in ends]
        stopped = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
        for task in (*tasks, stopped):
            task.cancel()
        await asyncio.gather(*tasks, stopped, return_exceptions=True)
        for task in done:
            if task is not stopped and not task.cancelled() and task.exception():
                raise task.exception()  # a refused token or an unreachable platform: say so


async def serve(
    settings: Settings,
    names: list[str],
    stop: asyncio.Event,
    say: Callable[[str], None] = print,
) -> None:
    check(settings, names)
    async with open_app(settings) as application:
        await serve_app(application, settings, names, stop, say)


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (service managers, docker stop): ending the wait lets
    the front ends, the engine and the database close in order instead of dying mid-write."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # Windows: Ctrl-C still raises KeyboardInterrupt
            loop.add_signal_handler(sig, stop.set)
    return stop


def launch(settings: Settings, names: list[str], say: Callable[[str], None]) -> int:
    """Run `names` until stopped; the exit code: 0 stopped, 1 failed, 2 misconfigured."""

    async def main() -> None:
        stop = stop_on_signals()
        say(f"Starting {', '.join(names)} (Ctrl-C stops it)...")
        await serve(settings, names, stop, say)

    try:
        check(settings, names)
        asyncio.run(main())
    except KeyboardInterrupt:  # where signal handlers are unavailable (Windows)
        pass
    except ConfigError as error:
        say(str(error))
        return 2
    except (ModelUnavailable, EngineUnavailable) as error:  # no model, or no Ray cluster
        say(f"Cannot start: {error}")
        return 1
    except FrontEndError as error:
        say(str(error))
        return 1
    except Exception as error:  # anything else a platform throws at start-up
        say(f"Stopped: {type(error).__name__}: {error}")
        return 1
    say("Stopped.")
    return 0
