"""/settings: users' default /mj params, merged under what they type, kept per platform user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.errors import ParamError
from bot.core.params import normalize_input
from bot.core.requests import Incoming, Origin, SinkResponder
from bot.core.service import MjService
from bot.core.user_settings import canonical_params, merge_params
from engine.worker import local_engine
from storage.images import ImageStore
from storage.store import AsyncStore
from tests.helpers import CaptureSink, SizesOnly


@pytest.mark.parametrize(
    ("typed", "defaults", "merged"),
    [
        ("a fox", "", "a fox"),
        ("a fox", "--ar 16:9 --model tiny", "a fox --ar 16:9 --model tiny"),
        ("a fox --ar 1:1", "--ar 16:9 --model tiny", "a fox --ar 1:1 --model tiny"),
        ("a fox --aspect 1:1", "--ar 16:9", "a fox --aspect 1:1"),
        ("a fox —ar 1:1", "--ar 16:9", "a fox —ar 1:1"),
        ("一只猫 ——ar 1：1", "--ar 16:9 --tile", "一只猫 ——ar 1：1 --tile"),
        ("a fox --no cats", "--no text, watermark --steps 3", "a fox --no cats --steps 3"),
        ("a fox --c 10", "--chaos 50", "a fox --c 10"),
    ],
    ids=[
        "no-defaults",
        "all-added",
        "typed-wins",
        "alias-wins",
        "phone-dash-wins",
        "chinese-input-wins",
        "no-list-is-one-param",
        "short-alias-wins",
    ],
)
def test_merge_params(typed: str, defaults: str, merged: str) -> None:
    # The core normalises a /mj text once, before the defaults are merged in.
    assert merge_params(normalize_input(typed), defaults) == normalize_input(merged)


def test_canonical_params_normalises_and_refuses_what_cannot_be_a_default() -> None:
    assert canonical_params("—aspect １６：９  --Model tiny --tile") == (
        "--ar 16:9 --model tiny --tile"
    )
    with pytest.raises(ParamError, match="parameters only"):
        canonical_params("a fox --ar 16:9")
    for param in ("--seed 1", "--repeat 2", "--iw 1"):
        with pytest.raises(ParamError, match="cannot be a default"):
            canonical_params(param)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[MjService]:
    """The real service and store; the engine never starts, so accepted jobs just wait."""
    settings = Settings.from_env({"MJ_MODEL": "tiny", "MJ_DATA_DIR": str(tmp_path)})
    store = AsyncStore(settings.db_path)
    engine = local_engine(SizesOnly())
    service = MjService(settings.core, store, engine, ImageStore(settings.images_dir))
    yield service
    await service.close()
    engine.stop()
    store.close()


async def test_settings_command_round_trip_and_mj_uses_them(core: MjService) -> None:
    sink = CaptureSink()
    core.register_sink("telegram", sink)
    alice = Origin("telegram", "chat", "1")
    bob = Origin("telegram", "chat", "2")

    async def say(origin: Origin, text: str) -> str:
        await core.handle(Incoming(origin, "user", text), SinkResponder(sink, origin))
        return sink.replies[-1].text

    assert (await say(alice, "/settings")).startswith("No defaults.")
    assert "--ar 16:9 --steps 3" in await say(alice, "/settings ——ar 16：9 --steps 3")
    assert sink.replies[-1].ephemeral
    assert "--steps must be" in await say(alice, "/settings --steps 999")  # nothing saved
    assert (await say(alice, "/settings")).startswith("Your defaults: --ar 16:9 --steps 3.")

    await say(alice, "/mj a fox --steps 2")
    await say(bob, "/mj a fox")  # Bob has no defaults
    rows = {}
    for who in (alice, bob):
        jobs = await core.store.run(lambda s, o=who: s.jobs.of_user(o.platform, o.user_id))
        rows[who.user_id] = jobs[0]
    assert (rows["1"]["aspect"], rows["1"]["steps"]) == ("16:9", 2)
    assert rows["1"]["mj_text"] == "a fox --steps 2 --ar 16:9"  # what was drawn, for rerolls
    assert rows["2"]["aspect"] == "1:1"

    assert "cleared" in await say(alice, "/settings clear")
    assert (await say(alice, "/settings")).startswith("No defaults.")
