"""Banned terms through the core: blocking, the audit table, scopes, permissions, pauses, CLI.

Most tests run the real service and store with an engine that is never started (accepted jobs
wait in its queue), so they need no model and no torch; the last one draws on the tiny model.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.__main__ import app as cli
from bot.adapters.console import ConsoleAdapter
from bot.config import ConfigError, Settings
from bot.core.commands import COMMANDS, Access
from bot.core.moderation import paused_until, scope_for
from bot.core.requests import Incoming, Origin, Reply, ReplyKind, SinkResponder
from bot.core.service import MjService
from bot.core.term_commands import PAGE_SIZE
from engine.dispatcher import Engine
from engine.worker import local_engine
from storage.images import ImageStore
from storage.store import AsyncStore
from tests.helpers import CaptureSink, SizesOnly

OWNER = "telegram:1"


@pytest.fixture
async def make_core(tmp_path: Path) -> AsyncIterator[Callable[..., MjService]]:
    services: list[tuple[MjService, Engine, AsyncStore]] = []

    def make(**env: str) -> MjService:
        data = tmp_path / f"data{len(services)}"
        settings = Settings.from_env(
            {"MJ_MODEL": "tiny", "MJ_DATA_DIR": str(data), "MJ_OWNER_IDS": OWNER, **env}
        )
        store = AsyncStore(settings.db_path)
        engine = local_engine(SizesOnly())  # never started: accepted jobs wait in its queue
        service = MjService(settings.core, store, engine, ImageStore(settings.images_dir))
        services.append((service, engine, store))
        return service

    yield make
    for service, engine, store in services:
        await service.close()
        engine.stop()
        store.close()


@pytest.fixture
def core(make_core: Callable[..., MjService]) -> MjService:
    return make_core()


class Chat:
    """Users of several platforms, chats and roles, talking to one core."""

    def __init__(self, service: MjService) -> None:
        self.service = service
        self.sink = CaptureSink()
        for platform in ("telegram", "discord", "console"):
            service.register_sink(platform, self.sink)

    async def say(
        self,
        text: str,
        *,
        platform: str = "telegram",
        chat: str = "-100",
        user: str = "7",
        moderator: bool = False,
        guild: str | None = None,
    ) -> list[Reply]:
        """The replies that `handle` sent before returning."""
        before = len(self.sink.replies)
        origin = Origin(platform, chat, user, "m1", guild)
        incoming = Incoming(origin, f"user{user}", text, None, moderator)
        await self.service.handle(incoming, SinkResponder(self.sink, origin))
        return self.sink.replies[before:]

    async def draws(self, text: str, **who: Any) -> bool:
        """True if the prompt was accepted: a new job row, and its acknowledgement (which the
        engine's first event brings a few loop iterations later)."""
        before, seen = jobs(self.service), len(self.sink.replies)
        await self.say(text, **who)
        for _ in range(100):
            replies = [reply.kind for reply in self.sink.replies[seen:]]
            if replies:
                break
            await asyncio.sleep(0)
        return jobs(self.service) == before + 1 and replies == [ReplyKind.ACK]


def jobs(service: MjService) -> int:
    return service.store.run_sync(lambda s: s.db["jobs"].count)


def blocks(service: MjService) -> list[dict[str, Any]]:
    return service.store.run_sync(lambda s: list(s.db["filter_blocks"].rows))


def refused(replies: list[Reply], *words: str) -> bool:
    [reply] = replies
    private_error = reply.kind is ReplyKind.ERROR and reply.ephemeral
    return private_error and all(word in reply.text for word in words)


async def test_blocked_prompt_is_a_private_error_naming_the_term_and_stores_no_job(
    core: MjService,
) -> None:
    sink = CaptureSink()
    adapter = ConsoleAdapter(core, "alice", "Alice", sink=sink)
    await adapter.submit_line("/mj a N.u.d.e woman on a beach --ar 3:2")
    [reply] = sink.replies
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral
    assert "“nude”" in reply.text and "cost you nothing" in reply.text
    assert jobs(core) == 0
    assert core.store.run_sync(lambda s: s.db["users"].count) == 0  # not even a user row
    [row] = blocks(core)
    assert (row["platform"], row["user_id"], row["user_name"]) == ("console", "alice", "Alice")
    assert row["scope"] == "console:local" and row["chat_id"] == "local"
    assert row["prompt"] == "a N.u.d.e woman on a beach --ar 3:2"
    assert json.loads(row["terms_json"]) == ["nude"]
    assert datetime.fromisoformat(row["created_at"]) > datetime.now(UTC) - timedelta(minutes=1)


async def test_no_values_are_not_checked_but_every_part_is_whatever_its_weight(
    core: MjService,
) -> None:
    chat = Chat(core)
    assert await chat.draws("/mj a marble statue --no nude, nsfw")
    assert refused(await chat.say("/mj a marble statue:: nude::0.5"), "nude")
    assert refused(await chat.say("/mj child:: porn"), "child porn")  # split across parts
    # Stored and shown in the caption although they draw nothing (issue 14: `bad::0`).
    assert refused(await chat.say("/mj a marble statue:: nude::0"), "nude")
    assert refused(await chat.say("/mj a marble statue:: nude::-0.01"), "nude")
    assert refused(await chat.say("/mj 一座大理石雕像:: 裸体::0"), "裸体")
    assert jobs(core) == 1


async def test_a_community_ban_stays_in_that_community(core: MjService) -> None:
    chat = Chat(core)
    [reply] = await chat.say("/ban-term lighthouse, red fox", moderator=True)
    assert reply.kind is ReplyKind.TEXT and reply.ephemeral
    assert "lighthouse" in reply.text and "red fox" in reply.text
    assert refused(await chat.say("/mj a Lighthouse at dusk"), "lighthouse")
    assert refused(await chat.say("/mj a r.e.d f.o.x"), "red fox")
    assert await chat.draws("/mj a lighthouse at dusk", chat="-200")
    assert await chat.draws("/mj a lighthouse at dusk", platform="discord")
    assert [row["scope"] for row in blocks(core)] == ["telegram:-100"] * 2


async def test_a_discord_guild_is_one_scope_across_its_channels(core: MjService) -> None:
    chat = Chat(core)
    await chat.say("/ban-term castle", platform="discord", chat="c1", moderator=True, guild="g1")
    assert refused(await chat.say("/mj a castle", platform="discord", chat="c2", guild="g1"))
    assert await chat.draws("/mj a castle", platform="discord", chat="c2", guild="g2")
    assert scope_for(Origin("discord", "c2", "u", None, "g1")) == "discord:g1"
    assert scope_for(Origin("discord", "dm", "u")) == "discord:dm"  # a DM has no guild
    assert scope_for(Origin("telegram", "-100", "u")) == "telegram:-100"


async def test_allow_term_lets_a_default_through_in_one_community_only(core: MjService) -> None:
    chat = Chat(core)
    assert refused(await chat.say("/mj a nude marble statue"), "nude")
    [reply] = await chat.say("/allow-term nude", moderator=True)
    assert "Allowed here: nude" in reply.text
    assert await chat.draws("/mj a nude marble statue")
    assert refused(await chat.say("/mj a nude marble statue", chat="-200"), "nude")
    await chat.say("/ban-term nude", moderator=True)  # banning again withdraws the allowance
    assert refused(await chat.say("/mj a nude marble statue"), "nude")


async def test_non_moderators_are_refused_and_nothing_changes(core: MjService) -> None:
    chat = Chat(core)
    for command in ("/ban-term castle", "/unban-term nude", "/allow-term nude", "/banned-terms"):
        assert refused(await chat.say(command), "moderators")
    assert refused(await chat.say("/ban-term castle --global", moderator=True), "owner")
    assert refused(
        await chat.say("/ban-term castle --scope telegram:-200", moderator=True), "owner"
    )
    assert await chat.draws("/mj a castle")
    assert refused(await chat.say("/mj a nude statue"), "nude")
    tables = ("banned_terms", "allowed_terms", "term_list_revisions")
    assert core.store.run_sync(lambda s: [s.db[t].count for t in tables]) == [0, 0, 0]


async def test_the_owner_manages_the_global_list_and_any_community(core: MjService) -> None:
    chat = Chat(core)
    owner = {"platform": "telegram", "user": "1", "chat": "-900"}
    await chat.say("/ban-term castle --global", **owner)
    await chat.say("/ban-term tower --scope telegram:-200", **owner)
    assert refused(await chat.say("/mj a castle"), "castle")
    assert refused(await chat.say("/mj a castle", platform="discord"), "castle")
    assert await chat.draws("/mj a tower")
    assert refused(await chat.say("/mj a tower", chat="-200"), "tower")
    [reply] = await chat.say("/unban-term castle --global", **owner)
    assert "No longer banned globally: castle" in reply.text
    assert await chat.draws("/mj a castle")


async def test_console_is_the_owner(core: MjService) -> None:
    sink = CaptureSink()
    adapter = ConsoleAdapter(core, "alice", "Alice", sink=sink)
    await adapter.submit_line("/ban_term@MjBot castle --global")  # Telegram's spelling works
    assert "Banned globally: castle" in sink.replies[-1].text
    assert refused(await Chat(core).say("/mj a castle"), "castle")


async def test_listing_pages_and_unban_hints(core: MjService) -> None:
    chat = Chat(core)
    words = [f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(PAGE_SIZE + 5)]
    await chat.say("/ban-term " + ", ".join(words), moderator=True)
    [first] = await chat.say("/banned-terms", moderator=True)
    assert f"{PAGE_SIZE + 5} terms, page 1/2" in first.text
    assert words[0] in first.text and words[PAGE_SIZE] not in first.text
    [second] = await chat.say("/banned_terms 2", moderator=True)
    assert "page 2/2" in second.text and words[PAGE_SIZE] in second.text
    [again] = await chat.say(f"/ban-term {words[0]}", moderator=True)
    assert again.text == f"Already banned: {words[0]}."
    [reply] = await chat.say(f"/unban-term {words[0]}, nude", moderator=True)
    assert f"No longer banned here: {words[0]}." in reply.text
    assert "Not on this list: nude" in reply.text and "/allow-term" in reply.text
    assert refused(await chat.say("/ban-term f*ck", moderator=True), "only start or end")


async def test_repeated_blocks_pause_a_user_when_configured(make_core) -> None:
    core = make_core(MJ_FILTER_PAUSE_AFTER="2", MJ_FILTER_PAUSE_MIN="15")
    chat = Chat(core)
    assert refused(await chat.say("/mj nude"), "nude")
    assert await chat.draws("/mj a castle")  # one block: no pause yet
    assert refused(await chat.say("/mj porn"), "paused for 15 minutes")
    assert refused(await chat.say("/mj a castle"), "paused")  # even an innocent prompt
    assert await chat.draws("/mj a castle", user="8")
    assert len(blocks(core)) == 2  # refusals while paused are not blocks


def test_paused_until_counts_blocks_inside_the_window() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    at = [t0, t0 + timedelta(minutes=20), t0 + timedelta(minutes=25)]
    window, pause = timedelta(minutes=10), timedelta(minutes=30)
    assert paused_until(at, 2, window, pause) == at[2] + pause
    assert paused_until(at[:2], 2, window, pause) is None
    assert paused_until(at, 4, window, pause) is None
    assert paused_until(at, 0, window, pause) is None


def test_owner_ids_and_pause_settings_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {"MJ_OWNER_IDS": " Discord:123 , telegram:-5,", "MJ_FILTER_PAUSE_AFTER": "3"}
    )
    assert settings.owners == {"discord:123", "telegram:-5"}
    assert (settings.moderation.pause_after, settings.moderation.pause_min) == (3, 30)
    assert Settings.from_env({}).moderation.pause_after == 0
    assert Settings.from_env({}).moderation.filter_defaults
    with pytest.raises(ConfigError, match="MJ_OWNER_IDS"):
        Settings.from_env({"MJ_OWNER_IDS": "discord"})


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {"MJ_DATA_DIR": str(tmp_path / "data"), "MJ_MODEL": "tiny"}


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["filter", *args], env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_cli_check_prints_the_contract(cli_env: dict[str, str]) -> None:
    out = json.loads(run(cli_env, "check", "a N.S.F.W p0rn image"))
    assert out == {
        "blocked": True,
        "terms": ["nsfw", "porn*"],
        "normalized": "a nsfw porn image",
    }
    assert json.loads(run(cli_env, "check", "a lighthouse"))["blocked"] is False


