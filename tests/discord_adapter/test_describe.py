"""/describe on Discord: the slash command with its attachment and URL options, the answer
with its image, four prompts and five buttons, and the buttons' jobs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.config import Settings
from tests.discord_adapter.harness import (
    callback,
    custom_ids,
    discord_bot,
    edits,
    followups,
    has,
    job_in,
    original,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import EPHEMERAL
from tests.helpers import image_server, link_captioner, picture, png_bytes, tweak

pytestmark = pytest.mark.slow


@pytest.fixture
def dc_settings(settings: Settings, tiny_captioner_dir) -> Settings:
    """The tiny captioner, and downloads allowed from the test's own 127.0.0.1 server."""
    link_captioner(settings.data_dir, tiny_captioner_dir)
    return tweak(settings, "image_prompts", allow_private_urls=True)


@pytest_asyncio.fixture(loop_scope="module")  # the loop the module's fake Discord runs on
async def cdn() -> AsyncIterator[str]:
    """Stands in for Discord's CDN: where an attachment's URL points."""
    path = "/attachments/1/2/wide.png"
    async with image_server({path: png_bytes(picture((200, 100)))}) as base:
        yield base + path


def attachment(url: str) -> dict[str, object]:
    return {
        "id": "555",
        "filename": "wide.png",
        "size": 1000,
        "content_type": "image/png",
        "url": f"{url}?ex=1",
        "proxy_url": "https://media.discordapp.net/wide.png",
    }


def prompts_in(content: str) -> list[str]:
    return [line for line in content.splitlines() if line[:3] in ("1️⃣", "2️⃣", "3️⃣", "4️⃣")]


async def test_describe_an_attachment_then_draw_a_prompt(dc_settings, api: FakeDiscord, cdn):
    async with discord_bot(dc_settings, api) as h:
        payload = await h.command("describe", image=attachment(cdn))
        ack = await api.wait_for("PATCH", original(payload), has("accepted"))
        job_id = job_in(ack)
        row = await h.service.wait(job_id)
        result = api.find("PATCH", edits(payload))[-1]
        prompts = prompts_in(result.payload["content"])
        assert len(prompts) == 4 and all(p.endswith("--ar 2:1") for p in prompts)
        assert custom_ids(result) == [
            [f"mj:{a}:{job_id}" for a in ("P1", "P2", "P3", "P4", "reroll")]
        ]
        image = (dc_settings.images_dir / _init_image(row)).read_bytes()
        assert [data for _, data in result.files] == [image]  # the image it describes
        click = await h.click(int(row["reply_message_id"]), f"mj:P1:{job_id}")
        drawn_ack = await api.wait_for("POST", followups(click), has("accepted"))
        drawn = await h.service.wait(job_in(drawn_ack))
    assert row["status"] == "done" and row["mj_text"].startswith(f"/describe {cdn}")
    assert (drawn["action"], drawn["parent_id"], drawn["aspect"]) == ("suggestion", job_id, "2:1")
    assert drawn["status"] == "done"


async def test_the_url_option_and_its_refusals(dc_settings, api: FakeDiscord, cdn) -> None:
    async with discord_bot(dc_settings, api) as h:
        by_url = await h.command("describe", url=cdn)
        ack = await api.wait_for("PATCH", original(by_url), has("accepted"))
        row = await h.service.wait(job_in(ack))
        both = await h.command("describe", url=cdn, image=attachment(cdn))
        twice = await api.wait_for("POST", followups(both))
        neither = await h.command("describe")
        usage = await api.wait_for("POST", followups(neither))
        text = {**attachment(cdn), "content_type": "text/plain", "filename": "a.txt"}
        not_image = await h.command("describe", image=text)
        refused = await api.wait_for("POST", callback(not_image))
        jobs = await h.store.run(lambda s: s.db["jobs"].count)
    assert row["status"] == "done" and row["aspect"] == "2:1"
    assert "one image at a time" in twice.payload["content"]
    assert "Describe needs one image" in usage.payload["content"]
    assert twice.payload["flags"] == EPHEMERAL and usage.payload["flags"] == EPHEMERAL
    assert "must be an image" in refused.payload["data"]["content"]
    assert jobs == 1  # only the describe that had one image


def _init_image(row: dict) -> str:
    return json.loads(row["spec_json"])["init_image"]
