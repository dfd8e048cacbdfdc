"""The image safety check on Discord: spoiler files, withheld images, and channels marked NSFW
getting the laxer mode their server allows."""

from __future__ import annotations

from bot.config import Settings
from tests.discord_adapter.harness import GUILD, NSFW_CHANNEL, WEBHOOK, discord_bot
from tests.fakes.discord_api import FakeDiscord
from tests.helpers import tweak

FLAGGING = "tests.fakes.safety_scorer:FlaggingScorer"


async def test_a_server_allows_spoilers_in_its_nsfw_channels_only(
    settings: Settings, api: FakeDiscord
) -> None:
    settings = tweak(settings, "safety", scorer=FLAGGING)
    async with discord_bot(settings, api) as h:
        await h.store.run(
            lambda s: s.safety.set_policy(f"discord:{GUILD}", "block", 0.8, "spoiler", "t")
        )
        lax_id, lax, lax_ack = await h.draw("a red fox --seed 5", channel=NSFW_CHANNEL)
        strict_id, strict, strict_ack = await h.draw("a red fox --seed 5")
    uploads = {}
    for job_id, ack in ((lax_id, lax_ack), (strict_id, strict_ack)):
        token = ack.path.split("/")[3]
        edits = api.find("PATCH", rf"{WEBHOOK}/{token}/messages/{ack.response['id']}")
        uploads[job_id] = edits[-1]
    # In the NSFW channel: the grid as drawn, sent as a spoiler, with its buttons.
    assert [name for name, _ in uploads[lax_id].files] == ["SPOILER_grid.png"]
    assert "behind a spoiler" in uploads[lax_id].payload["content"]  # type: ignore[index]
    assert lax["nsfw_chat"] == 1
    # Elsewhere on the server: withheld, and no spoiler (there is nothing to hide).
    assert [name for name, _ in uploads[strict_id].files] == ["grid.png"]
    content = uploads[strict_id].payload["content"]  # type: ignore[index]
    assert "withheld by the image safety check" in content
    assert strict["nsfw_chat"] == 0
