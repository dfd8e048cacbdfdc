"""Webhook mode: an aiohttp route that hands Telegram's POSTed updates to PTB's update queue.

PTB's own webhook server needs tornado (its `webhooks` extra); aiohttp is already here, and
the route is the whole server (`python-telegram-bot:examples/customwebhookbot`). Telegram sends
the secret given to setWebhook in a header with every update; anything else is refused.
Run it behind a reverse proxy that terminates TLS (Telegram posts only to https, on ports 443,
80, 88 or 8443), or next to a self-hosted Bot API server.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.adapters.settings import TelegramSettings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@asynccontextmanager
async def serve_webhook(
    application: Application, settings: TelegramSettings, allowed_updates: Sequence[str]
) -> AsyncIterator[int]:
    """Listen on MJ_TELEGRAM_WEBHOOK_LISTEN:PORT at the webhook URL's path and point Telegram
    at MJ_TELEGRAM_WEBHOOK_URL. Yields the port listened on. The webhook stays set on exit, so
    Telegram keeps updates (up to a day) until the bot is back."""
    url = settings.webhook_url
    assert url is not None
    # Without a configured secret, a fresh one per start: setWebhook below tells Telegram.
    secret = settings.webhook_secret or secrets.token_urlsafe(32)

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        await application.update_queue.put(update)
        return web.Response()

    server = web.Application()
    server.router.add_post(urlsplit(url).path or "/", receive)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.webhook_listen, settings.webhook_port)
        await site.start()
        port = runner.addresses[0][1]
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=list(allowed_updates)
        )
        log.info("Telegram webhook: %s, listening on port %d", url, port)
        yield port
    finally:
        await runner.cleanup()
