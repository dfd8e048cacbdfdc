"""Driving the Discord adapter end to end: a bot process over the real core on the tiny model,
connected to the local fake of Discord (`tests/fakes/discord_api.py`) the way it connects to
Discord: logged in over REST, events over the gateway. Slash commands and clicks arrive as
INTERACTION_CREATE dispatches; the tests look for the REST routes the bot calls."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image

from bot.adapters.discord_adapter import DiscordBot
from bot.app import open_app
from bot.config import Settings
from bot.core.service import MjService
from engine.worker import local_engine
from storage.images import ImageStore
from storage.store import AsyncStore
from tests.fakes.discord_api import TOKEN, FakeDiscord
from tests.fakes.discord_http import Call
from tests.fakes.discord_payloads import APP_ID, MEMBER_PERMISSIONS, click, command, interaction
from tests.helpers import SizesOnly

GUILD, CHANNEL, NSFW_CHANNEL = 700000000000000001, 710000000000000001, 710000000000000002
ALICE, BOB, MOD = 101, 102, 103
WEBHOOK = rf"/webhooks/{APP_ID}"


@dataclass
class Harness:
    api: FakeDiscord
    bot: DiscordBot

    @property
    def service(self) -> MjService:
        return self.bot.service

    @property
    def store(self) -> AsyncStore:
        return self.bot.service.store

    def slash(self, name: str, *, user: int = ALICE, **options: Any) -> dict[str, Any]:
        """A user runs a slash command now (Discord's 3 s start); its INTERACTION_CREATE."""
        permissions = options.pop("permissions", MEMBER_PERMISSIONS)
        size_limit = options.pop("size_limit", 10 * 1024 * 1024)
        roles = options.pop("roles", ())
        channel = options.pop("channel", CHANNEL)
        locale = options.pop("locale", "en-US")  # the user's client language
        payload = interaction(
            self.api,
            2,
            command(name, **options),
            user_id=user,
            channel_id=channel,
            guild_id=GUILD,
            permissions=permissions,
            roles=roles,
            size_limit=size_limit,
            nsfw=channel == NSFW_CHANNEL,
        )
        payload["locale"] = locale
        return payload

    async def command(self, name: str, *, user: int = ALICE, **options: Any) -> dict[str, Any]:
        """A user runs a slash command and the gateway delivers it; returns its payload."""
        return await self.api.interact(self.slash(name, user=user, **options))

    async def click(self, message_id: int, custom_id: str, *, user: int = ALICE) -> dict[str, Any]:
        """A user clicks a button on a message the fake holds (as the bot left it)."""
        message = self.api.messages[message_id]
        payload = interaction(
            self.api,
            3,
            click(custom_id),
            user_id=user,
            channel_id=CHANNEL,
            guild_id=GUILD,
            message=message,
        )
        return await self.api.interact(payload)

    async def submit_form(self, form: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
        """Submit a form (a modal, as the bot opened it) with `values` by field custom_id."""
        rows = [
            {
                "type": 1,
                "components": [
                    {
                        "type": 4,
                        "custom_id": field["custom_id"],
                        "value": values[field["custom_id"]],
                    }
                    for field in row["components"]
                ],
            }
            for row in form["components"]
        ]
        data = {"custom_id": form["custom_id"], "components": rows}
        payload = interaction(self.api, 5, data, user_id=ALICE, channel_id=CHANNEL, guild_id=GUILD)
        return await self.api.interact(payload)

    async def draw(self, prompt: str, **options: Any) -> tuple[str, dict[str, Any], Call]:
        """/mj until the result is delivered: (job id, its row, the acknowledgement call)."""
        payload = await self.command("mj", prompt=prompt, **options)
        ack = await self.api.wait_for("PATCH", original(payload), has("accepted"))
        job_id = job_in(ack)
        return job_id, await self.service.wait(job_id), ack


@asynccontextmanager
async def discord_bot(
    settings: Settings, api: FakeDiscord, **sink_options: Any
) -> AsyncIterator[Harness]:
    """A bot process in the launcher's order: log in (buttons registered, commands synced),
    start the core, connect to the gateway."""
    async with open_app(settings) as app:
        bot = DiscordBot(app.service, settings.discord, sink_options=sink_options)
        async with bot:
            await bot.login(TOKEN)
            await app.service.start()
            async with connected(bot, api):
                yield Harness(api, bot)


@asynccontextmanager
async def connected(bot: DiscordBot, api: FakeDiscord) -> AsyncIterator[None]:
    """The bot's gateway connection, from IDENTIFY (READY sent) until the bot closes."""
    after = len(api.gateway.connections)
    task = asyncio.create_task(bot.connect(), name="discord-gateway")
    try:
        await api.gateway.wait_connected("identify", after=after)
        yield
    finally:
        await bot.close()
        with suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def queued_bot(settings: Settings, api: FakeDiscord) -> AsyncIterator[Harness]:
    """A bot over a core whose engine never runs: accepted jobs wait in its queue."""
    store = AsyncStore(settings.db_path)
    engine = local_engine(SizesOnly())
    service = MjService(settings.core, store, engine, ImageStore(settings.images_dir))
    try:
        async with DiscordBot(service, settings.discord) as bot:
            await bot.login(TOKEN)
            async with connected(bot, api):
                yield Harness(api, bot)
    finally:
        await service.close()
        engine.stop()
        store.close()


def expiring(api: FakeDiscord) -> Callable[[], datetime]:
    """The adapter's clock, Discord's too: fifteen minutes pass once a job is acknowledged (the
    job outlives its interaction's token, and the fake refuses the token from then on)."""

    def now() -> datetime:
        if not api.clock.offset and any(
            has("accepted")(call) for call in api.find("PATCH", rf"{WEBHOOK}/.*")
        ):
            api.clock.advance(16 * 60)
        return api.clock.now()

    return now


def original(payload: dict[str, Any]) -> str:
    return rf"{WEBHOOK}/{payload['token']}/messages/@original"


def followups(payload: dict[str, Any]) -> str:
    return rf"{WEBHOOK}/{payload['token']}"


def edits(payload: dict[str, Any]) -> str:
    return rf"{WEBHOOK}/{payload['token']}/messages/\d+"


def callback(payload: dict[str, Any]) -> str:
    return rf"/interactions/{payload['id']}/{payload['token']}/callback"


def has(text: str) -> Callable[[Call], bool]:
    return lambda call: (
        isinstance(call.payload, dict) and text in (call.payload.get("content") or "")
    )


def job_in(call: Call) -> str:
    match = re.search(r"Job (\w+)", call.payload["content"])  # type: ignore[index]
    assert match, call.payload
    return match[1]


def custom_ids(call: Call) -> list[list[str]]:
    return custom_ids_of(call.payload)  # type: ignore[arg-type]


def custom_ids_of(message: dict[str, Any]) -> list[list[str]]:
    return [[button["custom_id"] for button in row["components"]] for row in message["components"]]


def buttons_for(job_id: str) -> list[list[str]]:
    return [
        [f"mj:U{i}:{job_id}" for i in range(1, 5)] + [f"mj:reroll:{job_id}"],
        [f"mj:V{i}:{job_id}" for i in range(1, 5)] + [f"mj:DEL:{job_id}"],
    ]


def upscale_buttons_for(job_id: str, square: bool = True) -> list[list[str]]:
    """Under an upscale: the editing buttons fill rows of five, in the table's order."""
    codes = ["VS", "VX", "VR", "U2X", "ZO2", "ZO15", "ZOC", *([] if square else ["SQ"])]
    codes += ["PL", "PR", "PU", "PD", "DEL"]
    ids = [f"mj:{code}:{job_id}" for code in codes]
    return [ids[i : i + 5] for i in range(0, len(ids), 5)]


async def queued_job(store: AsyncStore) -> str:
    """A job row for tests that drive the sink by hand."""

    def insert(s: Any) -> str:
        user_id = s.users.upsert("discord", str(ALICE), "alice")
        s.jobs.insert({"id": "handmade01", "user_id": user_id, "platform": "discord"})
        return "handmade01"

    return await store.run(insert)


def _png() -> bytes:

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()
