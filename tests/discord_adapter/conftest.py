"""The Discord tests' fixture: discord.py's REST calls go to a local fake of Discord's API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from tests.fakes.discord_api import FakeDiscord


@pytest.fixture
async def api(no_network: None, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.close()
