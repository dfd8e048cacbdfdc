"""Grid buttons on Discord: they survive a restart, make upscales, and are only for the
job's author."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.discord_adapter.harness import (
    BOB,
    buttons_for,
    callback,
    custom_ids,
    discord_bot,
    followups,
    has,
    job_in,
)
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord


async def test_reroll_button_works_after_the_bot_is_rebuilt(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, first, _ = await h.draw("a lighthouse at dusk")
    grid_message = int(first["reply_message_id"])
    # A new process over the same data: new app, new bot, nothing in memory from before.
    async with discord_bot(settings, api) as h:
        payload = h.click(grid_message, f"mj:reroll:{job_id}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        new_id = job_in(ack)
        row = await h.service.wait(new_id)
    assert api.find("POST", callback(payload))[0].payload == {"type": 6}  # nothing shown
    assert (row["action"], row["parent_id"], row["mj_text"]) == (
        "reroll",
        job_id,
        "a lighthouse at dusk",
    )
    assert row["seed"] != first["seed"] and row["status"] == "done"
    assert not ack.response["flags"] & EPHEMERAL  # the new job is for the channel to see
    result = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
    assert custom_ids(result) == buttons_for(new_id)
    assert api.messages[grid_message]["components"]  # the old grid keeps its buttons


async def test_u2_upscales_and_the_result_has_the_upscale_buttons(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, first, _ = await h.draw("a lighthouse at dusk")
        payload = h.click(int(first["reply_message_id"]), f"mj:U2:{job_id}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        new_id = job_in(ack)
        row = await h.service.wait(new_id)
    assert (row["action"], row["parent_id"], row["parent_image"]) == ("upscale", job_id, 2)
    assert (row["width"], row["height"]) == (2 * first["width"], 2 * first["height"])
    result = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
    assert custom_ids(result) == [
        [f"mj:U2X:{new_id}"],
        [f"mj:VS:{new_id}", f"mj:VX:{new_id}"],
    ]


@pytest.mark.parametrize(
    ("user", "action", "note"),
    [
        (BOB, "reroll", "is not yours"),
        (BOB, "U2", "is not yours"),
        (BOB, "V3", "is not yours"),
    ],
    ids=["reroll-by-another", "upscale-by-another", "variation-by-another"],
)
async def test_refused_buttons_answer_privately(
    settings: Settings, api: FakeDiscord, user: int, action: str, note: str
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, row, _ = await h.draw("a castle")
        payload = h.click(int(row["reply_message_id"]), f"mj:{action}:{job_id}", user=user)
        answer = await api.wait_for("POST", followups(payload))
        jobs = await h.store.run(lambda s: s.jobs.of_user("discord", str(user)))
    assert note in answer.payload["content"]
    assert answer.payload["flags"] == EPHEMERAL and answer.response["flags"] == EPHEMERAL
    assert jobs == []  # no job was made by the click
