"""Looks on Discord: /mj's model, theme and style options with autocomplete, /themes, and
Upscale 4x under an upscale."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from storage.looks import ScopeLooks, ThemeRecord
from tests.discord_adapter.harness import (
    CHANNEL,
    GUILD,
    callback,
    custom_ids,
    discord_bot,
    followups,
    has,
    job_in,
    original,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import command, interaction
from tests.helpers import tweak

THEMES = (
    ThemeRecord("guofeng", "tiny", description="古风 ink"),
    ThemeRecord("cyber", "tiny", description="neon nights"),
    ThemeRecord("photo", "tiny", style="photo"),
)


def autocomplete(api: FakeDiscord, focused: str, typed: str) -> dict[str, Any]:
    """An autocomplete interaction (type 4): the user is typing `typed` into `focused`."""
    data = command("mj", prompt="a crane")
    data["options"].append({"name": focused, "type": 3, "value": typed, "focused": True})
    return interaction(api, 4, data, user_id=101, channel_id=CHANNEL, guild_id=GUILD)


async def test_mj_suggests_themes_models_and_styles_as_allowed_here(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        for theme in THEMES:
            await h.store.run(lambda s, t=theme: s.looks.add_theme(t, "test"))
        await h.store.run(
            lambda s: s.looks.set_allowed(f"discord:{GUILD}", "theme", ["guofeng", "cyber"], "t")
        )
        answers = {}
        for focused, typed in (("theme", "g"), ("theme", ""), ("model", "ti"), ("style", "wat")):
            payload = await api.interact(autocomplete(api, focused, typed))
            answers[focused, typed] = (await api.wait_for("POST", callback(payload))).payload
        assert await h.store.run(lambda s: s.looks.scope(f"discord:{GUILD}")) == ScopeLooks(
            f"discord:{GUILD}", ("cyber", "guofeng")
        )
    # type 8: APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    assert answers["theme", "g"] == {
        "type": 8,
        "data": {"choices": [{"name": "guofeng — 古风 ink", "value": "guofeng"},
                             {"name": "cyber — neon nights", "value": "cyber"}]},
    }  # fmt: skip
    # photo is not allowed in this server, so it is not suggested
    assert [c["value"] for c in answers["theme", ""]["data"]["choices"]] == ["cyber", "guofeng"]
    assert [c["value"] for c in answers["model", "ti"]["data"]["choices"]] == ["tiny"]
    assert [c["value"] for c in answers["style", "wat"]["data"]["choices"]] == ["watercolor"]


async def test_mj_options_become_parameters_and_themes_are_listed(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        await h.store.run(lambda s: s.looks.add_theme(THEMES[0], "test"))
        _, row, _ = await h.draw("a crane", theme="guofeng", style="watercolor", model="tiny")
        listed = await h.command("themes")
        answer = await api.wait_for("PATCH", original(listed))
    assert row["status"] == "done" and (row["theme"], row["style"]) == ("guofeng", "watercolor")
    assert "--theme guofeng --style watercolor" in row["mj_text"]
    assert "Themes (--theme NAME):\n• guofeng: 古风 ink" in answer.payload["content"]


async def test_upscale_4x_under_an_upscale_with_the_gan_upscaler(
    settings: Settings, api: FakeDiscord, spandrel_imported: None
) -> None:
    async with discord_bot(tweak(settings, "models", gan_upscaler="tiny"), api) as h:
        job_id, first, _ = await h.draw("a lighthouse at dusk")
        payload = await h.click(int(first["reply_message_id"]), f"mj:U2:{job_id}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        upscale = await h.service.wait(job_in(ack))
        shown = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
        assert f"mj:U4X:{upscale['id']}" in [i for row in custom_ids(shown) for i in row]
        payload = await h.click(int(upscale["reply_message_id"]), f"mj:U4X:{upscale['id']}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        four = await h.service.wait(job_in(ack))
        result = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
    assert (four["action"], four["parent_id"], four["status"]) == (
        "upscale4x",
        upscale["id"],
        "done",
    )
    assert (four["width"], four["height"]) == (4 * upscale["width"], 4 * upscale["height"])
    assert custom_ids(result) == [[f"mj:DEL:{four['id']}"]]
