"""Running the Telegram front end: the PTB application, its lifecycle on the bot's event loop
(long polling or a webhook), and the launcher's handle on it.

`open_telegram` connects and receives updates on the running event loop (PTB's manual
lifecycle: `run_polling` would block the loop the other front ends share); `TelegramFrontEnd`
is that as the launcher (`bot.runner`) runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Self

from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application

from bot.adapters.front_end import FrontEndError, wait_forever
from bot.adapters.settings import TelegramSettings
from bot.adapters.telegram_adapter import ALLOWED_UPDATES, TelegramAdapter
from bot.adapters.telegram_format import PLATFORM
from bot.adapters.telegram_webhook import serve_webhook
from bot.core.service import MjService


def build_application(settings: TelegramSettings) -> Application:
    """A PTB Application for MJ_TELEGRAM_TOKEN, paced by PTB's rate limiter."""
    assert settings.token, "the launcher checks MJ_TELEGRAM_TOKEN"
    builder = (
        Application.builder()
        .token(settings.token)
        # Flood limits (30 msg/s overall, 20/min per group) and RetryAfter: wait, then retry.
        .rate_limiter(AIORateLimiter(max_retries=3))
        # One slow update (a first Chinese prompt loads the dictionary) must not hold others.
        .concurrent_updates(16)
    )
    if settings.base_url:  # a self-hosted Bot API server, or the tests' fake
        builder = builder.base_url(f"{settings.base_url}/bot").base_file_url(
            f"{settings.base_url}/file/bot"
        )
    if settings.webhook_url:
        builder = builder.updater(None)  # updates arrive at our own aiohttp route
    return builder.build()


@asynccontextmanager
async def open_telegram(
    service: MjService, settings: TelegramSettings
) -> AsyncIterator[TelegramAdapter]:
    """Connect (getMe fails fast on a bad token), register with the core, receive updates;
    on exit stop receiving, drop pending preview edits and disconnect."""
    application = build_application(settings)
    adapter = TelegramAdapter(service, settings, application)
    async with application:
        await adapter.publish_commands()
        await application.start()
        try:
            if application.updater is not None:
                # Long polling; PTB deletes a webhook set by an earlier run first.
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                try:
                    yield adapter
                finally:
                    await application.updater.stop()
            else:
                async with serve_webhook(application, settings, ALLOWED_UPDATES):
                    yield adapter
        finally:
            await adapter.sink.close()
            await application.stop()


class TelegramFrontEnd:
    """The launcher's handle (`bot.adapters.front_end`): connected and receiving updates from
    entry to exit (long polling, or the webhook)."""

    name = PLATFORM
    ready = "Telegram: receiving updates"

    def __init__(self, service: MjService, settings: TelegramSettings) -> None:
        self.service = service
        self.settings = settings
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Self:
        try:
            await self._stack.enter_async_context(open_telegram(self.service, self.settings))
        except InvalidToken:
            raise FrontEndError(
                "Telegram refused MJ_TELEGRAM_TOKEN: check it with @BotFather."
            ) from None
        except NetworkError as error:
            raise FrontEndError(f"Cannot reach Telegram: {error}") from None
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._stack.aclose()

    async def serve(self) -> None:
        await wait_forever()  # PTB's own tasks receive the updates
