"""The Discord bot over the gateway as Discord runs it: connections that drop, RECONNECT and
INVALID_SESSION, interactions that reach the bot late, a core slower than Discord's 3 s."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.config import Settings
from tests.discord_adapter.harness import (
    buttons_for,
    callback,
    custom_ids,
    discord_bot,
    followups,
    has,
    job_in,
    original,
)
from tests.fakes.discord_api import FakeDiscord


async def test_a_connection_dropped_mid_job_resumes_and_nothing_is_lost(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        mj = await h.command("mj", prompt="a storm at sea")
        ack = await api.wait_for("PATCH", original(mj), has("accepted"))
        await api.gateway.drop()  # the network fails while the job is queued or running
        quota = await h.command("quota")  # Discord keeps it for the session
        resumed = await api.gateway.wait_connected("resume")
        answer = await api.wait_for("PATCH", original(quota))
        row = await h.service.wait(job_in(ack))
    assert [c.began for c in api.gateway.connections] == ["identify", "resume"]
    assert resumed.path == "/resume"  # at the resume_gateway_url READY gave
    assert len(api.gateway.sessions) == 1
    assert "credits" in answer.payload["content"]  # type: ignore[index]
    assert row["status"] == "done" and row["delivered_at"]
    result = api.find("PATCH", rf"{followups(mj)}/messages/{ack.response['id']}")[-1]
    assert custom_ids(result) == buttons_for(row["id"])
    assert not api.refused


async def test_buttons_work_after_a_reconnect_and_a_new_session(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, row, _ = await h.draw("a lighthouse")
        await api.gateway.request_reconnect()  # Discord asks the bot to reconnect: it resumes
        await api.gateway.wait_connected("resume")
        await api.gateway.invalidate()  # the session is over: the bot identifies anew
        await api.gateway.wait_connected("identify", after=2)
        click = await h.click(int(row["reply_message_id"]), f"mj:reroll:{job_id}")
        ack = await api.wait_for("POST", followups(click), has("accepted"))
        again = await h.service.wait(job_in(ack))
    assert [c.began for c in api.gateway.connections] == ["identify", "resume", "identify"]
    assert len(api.gateway.sessions) == 2
    assert (again["action"], again["parent_id"], again["status"]) == ("reroll", job_id, "done")


async def test_an_interaction_that_reaches_the_bot_after_three_seconds_is_let_go(
    settings: Settings, api: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    async with discord_bot(settings, api) as h:
        late = h.slash("mj", prompt="a kite")  # the user acts now
        api.clock.advance(5)  # while the bot's connection is down for five seconds
        await api.gateway.drop()
        await api.interact(late)  # kept by the session, replayed on RESUME
        await api.gateway.wait_connected("resume")
        refused = await api.wait_for("POST", callback(late), refused=True)
        on_time = await h.command("quota")
        await api.wait_for("PATCH", original(on_time))
        jobs = await h.store.run(lambda s: s.db["jobs"].count)
    assert refused.response == {"message": "Unknown interaction", "code": 10062}
    assert jobs == 0  # nothing queued, nothing charged
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("after Discord's 3 s" in r.getMessage() for r in caplog.records)


async def test_a_core_slower_than_three_seconds_still_finds_the_interaction_deferred(
    settings: Settings, api: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    deferred_first: list[bool] = []
    async with discord_bot(settings, api) as h:
        real_handle = h.service.handle

        async def slow_handle(incoming: Any, respond: Any) -> None:
            deferred_first.append(bool(api.find("POST", r"/interactions/\d+/[^/]+/callback")))
            api.clock.advance(4)  # translation, a busy database: longer than Discord allows
            await real_handle(incoming, respond)

        monkeypatch.setattr(h.service, "handle", slow_handle)
        payload = await h.command("quota")
        answer = await api.wait_for("PATCH", original(payload))
    assert deferred_first == [True]
    assert "credits" in answer.payload["content"]  # type: ignore[index]
    assert not api.refused
