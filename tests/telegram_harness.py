"""Driving the Telegram adapter end to end: python-telegram-bot over HTTP against the fake Bot
API (`tests/fakes/telegram_api.py`). Updates are real Bot API JSON turned into `Update`s (as
PTB's own tests build them) and fed to `Application.process_update`; the sink can also be
driven alone, over HTTP, with the core's replies made by hand."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from telegram import Update
from telegram.ext import Application

from bot.adapters.telegram_adapter import TelegramAdapter
from bot.adapters.telegram_front_end import build_application
from bot.adapters.telegram_moves import ChatMoves
from bot.adapters.telegram_sink import TelegramSink
from bot.config import Settings
from bot.core.buttons import result_buttons
from bot.core.requests import Reply, ReplyKind
from i18n import verbatim
from tests.fakes.telegram_api import FakeBotApi

ALICE, BOB, OWNER = 42, 43, 99
GROUP = -1001234


@dataclass
class Bot:
    application: Application
    adapter: TelegramAdapter

    async def feed(self, data: dict[str, Any]) -> None:
        await self.application.process_update(Update.de_json(data, self.application.bot))


@asynccontextmanager
async def telegram(app: Any, settings: Settings) -> AsyncIterator[Bot]:
    application = build_application(settings.telegram)
    adapter = TelegramAdapter(app.service, settings.telegram, application)
    async with application:
        yield Bot(application, adapter)
        await adapter.sink.close()


async def draw(app: Any, bot: Bot, update: dict[str, Any]) -> dict[str, Any]:
    """Feed a /mj update; wait until its job was delivered; return the job's row."""
    before = set(app.service.pending_job_ids())
    await bot.feed(update)
    [job_id] = set(app.service.pending_job_ids()) - before
    return await app.service.wait(job_id)


def keyboard_of(message: dict[str, Any]) -> list[list[dict[str, str]]]:
    return message["reply_markup"]["inline_keyboard"]


def texts_to(fake: FakeBotApi, chat_id: int) -> list[str]:
    calls = fake.called("sendMessage")
    return [call.params["text"] for call in calls if call.params["chat_id"] == str(chat_id)]


class MemoryMessages:
    """The core's job -> message record (and chats that moved), in memory."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.moves: list[tuple[str, str]] = []

    async def remember_reply_message(self, job_id: str, message_id: str) -> None:
        self.ids[job_id] = message_id

    async def reply_message(self, job_id: str) -> str | None:
        return self.ids.get(job_id)

    async def chat_moved(self, old: str, new: str) -> None:
        self.moves.append((old, new))


def png(shade: int, size: int = 16) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (shade, shade, shade)).save(buffer, format="PNG")
    return buffer.getvalue()


def progress(job_id: str, percent: int) -> Reply:
    text = f"Job {job_id}: {percent}%"
    return Reply(
        ReplyKind.PROGRESS, verbatim(text), job_id, image_png=png(percent), percent=percent
    )


def result(job_id: str, path: Path) -> Reply:
    Image.new("RGB", (64, 64), "red").save(path)
    buttons = result_buttons(job_id, 4)
    caption = verbatim(f"a fox --seed 1 (job {job_id})")
    return Reply(ReplyKind.RESULT, caption, job_id, path, None, buttons)


@asynccontextmanager
async def bare_sink(
    settings: Settings, every_s: float, messages: MemoryMessages | None = None
) -> AsyncIterator[TelegramSink]:
    """A sink alone; pass the `messages` of an earlier one to play a restart."""
    application = build_application(settings.telegram)
    messages = messages or MemoryMessages()
    sink = TelegramSink(
        application.bot,
        messages,
        moves=ChatMoves(messages.chat_moved),
        group_every_s=every_s,
        private_every_s=every_s,
    )
    async with application:
        yield sink
        await sink.close()
