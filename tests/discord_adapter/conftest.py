"""The Discord tests' fixtures: one fake Discord (REST API and gateway) per test module, which
discord.py reaches for real, reset before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord
import pytest
import pytest_asyncio
import yarl
from discord.gateway import DiscordWebSocket

from tests.discord_adapter.harness import CHANNEL, GUILD, NSFW_CHANNEL
from tests.fakes.discord_api import TOKEN, FakeDiscord
from tests.fakes.discord_payloads import Guild


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """This directory's async tests run on their module's event loop, the fake's."""
    here = Path(__file__).parent
    for item in items:
        if pytest_asyncio.is_async_test(item) and here in item.path.parents:
            item.add_marker(pytest.mark.asyncio(loop_scope="module"), append=False)


async def announced_gateway(fake: FakeDiscord) -> str:
    """The gateway URL from GET /gateway/bot, as a sharded client asks for it."""
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.base}/gateway/bot", headers=headers) as answer,
    ):
        return (await answer.json())["url"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    gateway = await announced_gateway(fake)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(discord.http.Route, "BASE", fake.base)
        patch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway))
        yield fake
    await fake.close()


@pytest_asyncio.fixture(loop_scope="module")
async def api(discord_fake: FakeDiscord, no_network: None) -> FakeDiscord:
    """The module's fake, emptied, with the bot in one server (GUILD) with two channels, one
    of them marked NSFW."""
    await discord_fake.reset()
    discord_fake.add_guild(Guild(GUILD, [CHANNEL, NSFW_CHANNEL], nsfw_channels={NSFW_CHANNEL}))
    return discord_fake
