"""Discord's limits met by the bot: message length, uploads over the channel path, the global
rate limit, and a channel where the bot lost its permissions."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.config import Settings
from bot.core.requests import Origin, Reply, ReplyKind
from i18n import verbatim
from tests.discord_adapter.harness import (
    ALICE,
    CHANNEL,
    GUILD,
    WEBHOOK,
    buttons_for,
    custom_ids,
    custom_ids_of,
    discord_bot,
    expiring,
    original,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_rules import SEND_MESSAGES, VIEW_CHANNEL

IN_CHANNEL = rf"/channels/{CHANNEL}/messages"


def logged(caplog: pytest.LogCaptureFixture, *words: str) -> bool:
    return any(all(w in r.getMessage() for w in words) for r in caplog.records)


async def test_a_caption_over_2000_characters_keeps_its_seed_and_job_id(
    settings: Settings, api: FakeDiscord
) -> None:
    prompt = "a lighthouse on a cliff, " * 56 + "--no " + "fog, " * 140 + "--seed 9"
    async with discord_bot(settings, api) as h:
        job_id, row, ack = await h.draw(prompt)
    token = ack.path.split("/")[3]
    result = api.find("PATCH", rf"{WEBHOOK}/{token}/messages/{ack.response['id']}")[-1]
    content = result.payload["content"]  # type: ignore[index]
    assert len(content) <= 2000 and content.startswith("a lighthouse on a cliff")
    assert "--seed 9" in content and content.endswith(f"(job {job_id})")
    assert row["delivered_at"] and not api.refused


async def test_a_grid_over_the_channels_upload_limit_is_re_encoded(
    settings: Settings, api: FakeDiscord, tmp_path: Path
) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (2048, 2048, 3), dtype=np.uint8)
    big = tmp_path / "grid.png"
    Image.fromarray(noise).save(big, compress_level=1)  # noise does not compress: ~12 MiB
    origin = Origin("discord", str(CHANNEL), str(ALICE), scope_id=str(GUILD))
    async with discord_bot(settings, api) as h:
        await h.bot.sink.send(
            origin, Reply(ReplyKind.RESULT, verbatim("a noisy grid"), image_path=big)
        )
    [posted] = api.find("POST", IN_CHANNEL)
    [(name, data)] = posted.files
    assert big.stat().st_size > api.upload_limit(CHANNEL) >= len(data)
    assert name == "grid.jpg" and not api.refused


async def test_a_burst_over_the_global_rate_limit_waits_and_everything_arrives(
    settings: Settings, api: FakeDiscord
) -> None:
    origin = Origin("discord", str(CHANNEL), str(ALICE), scope_id=str(GUILD))
    async with discord_bot(settings, api) as h:
        notes = [Reply(ReplyKind.TEXT, verbatim(f"note {i}")) for i in range(60)]
        await asyncio.gather(*(h.bot.sink.send(origin, note) for note in notes))
    limited = [c for c in api.refused if c.status == 429]
    assert limited and all(c.response["global"] for c in limited)
    posted = {c.payload["content"] for c in api.find("POST", IN_CHANNEL)}  # type: ignore[index]
    assert posted == {f"<@{ALICE}> note {i}" for i in range(60)}


async def test_a_channel_the_bot_may_no_longer_post_in_gets_the_notice_by_dm(
    settings: Settings, api: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    api.revoke(CHANNEL, SEND_MESSAGES)  # a moderator took it away while the job ran
    async with discord_bot(settings, api, now=expiring(api)) as h:
        job_id, row, ack = await h.draw("a quiet harbour")
    # Editing its own message needs only access: the grid is in the job's message...
    grid = api.messages[int(ack.response["id"])]
    assert custom_ids_of(grid) == buttons_for(job_id)
    # ...and the notice the channel refused reaches the user in their DMs.
    [refused] = api.refused
    assert refused.matches("POST", IN_CHANNEL) and refused.response["code"] == 50013
    [dm] = api.find("POST", r"/channels/\d+/messages")
    content = dm.payload["content"]  # type: ignore[index]
    assert dm.path != IN_CHANNEL and f"<#{CHANNEL}>" in content
    assert f"Job {job_id} is done" in content and not dm.files
    assert row["delivered_at"]
    assert logged(caplog, f"job {job_id}", str(CHANNEL), "Missing Permissions")


async def test_a_channel_the_bot_no_longer_sees_gets_the_result_by_dm(
    settings: Settings, api: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    api.revoke(CHANNEL, VIEW_CHANNEL)  # the job's message cannot even be edited
    async with discord_bot(settings, api, now=expiring(api)) as h:
        job_id, row, _ = await h.draw("a quiet harbour")
    [refused] = api.refused  # the edit; nothing is posted where it would fail the same way
    assert refused.matches("PATCH", rf"{IN_CHANNEL}/\d+") and refused.response["code"] == 50001
    [dm] = api.find("POST", r"/channels/\d+/messages")  # also the notification: no notice
    content = dm.payload["content"]  # type: ignore[index]
    assert dm.path != IN_CHANNEL and f"<#{CHANNEL}>" in content
    assert content.endswith(f"(job {job_id})") and [n for n, _ in dm.files] == ["grid.png"]
    assert custom_ids(dm) == buttons_for(job_id)
    assert row["delivered_at"]
    assert logged(caplog, f"job {job_id}", str(CHANNEL), "Missing Access")


async def test_without_the_channel_or_dms_the_result_is_kept_for_show(
    settings: Settings, api: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    api.revoke(CHANNEL, VIEW_CHANNEL)
    api.refuses_dms.add(ALICE)
    async with discord_bot(settings, api, now=expiring(api)) as h:
        job_id, row, _ = await h.draw("a quiet harbour")
        shown = await h.command("show", job=job_id)  # a new interaction needs no permission
        again = await api.wait_for("PATCH", original(shown))
    assert [c.response["code"] for c in api.refused] == [50001, 50007]  # one try each
    assert row["status"] == "done" and row["delivered_at"]  # settled: never retried
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged(caplog, f"job {job_id}", "Missing Access")
    assert logged(caplog, f"job {job_id}", "does not accept direct messages", f"/show {job_id}")
    assert custom_ids(again) == buttons_for(job_id)