def test_cli_check_with_a_terms_file_needs_no_database(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("# test list\nlighthouse\n!lighthouse keeper\n", encoding="utf-8")
    out = json.loads(run(cli_env, "check", "a l1ghthouse", "--terms-file", str(terms)))
    assert out["terms"] == ["lighthouse"]
    assert json.loads(run(cli_env, "check", "nude", "--terms-file", str(terms)))["terms"] == []
    check = ("check", "the lighthouse keeper", "--terms-file", str(terms))
    assert json.loads(run(cli_env, *check))["blocked"] is False
    assert not Path(cli_env["MJ_DATA_DIR"]).exists()
    terms.write_text("f*ck\n", encoding="utf-8")
    assert "line 1" in run(cli_env, "check", "x", "--terms-file", str(terms), code=2)


def test_cli_manages_stored_lists(cli_env: dict[str, str], tmp_path: Path) -> None:
    scope = ("--scope", "discord:42")
    run(cli_env, "add", "castle", "nud*", "!nude beach", *scope)
    assert run(cli_env, "list", *scope) == "castle\nnud*\n!nude beach\n"
    assert run(cli_env, "list") == ""  # the global list holds no additions
    assert json.loads(run(cli_env, "check", "a castle", *scope))["terms"] == ["castle"]
    assert json.loads(run(cli_env, "check", "a castle"))["blocked"] is False
    assert json.loads(run(cli_env, "check", "a nude beach", *scope))["blocked"] is False
    exported = tmp_path / "out.txt"
    run(cli_env, "export", *scope, "--out", str(exported))
    run(cli_env, "import", str(exported), "--scope", "telegram:-5")
    assert run(cli_env, "list", "--scope", "telegram:-5") == "castle\nnud*\n!nude beach\n"
    run(cli_env, "remove", "castle", "!nude beach", *scope)
    assert run(cli_env, "list", *scope) == "nud*\n"
    assert "Not on the list: castle" in run(cli_env, "remove", "castle", *scope, code=2)
    run(cli_env, "import", str(exported), "--scope", "telegram:-5", "--replace")
    assert run(cli_env, "list", "--scope", "telegram:-5") == "castle\nnud*\n!nude beach\n"
    assert "裸体" in run(cli_env, "list", "--defaults")
    assert "--scope" in run(cli_env, "list", "--scope", "nonsense", code=2)


@pytest.mark.slow
async def test_a_reroll_is_checked_again(app) -> None:
    sink = CaptureSink()
    adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    await adapter.submit_line("a castle --seed 3")
    assert sink.replies[-1].kind is ReplyKind.RESULT
    await adapter.submit_line("/ban-term castle")
    await adapter.submit_line("R")
    reply = sink.replies[-1]
    assert reply.kind is ReplyKind.ERROR and "“castle”" in reply.text
    assert app.store.run_sync(lambda s: s.db["jobs"].count) == 1


async def test_chinese_prompts_are_checked_as_written_and_as_translated(app) -> None:
    sink = CaptureSink()
    adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    await adapter.submit_line("/ban-term fox, 雪地")
    await adapter.submit_line("/mj 一只狐狸 --ar 3:2")  # "a fox" once translated
    assert sink.replies[-1].kind is ReplyKind.ERROR and "fox" in sink.replies[-1].text
    await adapter.submit_line("/mj 一只猫在雪地里")  # the Chinese term itself
    assert sink.replies[-1].kind is ReplyKind.ERROR and "雪地" in sink.replies[-1].text
    assert jobs(app.service) == 0


@pytest.mark.parametrize(
    "command",
    [c for c in COMMANDS if c.access is not Access.EVERYONE],
    ids=lambda command: command.name,
)
async def test_the_registry_says_who_may_use_each_command(core: MjService, command) -> None:
    chat = Chat(core)
    [refusal] = await chat.say(f"/{command.name} 7 1")
    assert refusal.kind is ReplyKind.ERROR and refusal.ephemeral
    assert refusal.message == command.refused()
    if command.access is Access.OWNER:
        [refusal] = await chat.say(f"/{command.name} 7 pro", moderator=True)
        assert refusal.message == command.refused()
