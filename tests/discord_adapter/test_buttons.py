"""Grid buttons on Discord: they survive a restart, make upscales, and are only for the
job's author."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.config import Settings
from tests.discord_adapter.harness import (
    ALICE,
    BOB,
    CHANNEL,
    GUILD,
    buttons_for,
    callback,
    custom_ids,
    custom_ids_of,
    discord_bot,
    followups,
    has,
    job_in,
    original,
    upscale_buttons_for,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import EPHEMERAL, interaction


async def test_reroll_button_works_after_the_bot_is_rebuilt(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, first, _ = await h.draw("a lighthouse at dusk")
    grid_message = int(first["reply_message_id"])
    # A new process over the same data: new app, new bot, nothing in memory from before.
    async with discord_bot(settings, api) as h:
        payload = await h.click(grid_message, f"mj:reroll:{job_id}")
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
        payload = await h.click(int(first["reply_message_id"]), f"mj:U2:{job_id}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        new_id = job_in(ack)
        row = await h.service.wait(new_id)
    assert (row["action"], row["parent_id"], row["parent_image"]) == ("upscale", job_id, 2)
    assert (row["width"], row["height"]) == (2 * first["width"], 2 * first["height"])
    result = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
    assert custom_ids(result) == upscale_buttons_for(new_id)


async def test_zoom_out_from_an_upscale_and_delete_its_result(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, first, _ = await h.draw("a lighthouse at dusk")
        payload = await h.click(int(first["reply_message_id"]), f"mj:U1:{job_id}")
        upscale_id = job_in(await api.wait_for("POST", followups(payload), has("accepted")))
        upscale = await h.service.wait(upscale_id)
        payload = await h.click(int(upscale["reply_message_id"]), f"mj:ZO2:{upscale_id}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        zoom = await h.service.wait(job_in(ack))
        result = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
        assert custom_ids(result) == buttons_for(zoom["id"])
        shown = int(zoom["reply_message_id"])
        payload = await h.click(shown, f"mj:DEL:{zoom['id']}")
        note = await api.wait_for("POST", followups(payload), has("deleted"))
        row = await h.store.run(lambda s: s.jobs.get(zoom["id"]))
    assert (zoom["action"], zoom["parent_id"], zoom["parent_image"]) == ("zoom_out", upscale_id, 1)
    assert (zoom["width"], zoom["height"]) == (first["width"], first["height"])
    assert api.find("DELETE", rf"/channels/\d+/messages/{shown}")
    assert note.payload["flags"] == EPHEMERAL and row["deleted_at"]


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
        payload = await h.click(int(row["reply_message_id"]), f"mj:{action}:{job_id}", user=user)
        answer = await api.wait_for("POST", followups(payload))
        jobs = await h.store.run(lambda s: s.jobs.of_user("discord", str(user)))
    assert note in answer.payload["content"]
    assert answer.payload["flags"] == EPHEMERAL and answer.response["flags"] == EPHEMERAL
    assert jobs == []  # no job was made by the click


async def test_remix_opens_a_form_and_its_submission_draws(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        await h.store.run(lambda s: s.editing.set_remix("discord", str(ALICE), True))
        job_id, first, _ = await h.draw("a windmill --seed 3")
        payload = await h.click(int(first["reply_message_id"]), f"mj:V2:{job_id}")
        asked = await api.wait_for("POST", followups(payload), has("Remix"))
        [[ask]] = custom_ids_of(asked.response)
        assert asked.response["flags"] == EPHEMERAL and ask.startswith("mj:ASK:")
        payload = await h.click(int(asked.response["id"]), ask)
        opened = await api.wait_for("POST", callback(payload))
        assert opened.payload["type"] == 9  # a form
        form = opened.payload["data"]
        [[field]] = [row["components"] for row in form["components"]]
        assert field["value"].startswith("a windmill")
        payload = await h.submit_form(form, {field["custom_id"]: "a stone windmill at night"})
        ack = await api.wait_for("PATCH", original(payload), has("accepted"))
        row = await h.service.wait(job_in(ack))
    assert (row["action"], row["parent_id"], row["parent_image"]) == ("variation", job_id, 2)
    assert row["prompt"] == "a stone windmill at night" and row["status"] == "done"


async def thirds_offer(h: Any, api: FakeDiscord, prompt: str, image: int) -> tuple[str, Any]:
    """Draw `prompt`, upscale its image, press Vary (Region): the upscale and the menu's post."""
    job_id, first, _ = await h.draw(prompt)
    payload = await h.click(int(first["reply_message_id"]), f"mj:U{image}:{job_id}")
    upscale_id = job_in(await api.wait_for("POST", followups(payload), has("accepted")))
    upscale = await h.service.wait(upscale_id)
    payload = await h.click(int(upscale["reply_message_id"]), f"mj:VR:{upscale_id}")
    return upscale_id, await api.wait_for("POST", followups(payload), has("Vary (Region)"))


async def pick_thirds(api: FakeDiscord, offer: Any, cells: list[str]) -> dict[str, Any]:
    """Alice picks `cells` in the offer's menu; the interaction's payload."""
    [[menu]] = [row["components"] for row in offer.response["components"]]
    data = {"custom_id": menu["custom_id"], "component_type": 3, "values": cells}
    pick = interaction(
        api, 3, data, user_id=ALICE, channel_id=CHANNEL, guild_id=GUILD, message=offer.response
    )
    await api.interact(pick)
    return pick


async def test_vary_region_offers_the_thirds_without_the_web_page(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        upscale_id, offer = await thirds_offer(h, api, "a garden --seed 8", 4)
        [[menu]] = [row["components"] for row in offer.response["components"]]
        assert (menu["type"], menu["custom_id"], menu["max_values"]) == (
            3,
            f"mjvr:{upscale_id}",
            9,
        )
        pick = await pick_thirds(api, offer, ["5", "2"])
        ack = await api.wait_for("PATCH", original(pick), has("accepted"))
        row = await h.service.wait(job_in(ack))
    assert (row["action"], row["parent_id"]) == ("vary_region", upscale_id)
    assert json.loads(row["action_json"])["regions"] == [2, 5]


async def test_remix_asks_after_the_thirds_in_a_form(settings: Settings, api: FakeDiscord) -> None:
    async with discord_bot(settings, api) as h:
        await h.store.run(lambda s: s.editing.set_remix("discord", str(ALICE), True))
        upscale_id, offer = await thirds_offer(h, api, "a courtyard --seed 2", 1)
        pick = await pick_thirds(api, offer, ["9", "7"])
        asked = await api.wait_for("POST", followups(pick), has("Remix"))
        assert asked.response["flags"] == EPHEMERAL  # the question is for the picker alone
        [[ask]] = custom_ids_of(asked.response)
        payload = await h.click(int(asked.response["id"]), ask)
        opened = await api.wait_for("POST", callback(payload))
        form = opened.payload["data"]
        assert form["title"] == f"/region {upscale_id} 7 9 |"
        [[field]] = [row["components"] for row in form["components"]]
        assert field["value"] == "a courtyard --seed 2"
        payload = await h.submit_form(form, {field["custom_id"]: "a courtyard in snow"})
        ack = await api.wait_for("PATCH", original(payload), has("accepted"))
        row = await h.service.wait(job_in(ack))
    assert (row["action"], row["parent_id"]) == ("vary_region", upscale_id)
    assert row["prompt"] == "a courtyard in snow" and row["status"] == "done"
    assert json.loads(row["action_json"])["regions"] == [7, 9]
