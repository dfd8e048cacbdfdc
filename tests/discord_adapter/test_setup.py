"""Starting the Discord bot: commands synced from the registry, the launcher's order (log in,
start the core, connect), and its settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord
import pytest
from typer.testing import CliRunner

from bot.__main__ import app as cli
from bot.app import open_app
from bot.config import ConfigError, Settings
from bot.runner import serve_app
from tests.discord_adapter.harness import GUILD, discord_bot
from tests.fakes.discord_api import TOKEN, FakeDiscord
from tests.fakes.discord_payloads import APP_ID, MANAGE_GUILD
from tests.helpers import tweak


@pytest.mark.parametrize(
    ("guild", "route"), [(None, ""), (GUILD, f"/guilds/{GUILD}")], ids=["global", "dev-server"]
)
async def test_commands_are_synced_with_moderation_hidden_by_default(
    settings: Settings, api: FakeDiscord, guild: int | None, route: str
) -> None:
    async with discord_bot(tweak(settings, "discord", guild_id=guild), api):
        pass
    [sync] = api.find("PUT", rf"/applications/{APP_ID}{route}/commands")
    commands = {c["name"]: c for c in sync.payload}  # type: ignore[union-attr]
    assert set(commands) >= {
        "mj",
        "cancel",
        "quota",
        "history",
        "show",
        "settings",
        "ban-term",
        "unban-term",
        "allow-term",
        "banned-terms",
    }
    assert commands["ban-term"]["default_member_permissions"] == MANAGE_GUILD
    assert commands["mj"]["default_member_permissions"] is None


async def test_the_launcher_logs_in_starts_the_core_then_connects(
    settings: Settings, api: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[str] = []

    async def started() -> None:
        logged_in = bool(api.find("GET", "/users/@me"))
        steps.append("core started after login" if logged_in else "early")
        steps.append("before connecting" if not api.gateway.connections else "late")

    settings = tweak(settings, "discord", token=TOKEN)
    stop = asyncio.Event()
    async with open_app(settings) as app:
        monkeypatch.setattr(app.service, "start", started)
        task = asyncio.create_task(serve_app(app, settings, ["discord"], stop, lambda _: None))
        connection = await api.gateway.wait_connected("identify")
        stop.set()
        await asyncio.wait_for(task, 10)
    assert steps == ["core started after login", "before connecting"]
    assert api.find("PUT", rf"/applications/{APP_ID}/commands")  # synced during login
    identify = next(p for p in api.gateway.received if p["op"] == 2)
    assert identify["d"]["intents"] == discord.Intents(guilds=True).value  # nothing privileged
    assert connection.heartbeats >= 1 and connection.close_code == 1000  # closed cleanly


def test_cli_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {"MJ_DISCORD_TOKEN": "", "MJ_MODEL": "tiny", "MJ_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["discord"], env=env)
    assert result.exit_code == 2 and "MJ_DISCORD_TOKEN is not set" in result.output


def test_discord_settings_from_env() -> None:
    env = {
        "MJ_DISCORD_TOKEN": " secret-token ",
        "MJ_DISCORD_GUILD_ID": "123",
        "MJ_DISCORD_EDIT_EVERY_S": "0.5",
        "MJ_DISCORD_MODERATOR_ROLES": "7, 8",
    }
    config = Settings.from_env(env)
    assert config.discord.token == "secret-token" and "secret-token" not in repr(config)
    assert (config.discord.guild_id, config.discord.edit_every_s) == (123, 0.5)
    assert config.discord.moderator_role_ids == {7, 8}
    assert Settings.from_env({}).discord.edit_every_s == 2.0
    for key, value in [
        ("MJ_DISCORD_GUILD_ID", "1,2"),
        ("MJ_DISCORD_GUILD_ID", "my-server"),
        ("MJ_DISCORD_EDIT_EVERY_S", "-1"),
        ("MJ_DISCORD_MODERATOR_ROLES", "mods"),
    ]:
        with pytest.raises(ConfigError, match=key):
            Settings.from_env({key: value})
