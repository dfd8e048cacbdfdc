"""The Discord adapter end to end: real discord.py objects built from gateway payloads, the
real core on the tiny model, and the bot's HTTP requests answered by a local fake of Discord's
REST API (`tests/fakes/discord_api.py`)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from typer.testing import CliRunner

from bot.__main__ import app as cli
from bot.adapters.discord_adapter import DiscordBot, origin_of, run_discord
from bot.app import open_app
from bot.config import ConfigError, Settings
from bot.core.requests import Reply, ReplyKind
from bot.core.service import MjService
from engine.worker import local_engine
from storage.images import ImageStore
from storage.store import AsyncStore
from tests.fakes.discord_api import (
    APP_ID,
    EPHEMERAL,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    Call,
    FakeDiscord,
    UserRef,
    click,
    command,
    interaction,
)
from tests.test_moderation import SizesOnly

GUILD, CHANNEL = 700000000000000001, 710000000000000001
ALICE, BOB, MOD = 101, 102, 103
WEBHOOK = rf"/webhooks/{APP_ID}"


@pytest.fixture
async def api(no_network: None, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.close()


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

    def command(self, name: str, *, user: int = ALICE, **options: Any) -> dict[str, Any]:
        """Deliver a slash command as the gateway would; returns its payload."""
        permissions = options.pop("permissions", MEMBER_PERMISSIONS)
        size_limit = options.pop("size_limit", 10 * 1024 * 1024)
        roles = options.pop("roles", ())
        payload = interaction(
            self.api,
            2,
            command(name, **options),
            user_id=user,
            channel_id=CHANNEL,
            guild_id=GUILD,
            permissions=permissions,
            roles=roles,
            size_limit=size_limit,
        )
        self.bot._connection.parse_interaction_create(payload)
        return payload

    def click(self, message_id: int, custom_id: str, *, user: int = ALICE) -> dict[str, Any]:
        """Click a button on a message the fake holds (as the bot left it)."""
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
        self.bot._connection.parse_interaction_create(payload)
        return payload

    async def draw(self, prompt: str, **options: Any) -> tuple[str, dict[str, Any], Call]:
        """/mj until the result is delivered: (job id, its row, the acknowledgement call)."""
        payload = self.command("mj", prompt=prompt, **options)
        ack = await self.api.wait_for("PATCH", original(payload), has("accepted"))
        job_id = job_in(ack)
        return job_id, await self.service.wait(job_id), ack


@asynccontextmanager
async def discord_bot(
    settings: Settings, api: FakeDiscord, **sink_options: Any
) -> AsyncIterator[Harness]:
    """A bot process: app, logged-in bot (buttons registered, commands synced), started core."""
    async with open_app(settings) as app:
        bot = DiscordBot(app.service, settings, sink_options=sink_options)
        async with bot:
            await bot.login("test-token")
            await app.service.start()
            yield Harness(api, bot)


@asynccontextmanager
async def queued_bot(settings: Settings, api: FakeDiscord) -> AsyncIterator[Harness]:
    """A bot over a core whose engine never runs: accepted jobs wait in its queue."""
    store = AsyncStore(settings.db_path)
    engine = local_engine(SizesOnly())
    service = MjService(settings, store, engine, ImageStore(settings.images_dir))
    try:
        async with DiscordBot(service, settings) as bot:
            await bot.login("test-token")
            yield Harness(api, bot)
    finally:
        await service.close()
        engine.stop()
        store.close()


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
        [f"mj:V{i}:{job_id}" for i in range(1, 5)],
    ]


async def test_mj_defers_then_edits_one_message_from_ack_to_grid_with_buttons(
    settings: Settings, api: FakeDiscord
) -> None:
    settings = replace(settings, discord_edit_every_s=0.0)  # every step's preview is shown
    api.rate_limit_next("PATCH", r"/webhooks/\d+/[^/]+/messages/\d+")  # first progress: 429
    async with discord_bot(settings, api) as h:
        job_id, row, ack = await h.draw("a red fox in the snow --ar 3:2 --seed 42")
        token = ack.path.split("/")[3]
        images = settings.images_dir

    defer = api.find("POST", r"/interactions/\d+/[^/]+/callback")
    assert [call.payload for call in defer] == [{"type": 5}]  # "thinking…", public
    assert api.calls.index(defer[0]) < api.calls.index(ack)
    message_id = int(ack.response["id"])
    assert row["reply_message_id"] == str(message_id)  # remembered for edits after a restart
    job_edits = api.find("PATCH", rf"{WEBHOOK}/{token}/messages/{message_id}")
    progress, result = job_edits[:-1], job_edits[-1]
    # Live progress with the preview attached, after discord.py sat out a 429.
    assert api.faulted and progress
    assert all("%" in call.payload["content"] for call in progress)  # type: ignore[index]
    assert {name for call in progress for name, _ in call.files} == {"preview.png"}
    # The result: the stored grid as one attachment, the caption, 9 persistent buttons.
    assert [name for name, _ in result.files] == ["grid.png"]
    assert result.files[0][1] == (images / row["grid_path"]).read_bytes()
    assert "a red fox in the snow" in result.payload["content"]  # type: ignore[index]
    assert "--seed 42" in result.payload["content"]  # type: ignore[index]
    assert custom_ids(result) == buttons_for(job_id)
    assert row["delivered_at"] and row["status"] == "done"


async def test_repeat_gives_each_job_its_own_message(settings: Settings, api: FakeDiscord) -> None:
    async with discord_bot(settings, api) as h:
        payload = h.command("mj", prompt="a tree --repeat 2")
        first = await api.wait_for("PATCH", original(payload), has("accepted"))
        second = await api.wait_for("POST", followups(payload), has("accepted"))
        rows = [await h.service.wait(job_in(ack)) for ack in (first, second)]
    messages = [int(ack.response["id"]) for ack in (first, second)]
    assert messages[0] != messages[1]
    for row, message_id in zip(rows, messages, strict=True):
        assert row["reply_message_id"] == str(message_id)
        assert custom_ids_of(api.messages[message_id]) == buttons_for(row["id"])


async def test_progress_edits_keep_the_configured_pace(
    settings: Settings, api: FakeDiscord
) -> None:
    clock = [1000.0]
    async with discord_bot(settings, api, edit_every_s=2.0, monotonic=lambda: clock[0]) as h:
        job_id = await queued_job(h.store)
        payload = interaction(
            api, 2, command("mj", prompt="x"), user_id=ALICE, channel_id=CHANNEL, guild_id=GUILD
        )
        live = discord.Interaction(data=payload, state=h.bot._connection)
        await live.response.defer(thinking=True)
        h.bot.sink.track(live, public=True, fill=True)
        origin = origin_of(live)
        await h.bot.sink.send(origin, Reply(ReplyKind.ACK, f"Job {job_id} accepted", job_id))
        for at, percent in [(0.5, 10), (1.9, 20), (2.1, 30), (3.0, 40), (4.2, 50), (9.0, 60)]:
            clock[0] = 1000.0 + at
            text = f"Job {job_id}: {percent}%"
            progress = Reply(ReplyKind.PROGRESS, text, job_id, image_png=PNG, percent=percent)
            await h.bot.sink.send(origin, progress)
    shown = [call.payload["content"] for call in api.find("PATCH", edits(payload))]
    # At most one edit per 2 s after the acknowledgement; the ones in between are dropped.
    assert shown == [f"Job {job_id}: 30%", f"Job {job_id}: 50%", f"Job {job_id}: 60%"]


async def test_reroll_button_works_after_the_bot_is_rebuilt(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, first, _ = await h.draw("a lighthouse at dusk")
    grid_message = int(first["reply_message_id"])
    # A new process over the same data: new app, new bot, nothing in memory from before.
    async with discord_bot(settings, api) as h:
        payload = h.click(grid_message, f"mj:reroll:{job_id}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        new_id = job_in(ack)
        row = await h.service.wait(new_id)
    assert api.find("POST", callback(payload))[0].payload == {"type": 6}  # nothing shown
    assert (row["action"], row["parent_id"], row["raw_text"]) == (
        "reroll",
        job_id,
        "a lighthouse at dusk",
    )
    assert row["seed"] != first["seed"] and row["status"] == "done"
    assert not ack.response["flags"] & EPHEMERAL  # the new job is for the channel to see
    result = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
    assert custom_ids(result) == buttons_for(new_id)
    assert api.messages[grid_message]["components"]  # the old grid keeps its buttons


async def test_u2_upscales_and_the_result_has_the_upscale_buttons(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, first, _ = await h.draw("a lighthouse at dusk")
        payload = h.click(int(first["reply_message_id"]), f"mj:U2:{job_id}")
        ack = await api.wait_for("POST", followups(payload), has("accepted"))
        new_id = job_in(ack)
        row = await h.service.wait(new_id)
    assert (row["action"], row["parent_id"], row["parent_image"]) == ("upscale", job_id, 2)
    assert (row["width"], row["height"]) == (2 * first["width"], 2 * first["height"])
    result = api.find("PATCH", rf"{followups(payload)}/messages/{ack.response['id']}")[-1]
    assert custom_ids(result) == [
        [f"mj:U2X:{new_id}"],
        [f"mj:VS:{new_id}", f"mj:VX:{new_id}"],
    ]


@pytest.mark.parametrize(
    ("user", "action", "note"),
    [
        (BOB, "reroll", "is not yours"),
        (BOB, "U2", "is not yours"),
        (BOB, "V3", "is not yours"),
    ],
    ids=["reroll-by-another", "upscale-by-another", "variation-by-another"],
)
async def test_refused_buttons_answer_privately(
    settings: Settings, api: FakeDiscord, user: int, action: str, note: str
) -> None:
    async with discord_bot(settings, api) as h:
        job_id, row, _ = await h.draw("a castle")
        payload = h.click(int(row["reply_message_id"]), f"mj:{action}:{job_id}", user=user)
        answer = await api.wait_for("POST", followups(payload))
        jobs = await h.store.run(lambda s: s.user_jobs("discord", str(user)))
    assert note in answer.payload["content"]
    assert answer.payload["flags"] == EPHEMERAL and answer.response["flags"] == EPHEMERAL
    assert jobs == []  # no job was made by the click


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
        jobs = await h.store.run(lambda s: s.user_jobs("discord", str(ALICE)))
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


async def test_a_job_finishing_after_the_token_expired_comes_as_a_channel_message(
    settings: Settings, api: FakeDiscord
) -> None:
    # Fifteen minutes pass as soon as the job is acknowledged.
    def now() -> datetime:
        acked = any(has("accepted")(call) for call in api.find("PATCH", rf"{WEBHOOK}/.*"))
        return discord.utils.utcnow() + (timedelta(minutes=16) if acked else timedelta(0))

    settings = replace(settings, discord_edit_every_s=0.0)
    async with discord_bot(settings, api, now=now) as h:
        job_id, row, ack = await h.draw("a slow queue")
        token = ack.path.split("/")[3]
    late = api.find("POST", rf"/channels/{CHANNEL}/messages")
    assert len(late) == 1
    message = late[0].payload
    assert message["content"].startswith(f"<@{ALICE}> ") and job_id in message["content"]
    assert message["allowed_mentions"] == {"parse": [], "users": [ALICE]}
    assert message["message_reference"]["message_id"] == int(ack.response["id"])
    assert [name for name, _ in late[0].files] == ["grid.png"]
    assert custom_ids(late[0]) == buttons_for(job_id)
    # Nothing more went through the dead token after the acknowledgement.
    assert [call for call in api.calls if token in call.path][-1] is ack
    assert row["delivered_at"]


async def test_a_result_the_last_run_could_not_deliver_comes_after_the_restart(
    settings: Settings, api: FakeDiscord
) -> None:
    api.refuse_next("PATCH", r"/webhooks/\d+/[^/]+/messages/\d+")  # the result's edit: 403
    async with discord_bot(settings, api, edit_every_s=600.0) as h:
        job_id, row, ack = await h.draw("a stormy sea")
    assert row["status"] == "done" and row["delivered_at"] is None
    async with discord_bot(settings, api) as h:  # the restart: no interaction is known
        delivered = await h.store.run(lambda s: s.get_job(job_id))
    [late] = api.find("POST", rf"/channels/{CHANNEL}/messages")
    assert late.payload["content"].startswith(f"<@{ALICE}> ")
    assert late.payload["message_reference"]["message_id"] == int(ack.response["id"])
    assert custom_ids(late) == buttons_for(job_id)
    assert delivered["delivered_at"]


async def test_cancel_shows_on_the_jobs_message_and_leaves_no_thinking_behind(
    settings: Settings, api: FakeDiscord
) -> None:
    async with queued_bot(settings, api) as h:
        mj = h.command("mj", prompt="a quiet street")
        ack = await api.wait_for("PATCH", original(mj), has("accepted"))
        job_id = job_in(ack)
        cancel = h.command("cancel")
        row = await h.service.wait(job_id)
        await api.wait_for("DELETE", original(cancel))
    assert row["status"] == "cancelled"
    [shown] = api.find("PATCH", rf"{followups(mj)}/messages/{ack.response['id']}")
    assert shown.payload["content"] == f"Job {job_id} cancelled."
    assert api.find("POST", callback(cancel))[0].payload == {"type": 5, "data": {"flags": 64}}
    assert not api.find("PATCH", original(cancel))  # the core said nothing to /cancel itself


async def test_a_configured_role_moderates_without_manage_server(
    settings: Settings, api: FakeDiscord
) -> None:
    role = 720000000000000001
    settings = replace(settings, discord_moderator_role_ids=frozenset({role}))
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


async def test_a_grid_over_the_upload_limit_is_re_encoded(
    settings: Settings, api: FakeDiscord
) -> None:
    async with discord_bot(settings, api) as h:
        _, row, ack = await h.draw("a detailed map", size_limit=6000)
        grid = (settings.images_dir / row["grid_path"]).stat().st_size
    result = api.find("PATCH", rf"{WEBHOOK}/{ack.path.split('/')[3]}/messages/\d+")[-1]
    [(name, data)] = result.files
    assert grid > 6000 and name == "grid.jpg" and data[:3] == b"\xff\xd8\xff"
    assert len(data) <= 6000


async def test_an_image_attachment_is_passed_on_as_an_image_prompt(
    settings: Settings, api: FakeDiscord
) -> None:
    image = {
        "id": "555",
        "filename": "cat.png",
        "size": 10,
        "content_type": "image/png",
        # A loopback URL: the core's download guard refuses it without any DNS or network.
        "url": "http://127.0.0.1:9/attachments/1/2/cat.png?ex=1",
        "proxy_url": "https://media.discordapp.net/cat.png",
    }
    text = {**image, "id": "556", "filename": "notes.txt", "content_type": "text/plain"}
    async with discord_bot(settings, api) as h:
        with_image = h.command("mj", prompt="a cat", image=image)
        note = await api.wait_for("POST", followups(with_image))
        with_text = h.command("mj", prompt="a cat", image=text)
        refused = await api.wait_for("POST", callback(with_text))
    # The core got the URL as an image prompt and refused to fetch it from a local address.
    assert "private or local address" in note.payload["content"]
    assert note.response["flags"] == EPHEMERAL
    assert refused.payload["type"] == 4 and refused.payload["data"]["flags"] == EPHEMERAL
    assert "must be an image" in refused.payload["data"]["content"]


async def test_settings_defaults_reach_the_next_mj(settings: Settings, api: FakeDiscord) -> None:
    async with discord_bot(settings, api) as h:
        saved = h.command("settings", params="—ar 16：9 --steps 3")
        reply = await api.wait_for("PATCH", original(saved))
        _, row, _ = await h.draw("a harbour --steps 2")
    assert "--ar 16:9 --steps 3" in reply.payload["content"]
    assert (row["aspect"], row["steps"]) == ("16:9", 2)  # typed --steps wins over the default


@pytest.mark.parametrize(
    ("guild", "route"), [(None, ""), (GUILD, f"/guilds/{GUILD}")], ids=["global", "dev-server"]
)
async def test_commands_are_synced_with_moderation_hidden_by_default(
    settings: Settings, api: FakeDiscord, guild: int | None, route: str
) -> None:
    async with discord_bot(replace(settings, discord_guild_id=guild), api):
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


async def test_run_discord_logs_in_starts_the_core_then_connects(
    settings: Settings, api: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[str] = []

    async def connect(self: DiscordBot, *, reconnect: bool = True) -> None:
        steps.append("connect")  # the gateway is out of this test's reach

    async def started() -> None:
        steps.append("core started after login" if api.find("GET", "/users/@me") else "early")

    monkeypatch.setattr(DiscordBot, "connect", connect)
    async with open_app(settings) as app:
        await run_discord(app, replace(settings, discord_token="t"), on_login=started)
    assert steps == ["core started after login", "connect"]
    assert api.find("PUT", rf"/applications/{APP_ID}/commands")  # synced during login


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
    assert config.discord_token == "secret-token" and "secret-token" not in repr(config)
    assert (config.discord_guild_id, config.discord_edit_every_s) == (123, 0.5)
    assert config.discord_moderator_role_ids == {7, 8}
    assert Settings.from_env({}).discord_edit_every_s == 2.0
    for key, value in [
        ("MJ_DISCORD_GUILD_ID", "1,2"),
        ("MJ_DISCORD_GUILD_ID", "my-server"),
        ("MJ_DISCORD_EDIT_EVERY_S", "-1"),
        ("MJ_DISCORD_MODERATOR_ROLES", "mods"),
    ]:
        with pytest.raises(ConfigError, match=key):
            Settings.from_env({key: value})


async def queued_job(store: AsyncStore) -> str:
    """A job row for tests that drive the sink by hand."""

    def insert(s: Any) -> str:
        user_id = s.upsert_user("discord", str(ALICE), "alice")
        s.insert_job({"id": "handmade01", "user_id": user_id, "platform": "discord"})
        return "handmade01"

    return await store.run(insert)


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


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
