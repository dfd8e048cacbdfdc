"""The one launcher: the configured front ends on one loop, the core started once, a clean
stop, and one mapping from failures to exit codes."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.front_end import FrontEndError
from bot.config import ConfigError
from bot.runner import configured, launch, serve, serve_app
from tests.fakes.telegram_updates import message_update
from tests.helpers import free_port, tweak, until

ALICE = 42

pytestmark = pytest.mark.slow


async def test_nothing_configured_says_what_to_set(settings) -> None:
    assert configured(settings) == []
    with pytest.raises(ConfigError, match="MJ_HTTP_ENABLED"):
        await serve(settings, [], asyncio.Event())


async def test_telegram_and_http_serve_together_until_stopped(tg_app, tg_settings, fake) -> None:
    import aiohttp

    port = free_port()
    tg_settings = tweak(tg_settings, "http", enabled=True, port=port)
    assert configured(tg_settings) == ["telegram", "http"]
    fake.updates.put_nowait(message_update(ALICE, ALICE, "/mj a red fox --seed 4"))
    stop = asyncio.Event()
    said: list[str] = []
    task = asyncio.create_task(
        serve_app(tg_app, tg_settings, ["telegram", "http"], stop, said.append)
    )
    await until(
        lambda: fake.called("editMessageMedia") and not tg_app.service.pending_job_ids(), 60
    )
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as r:
        assert r.status == 200
    stop.set()
    await asyncio.wait_for(task, 10)
    assert said == ["Telegram: receiving updates", f"HTTP API on http://127.0.0.1:{port}"]
    [job] = tg_app.store.run_sync(lambda s: s.jobs.of_user("telegram", str(ALICE)))
    assert job["status"] == "done" and job["delivered_at"]


async def test_a_refused_discord_token_stops_with_the_reason(tg_app, tg_settings, fake) -> None:
    import discord

    settings = tweak(tweak(tg_settings, "telegram", token=None), "discord", token="not-a-token")

    async def refuse(self, token: str) -> None:
        raise discord.LoginFailure("Improper token has been passed.")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(discord.Client, "login", refuse)
        with pytest.raises(FrontEndError, match="Discord refused MJ_DISCORD_TOKEN"):
            await asyncio.wait_for(serve_app(tg_app, settings, ["discord"], asyncio.Event()), 10)


@pytest.mark.parametrize(
    ("names", "message"),
    [(["discord"], "MJ_DISCORD_TOKEN is not set"), (["telegram"], "MJ_TELEGRAM_TOKEN is not set")],
    ids=["discord", "telegram"],
)
def test_a_front_end_without_its_token_exits_2_before_anything_loads(
    tmp_path, names: list[str], message: str
) -> None:
    from bot.config import Settings

    said: list[str] = []
    settings = Settings.from_env({"MJ_MODEL": "/nowhere", "MJ_DATA_DIR": str(tmp_path)})
    assert launch(settings, names, said.append) == 2
    assert message in said[-1] and not (tmp_path / "mjbot.db").exists()
