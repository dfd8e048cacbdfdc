"""Moderation on Discord: banned terms for moderators (Manage Server or a configured role),
credits through a member option."""

from __future__ import annotations

import discord

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
from tests.fakes.discord_api import (
    EPHEMERAL,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    FakeDiscord,
    UserRef,
)
from tests.helpers import tweak


async def test_moderators_ban_terms_others_cannot_and_blocked_prompts_stay_private(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        refused = h.command("ban-term", user=BOB, terms="zeppelin")
        no = await api.wait_for("PATCH", original(refused))
        banned = h.command(
            "ban-term", user=MOD, terms="zeppelin", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD
        )
        yes = await api.wait_for("PATCH", original(banned))
        blocked = h.command("mj", prompt="a zeppelin over Paris")
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
    role = 720000000000000001
    settings = tweak(settings, "discord", moderator_role_ids=frozenset({role}))
    async with queued_bot(settings, api) as h:
        # The server as the gateway's GUILD_CREATE leaves it in the cache (guilds intent).
        guild = {
            "id": str(GUILD),
            "name": "art club",
            "roles": [
                {
                    "id": str(role),
                    "name": "curators",
                    "permissions": "0",
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                }
            ],
        }
        h.bot._connection._add_guild(discord.Guild(data=guild, state=h.bot._connection))
        allowed = h.command("ban-term", user=BOB, terms="blimp", roles=(role,))
        refused = h.command("ban-term", user=ALICE, terms="airship")
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
        no = h.command("quota-grant", user=BOB, member=UserRef(ALICE), credits=3.0)
        refused = await api.wait_for("PATCH", original(no))
        yes = h.command(
            "quota-grant", user=MOD, member=UserRef(ALICE), credits=3.0, permissions=moderators
        )
        granted = await api.wait_for("PATCH", original(yes))
    assert "for moderators" in refused.payload["content"]
    assert "Granted 3 credits to" in granted.payload["content"]
