"""Moderation on Discord: banned terms for moderators (Manage Server or a configured role),
credits through a member option."""

from __future__ import annotations

from bot.config import Settings
from tests.discord_adapter.harness import (
    ALICE,
    BOB,
    GUILD,
    MOD,
    callback,
    discord_bot,
    followups,
    original,
    queued_bot,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_payloads import (
    EPHEMERAL,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    UserRef,
    role,
)
from tests.helpers import tweak


async def test_moderators_ban_terms_others_cannot_and_blocked_prompts_stay_private(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        refused = await h.command("ban-term", user=BOB, terms="zeppelin")
        no = await api.wait_for("PATCH", original(refused))
        banned = await h.command(
            "ban-term", user=MOD, terms="zeppelin", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD
        )
        yes = await api.wait_for("PATCH", original(banned))
        blocked = await h.command("mj", prompt="a zeppelin over Paris")
        note = await api.wait_for("POST", followups(blocked))
        jobs = await h.store.run(lambda s: s.jobs.of_user("discord", str(ALICE)))
    # Moderator commands are deferred privately: their answers never reach the channel.
    for call in (refused, banned):
        assert api.find("POST", callback(call))[0].payload == {"type": 5, "data": {"flags": 64}}
    assert "Only this community's moderators" in no.payload["content"]
    assert "Banned here: zeppelin" in yes.payload["content"]
    # /mj is deferred publicly, so the refusal first removes the public "thinking…".
    assert api.find("DELETE", original(blocked))
    assert "zeppelin" in note.payload["content"] and "Not drawn" in note.payload["content"]
    assert note.response["flags"] == EPHEMERAL
    public = [m for m in api.messages.values() if not m["flags"] & EPHEMERAL]
    assert not any("zeppelin" in m["content"] for m in public)
    assert jobs == []


async def test_a_configured_role_moderates_without_manage_server(
    settings: Settings, api: FakeDiscord
) -> None:
    curators = 720000000000000001
    settings = tweak(settings, "discord", moderator_role_ids=frozenset({curators}))
    api.guilds[GUILD].roles.append(role(curators, "curators"))  # GUILD_CREATE carries it
    async with queued_bot(settings, api) as h:
        allowed = await h.command("ban-term", user=BOB, terms="blimp", roles=(curators,))
        refused = await h.command("ban-term", user=ALICE, terms="airship")
        yes = await api.wait_for("PATCH", original(allowed))
        no = await api.wait_for("PATCH", original(refused))
    assert "Banned here: blimp" in yes.payload["content"]
    assert "Only this community's moderators" in no.payload["content"]


async def test_moderators_adjust_credits_with_a_member_option(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        await h.draw("a fox")  # Alice has used the bot: she has an account
        moderators = MEMBER_PERMISSIONS | MANAGE_GUILD
        no = await h.command("quota-grant", user=BOB, member=UserRef(ALICE), credits=3.0)
        refused = await api.wait_for("PATCH", original(no))
        yes = await h.command(
            "quota-grant", user=MOD, member=UserRef(ALICE), credits=3.0, permissions=moderators
        )
        granted = await api.wait_for("PATCH", original(yes))
    assert "for moderators" in refused.payload["content"]
    assert "Granted 3 credits to" in granted.payload["content"]
