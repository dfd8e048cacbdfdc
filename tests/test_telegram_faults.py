"""Thirty jobs over a Telegram that fails a fifth of all sends and edits (429s, 5xx before and
after applying, connections reset after applying), seeded: every result is visible exactly once,
in the job's own message, no preview is left showing, each job is charged once, and all of it
within the run (the outbox retries; nothing restarts)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from telegram import Update

from bot.adapters.telegram_adapter import TelegramAdapter
from bot.adapters.telegram_front_end import build_application
from bot.app import open_app
from tests.fakes.faults import Fault, FaultPlan
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import message_update
from tests.helpers import delivered_and_charged_once, tweak

pytestmark = pytest.mark.slow

USERS = (201, 202, 203, 204, 205, 206)  # private chats: each user's chat id is their id
JOBS_PER_USER = 5
SENDS = {"sendMessage", "sendPhoto", "editMessageText", "editMessageCaption", "editMessageMedia"}
PROGRESS = re.compile(r"Job \w+: (\d+% \(step|#\d+ in the queue)")


async def test_thirty_jobs_through_a_failing_telegram_each_show_their_result_once(
    tg_settings, fake: FakeBotApi
) -> None:
    settings = tweak(tg_settings, "telegram", edit_every_s_private=0.05)
    settings = tweak(settings, "delivery", retry_first_s=0.05, retry_max_s=0.5)
    fake.faults = FaultPlan(rate=0.2, seed=14, eligible=lambda method: method in SENDS)
    async with open_app(settings) as app:
        application = build_application(settings.telegram)
        adapter = TelegramAdapter(app.service, settings.telegram, application)
        async with application:
            bot = application.bot
            updates = [
                Update.de_json(message_update(user, user, f"/mj lantern {n} --steps 1"), bot)
                for n in range(JOBS_PER_USER)
                for user in USERS
            ]
            await asyncio.gather(*(application.process_update(update) for update in updates))
            rows = await app.store.run(lambda s: list(s.db["jobs"].rows))
            assert len(rows) == len(USERS) * JOBS_PER_USER
            async with asyncio.timeout(180):
                finals = [await app.service.wait(row["id"]) for row in rows]
            delivered_and_charged_once(app.store, finals)
            await adapter.sink.close()

    injected = fake.faults.injected
    assert {fault.fault for fault in injected} == set(Fault), injected  # every kind happened
    # Messages a faulted send created although the bot was told it failed: the only ones it
    # cannot know about (Telegram has no way to look them up). Never a preview or a grid.
    # (A send the fake refused anyway, flood control say, created nothing: no result.)
    orphans = {
        fault.result["message_id"]  # type: ignore[index]
        for fault in injected
        if fault.fault.applied and fault.route == "sendMessage" and fault.result is not None
    }
    for row in finals:
        job_id, chat = row["id"], int(row["chat_id"])
        shown = [m for (c, _), m in fake.messages.items() if c == chat and job_id in _words(m)]
        grids = [m for m in shown if _buttons(m) and f"mj:U1:{job_id}" in _buttons(m)]
        assert [m["message_id"] for m in grids] == [int(row["reply_message_id"])], job_id
        stored = (settings.images_dir / row["grid_path"]).read_bytes()
        assert grids[0]["photo"][0]["_bytes"] == stored
        known = [m for m in shown if m["message_id"] not in orphans]
        assert not [m for m in shown if PROGRESS.search(_words(m))], job_id  # nothing stuck
        assert all("photo" not in m for m in shown if m is not grids[0]), job_id
        notices = [m for m in known if _words(m).startswith("🔔")]
        acked = any(
            call.status == 200 and f"Job {job_id} accepted" in call.params.get("text", "")
            for call in fake.calls
        )
        # A job whose acknowledgement got out is told by one notice; one whose message had to
        # be created at the end was told by that new message.
        assert len(notices) == (1 if acked else 0), (job_id, notices)
        assert len(known) == 1 + len(notices), (job_id, known)


def _words(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


def _buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]
