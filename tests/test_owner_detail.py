"""A failed job's operator detail (what the log says, e.g. "run `mjbot models pull NAME`") is
added to its failure message for a bot owner who made the job where nobody else reads it (the
console, a private chat); everyone else reads only the public text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import open_app
from bot.config import Settings
from bot.core.requests import ReplyKind
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import message_update
from tests.helpers import run_line
from tests.telegram_harness import ALICE, GROUP, OWNER, draw, telegram

pytestmark = pytest.mark.slow

DRAW = "a fox --model gone --steps 1"
FIX = "mjbot models pull someone/not-here"  # in the detail only, never in the public text
FOR_OWNER = "For the bot's owner"


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """A model that was never pulled: drawing with it fails, and the detail says what to run."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    return make_settings(MJ_MODELS="gone=someone/not-here")


async def test_the_console_owner_reads_the_operator_detail(settings: Settings) -> None:
    async with open_app(settings) as app:
        _, sink = await run_line(app, DRAW)
    [failed] = [reply for reply in sink.replies if reply.kind is ReplyKind.ERROR]
    public, detail = failed.text.split("\n", 1)
    assert "failed" in public and FIX not in public
    assert detail.startswith(FOR_OWNER) and FIX in detail


async def test_on_telegram_only_the_owner_in_their_own_chat_reads_it(
    tg_settings: Settings, fake: FakeBotApi
) -> None:
    async with open_app(tg_settings) as app, telegram(app, tg_settings) as bot:
        rows = {
            who: await draw(app, bot, message_update(chat, user, f"/mj {DRAW}"))
            for who, chat, user in (
                ("owner", OWNER, OWNER),
                ("alice", ALICE, ALICE),
                ("owner in a group", GROUP, OWNER),  # the group reads the job's message
            )
        }
    shown = {
        who: _words(fake.message(int(row["chat_id"]), int(row["reply_message_id"])))
        for who, row in rows.items()
    }
    assert all(row["status"] == "failed" and FIX in row["error_detail"] for row in rows.values())
    assert FOR_OWNER in shown["owner"] and FIX in shown["owner"]
    for who in ("alice", "owner in a group"):
        assert "failed" in shown[who] and FOR_OWNER not in shown[who] and FIX not in shown[who]
    everything = " ".join(call.params.get("text", "") for call in fake.calls)
    assert everything.count(FIX) == 1  # nothing else carried it


def _words(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""
