"""Issue 14: the Discord front end survives any input. A bug met while handling one command is
logged and answered with the generic error; hostile input is a short, clear error; the bot
serves the next command as usual."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.core import handlers
from bot.core.render import FAILED
from i18n import render
from tests.discord_adapter.harness import ALICE, discord_bot, followups, has, original
from tests.fakes.discord_api import FakeDiscord


async def test_a_bug_is_answered_and_the_next_command_is_served(
    settings: Settings,
    api: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(parts: handlers.Parts, call: handlers.Call) -> None:
        raise RuntimeError("a bug in /quota")

    monkeypatch.setitem(handlers.HANDLERS, "quota", broken)  # fault injection
    async with discord_bot(settings, api) as h:
        crashed = await h.command("quota")
        failed = await api.wait_for("PATCH", original(crashed))
        huge = await h.command("mj", prompt="a cat --seed " + "7" * 5000)
        refused = await api.wait_for("POST", followups(huge))
        later = await h.command("help")
        helped = await api.wait_for("PATCH", original(later), has("/mj"))
        jobs = await h.store.run(lambda s: s.jobs.of_user("discord", str(ALICE)))
    assert failed.payload["content"] == render(FAILED) and "a bug in /quota" in caplog.text
    text = refused.payload["content"]
    assert "--seed" in text and len(text) < 400  # the bad value quoted as a short prefix
    assert "7" * 100 not in text
    assert helped.payload["content"] and jobs == []
