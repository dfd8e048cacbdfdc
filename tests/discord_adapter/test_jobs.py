"""The Discord /mj flow: one message from acknowledgement to grid, paced progress, late
results through the channel, delivery after a restart, uploads, attachments, /settings."""

from __future__ import annotations

import asyncio
import re

import discord

from bot.adapters.discord_adapter import origin_of
from bot.config import Settings
from bot.core.requests import Reply, ReplyKind
from i18n import verbatim
from tests.discord_adapter.harness import (
    ALICE,
    CHANNEL,
    GUILD,
    PNG,
    WEBHOOK,
    buttons_for,
    callback,
    custom_ids,
    custom_ids_of,
    discord_bot,
    edits,
    expiring,
    followups,
    has,
    job_in,
    original,
    queued_bot,
    queued_job,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import EPHEMERAL, command, interaction
from tests.fakes.faults import Fault, FaultPlan
from tests.helpers import tweak, until


async def test_mj_defers_then_edits_one_message_from_ack_to_grid_with_buttons(
    settings: Settings, api: FakeDiscord
) -> None:
    settings = tweak(settings, "discord", edit_every_s=0.0)  # every step's preview is shown
    api.rate_limit_next("PATCH", r"/webhooks/\d+/[^/]+/messages/\d+")  # first progress: 429
    async with discord_bot(settings, api) as h:
        job_id, row, ack = await h.draw("a red fox in the snow --ar 3:2 --seed 42")
        token = ack.path.split("/")[3]
        images = settings.images_dir

    defer = api.find("POST", r"/interactions/\d+/[^/]+/callback")
    assert [call.payload for call in defer] == [{"type": 5}]  # "thinking…", public
    assert api.calls.index(defer[0]) < api.calls.index(ack)
    message_id = int(ack.response["id"])
    assert row["reply_message_id"] == str(message_id)  # remembered for edits after a restart
    job_edits = api.find("PATCH", rf"{WEBHOOK}/{token}/messages/{message_id}")
    progress, result = job_edits[:-1], job_edits[-1]
    # Live progress with the preview attached, after discord.py sat out a 429.
    assert api.faulted and progress
    assert all("%" in call.payload["content"] for call in progress)  # type: ignore[index]
    assert {name for call in progress for name, _ in call.files} == {"preview.png"}
    # The result: the stored grid as one attachment, the caption, 9 persistent buttons.
    assert [name for name, _ in result.files] == ["grid.png"]
    assert result.files[0][1] == (images / row["grid_path"]).read_bytes()
    assert "a red fox in the snow" in result.payload["content"]  # type: ignore[index]
    assert "--seed 42" in result.payload["content"]  # type: ignore[index]
    assert custom_ids(result) == buttons_for(job_id)
    assert row["delivered_at"] and row["status"] == "done"
    # An edit notifies nobody: a notice mentions the user under the job's message.
    [notice] = api.find("POST", rf"/channels/{CHANNEL}/messages")
    assert notice.payload["content"] == f"<@{ALICE}> Job {job_id} is done: a red fox in the snow"
    assert notice.payload["message_reference"]["message_id"] == message_id


async def test_repeat_gives_each_job_its_own_message(settings: Settings, api: FakeDiscord) -> None:
    async with discord_bot(settings, api) as h:
        payload = await h.command("mj", prompt="a tree --repeat 2")
        first = await api.wait_for("PATCH", original(payload), has("accepted"))
        second = await api.wait_for("POST", followups(payload), has("accepted"))
        rows = [await h.service.wait(job_in(ack)) for ack in (first, second)]
    messages = [int(ack.response["id"]) for ack in (first, second)]
    assert messages[0] != messages[1]
    for row, message_id in zip(rows, messages, strict=True):
        assert row["reply_message_id"] == str(message_id)
        assert custom_ids_of(api.messages[message_id]) == buttons_for(row["id"])


async def test_progress_edits_keep_the_configured_pace(
    settings: Settings, api: FakeDiscord
) -> None:
    clock = [1000.0]
    async with discord_bot(settings, api, edit_every_s=2.0, monotonic=lambda: clock[0]) as h:
        job_id = await queued_job(h.store)
        payload = interaction(
            api, 2, command("mj", prompt="x"), user_id=ALICE, channel_id=CHANNEL, guild_id=GUILD
        )
        live = discord.Interaction(data=payload, state=h.bot._connection)
        await live.response.defer(thinking=True)
        respond = h.bot.responder(live, origin_of(live), public=True, fill=True)
        await respond.report(Reply(ReplyKind.ACK, verbatim(f"Job {job_id} accepted"), job_id))
        for at, percent in [(0.5, 10), (1.9, 20), (2.1, 30), (3.0, 40), (4.2, 50), (9.0, 60)]:
            clock[0] = 1000.0 + at
            text = f"Job {job_id}: {percent}%"
            progress = Reply(
                ReplyKind.PROGRESS, verbatim(text), job_id, image_png=PNG, percent=percent
            )
            await respond.report(progress)
    shown = [call.payload["content"] for call in api.find("PATCH", edits(payload))]
    # At most one edit per 2 s after the acknowledgement; the ones in between are dropped.
    assert shown == [f"Job {job_id}: 30%", f"Job {job_id}: 50%", f"Job {job_id}: 60%"]


async def test_a_job_finishing_after_the_token_expired_is_edited_in_through_the_channel(
    settings: Settings, api: FakeDiscord
) -> None:
    settings = tweak(settings, "discord", edit_every_s=0.0)
    async with discord_bot(settings, api, now=expiring(api)) as h:
        job_id, row, ack = await h.draw("a slow queue")
        token = ack.path.split("/")[3]
    message_id = int(ack.response["id"])
    # The job's own message becomes the grid (a bot may edit its public responses)...
    [result] = api.find("PATCH", rf"/channels/{CHANNEL}/messages/{message_id}")
    assert [name for name, _ in result.files] == ["grid.png"]
    assert custom_ids(result) == buttons_for(job_id)
    # ...and a notice under it tells the user, who alone is pinged.
    [notice] = api.find("POST", rf"/channels/{CHANNEL}/messages")
    assert (
        notice.payload["content"].startswith(f"<@{ALICE}> ")
        and job_id in notice.payload["content"]
    )
    assert notice.payload["allowed_mentions"] == {"parse": [], "users": [ALICE]}
    assert notice.payload["message_reference"]["message_id"] == message_id
    assert notice.payload["enforce_nonce"] and not notice.files
    # Nothing more went through the dead token after the acknowledgement.
    assert [call for call in api.calls if token in call.path][-1] is ack
    assert row["delivered_at"]


async def test_a_refused_result_is_retried_in_the_same_run(
    settings: Settings, api: FakeDiscord
) -> None:
    settings = tweak(settings, "delivery", retry_first_s=0.05)
    api.refuse_next("PATCH", r"/webhooks/\d+/[^/]+/messages/\d+")  # the result's edit: 403
    async with discord_bot(settings, api, edit_every_s=600.0) as h:
        job_id, row, ack = await h.draw("a stormy sea")
        owed = await h.store.run(lambda s: s.outbox.get(job_id, "final"))
    assert api.faulted and row["status"] == "done" and row["delivered_at"]
    assert owed["attempts"] == 1 and owed["sent_at"]  # one failure, then sent
    grid = api.messages[int(ack.response["id"])]
    assert custom_ids_of(grid) == buttons_for(job_id)  # the job's message, on the second try


async def test_a_result_whose_answer_was_lost_is_not_doubled_after_a_restart(
    settings: Settings, api: FakeDiscord
) -> None:
    # The result's edit is applied, then the connection drops; the process ends before its
    # retry is due. The next one edits the same message again, and notifies once.
    settings = tweak(settings, "delivery", retry_first_s=60.0, retry_max_s=60.0)
    api.faults = FaultPlan(
        rate=1.0,
        eligible=lambda route: re.fullmatch(r"PATCH /webhooks/\d+/[^/]+/messages/\d+", route),
        kinds=(Fault.RESET,),
        limit=1,
    )
    async with discord_bot(settings, api, edit_every_s=600.0) as h:
        payload = await h.command("mj", prompt="a stormy sea")
        ack = await api.wait_for("PATCH", original(payload), has("accepted"))
        job_id = job_in(ack)
        await until(lambda: api.faults.injected)
        await until(lambda: h.store.run_sync(lambda s: s.outbox.get(job_id, "final"))["attempts"])
    async with discord_bot(settings, api) as h, asyncio.timeout(60):  # the restart
        delivered = await h.service.wait(job_id)
    assert delivered["delivered_at"]
    shown = [m for m in api.messages.values() if custom_ids_of(m) == buttons_for(job_id)]
    assert [int(m["id"]) for m in shown] == [int(ack.response["id"])]  # one grid, edited twice
    notices = [m for m in api.messages.values() if m["content"].startswith(f"<@{ALICE}>")]
    assert len(notices) == 1 and job_id in notices[0]["content"]


async def test_cancel_shows_on_the_jobs_message_and_leaves_no_thinking_behind(
    settings: Settings, api: FakeDiscord
) -> None:
    async with queued_bot(settings, api) as h:
        mj = await h.command("mj", prompt="a quiet street")
        ack = await api.wait_for("PATCH", original(mj), has("accepted"))
        job_id = job_in(ack)
        cancel = await h.command("cancel")
        row = await h.service.wait(job_id)
        await api.wait_for("DELETE", original(cancel))
    assert row["status"] == "cancelled"
    [shown] = api.find("PATCH", rf"{followups(mj)}/messages/{ack.response['id']}")
    assert shown.payload["content"] == f"Job {job_id} cancelled. Its 1 credit was refunded."
    assert api.find("POST", callback(cancel))[0].payload == {"type": 5, "data": {"flags": 64}}
    assert not api.find("PATCH", original(cancel))  # the core said nothing to /cancel itself
    assert not api.find("POST", rf"/channels/{CHANNEL}/messages")  # the user cancelled it


async def test_a_grid_over_the_upload_limit_is_re_encoded(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        _, row, ack = await h.draw("a detailed map", size_limit=6000)
        grid = (settings.images_dir / row["grid_path"]).stat().st_size
    result = api.find("PATCH", rf"{WEBHOOK}/{ack.path.split('/')[3]}/messages/\d+")[-1]
    [(name, data)] = result.files
    assert grid > 6000 and name == "grid.jpg" and data[:3] == b"\xff\xd8\xff"
    assert len(data) <= 6000


async def test_an_image_attachment_is_passed_on_as_an_image_prompt(
    settings: Settings, api: FakeDiscord
) -> None:
    image = {
        "id": "555",
        "filename": "cat.png",
        "size": 10,
        "content_type": "image/png",
        # A loopback URL: the core's download guard refuses it without any DNS or network.
        "url": "http://127.0.0.1:9/attachments/1/2/cat.png?ex=1",
        "proxy_url": "https://media.discordapp.net/cat.png",
    }
    text = {**image, "id": "556", "filename": "notes.txt", "content_type": "text/plain"}
    async with discord_bot(settings, api) as h:
        with_image = await h.command("mj", prompt="a cat", image=image)
        note = await api.wait_for("POST", followups(with_image))
        with_text = await h.command("mj", prompt="a cat", image=text)
        refused = await api.wait_for("POST", callback(with_text))
    # The core got the URL as an image prompt and refused to fetch it from a local address.
    assert "private or local address" in note.payload["content"]
    assert note.response["flags"] == EPHEMERAL
    assert refused.payload["type"] == 4 and refused.payload["data"]["flags"] == EPHEMERAL
    assert "must be an image" in refused.payload["data"]["content"]


async def test_settings_defaults_reach_the_next_mj(settings: Settings, api: FakeDiscord) -> None:
    async with discord_bot(settings, api) as h:
        saved = await h.command("settings", params="—ar 16：9 --steps 3")
        reply = await api.wait_for("PATCH", original(saved))
        _, row, _ = await h.draw("a harbour --steps 2")
    assert "--ar 16:9 --steps 3" in reply.payload["content"]
    assert (row["aspect"], row["steps"]) == ("16:9", 2)  # typed --steps wins over the default
