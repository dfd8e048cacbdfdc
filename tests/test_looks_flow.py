"""Themes, LoRAs, clip skip, community limits and Upscale 4x through the core (console)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.requests import ReplyKind
from engine.job import spec_from_dict
from engine.lora_files import file_sha256, inspect_lora
from storage.looks import LoraRecord, ThemeRecord
from tests.helpers import job, last_result, load_image, press, run_line, tweak

pytestmark = pytest.mark.slow


def register(app, name: str, path: Path, **extra) -> None:
    info = inspect_lora(path)
    record = LoraRecord(name, str(path), file_sha256(path), info.family, info.layout, info.rank,
                        **extra)  # fmt: skip
    app.store.run_sync(lambda s: s.looks.add_lora(record, "test"))


def spec_of(app, job_id: str):
    return spec_from_dict(json.loads(job(app, job_id)["spec_json"]))


def errors(sink) -> list[str]:
    return [reply.text for reply in sink.replies if reply.kind is ReplyKind.ERROR]


async def test_a_lora_is_drawn_recorded_and_kept_by_u_and_reroll(app, tiny_loras) -> None:
    register(app, "ink", tiny_loras["a"], trigger_words="ink wash", default_weight=0.8)
    adapter, sink = await run_line(app, "a crane <lora:ink> --clip-skip 2 --seed 5")
    grid = last_result(sink)
    row = job(app, grid.job_id)
    spec = spec_of(app, grid.job_id)
    assert row["status"] == "done"
    assert json.loads(row["loras_json"]) == [{"name": "ink", "weight": 0.8}]
    assert row["clip_skip"] == 2 and spec.clip_skip == 2
    assert [(lora.name, lora.weight) for lora in spec.loras] == [("ink", 0.8)]
    assert spec.prompts[0].text == "a crane, ink wash"  # the trigger words were added
    assert "--lora ink:0.8 --clip-skip 2" in grid.text and "--sampler euler_a" in grid.text
    await adapter.submit_line("U1")
    upscale = spec_of(app, last_result(sink).job_id)
    await press(adapter, "reroll", grid.job_id)
    reroll = spec_of(app, last_result(sink).job_id)
    for derived in (upscale, reroll):
        assert (derived.loras, derived.clip_skip) == (spec.loras, 2)


async def test_themes_apply_under_the_users_own_params(app, tiny_loras) -> None:
    register(app, "ink", tiny_loras["a"])
    theme = ThemeRecord("guofeng", "tiny", (("ink", 0.6),), "watercolor", "--steps 3 --cfg 4")
    app.store.run_sync(lambda s: s.looks.add_theme(theme, "test"))
    _, sink = await run_line(app, "a crane --theme guofeng --steps 2 --lora ink:-0.5")
    row = job(app, last_result(sink).job_id)
    assert (row["theme"], row["style"], row["steps"], row["cfg"]) == (
        "guofeng",
        "watercolor",
        2,
        4,
    )
    assert json.loads(row["loras_json"]) == [{"name": "ink", "weight": -0.5}]  # the user's weight


async def test_refusals_cost_nothing(app, tiny_loras, settings) -> None:
    register(app, "ink", tiny_loras["a"])
    app.store.run_sync(lambda s: s.looks.add_theme(ThemeRecord("far", "tiny"), "test"))
    app.store.run_sync(lambda s: s.looks.set_allowed("console:local", "theme", ["far"], "t"))
    cases = {
        "a crane --lora nope": "Unknown LoRA 'nope'. Available: ink",
        "a crane --theme nope": "Unknown theme 'nope'. Themes: far",
        "a crane --lora ink:3": "must be from -2 to 2",
        "a crane <lora:ink:1> --lora ink": "LoRA 'ink' is given twice",
    }
    for line, message in cases.items():
        _, sink = await run_line(app, line)
        assert any(message in text for text in errors(sink)), (line, sink.replies)
    rows = app.store.run_sync(lambda s: s.jobs.of_user("console", "alice"))
    assert rows == []


async def test_a_lora_for_another_family_is_refused_before_the_model_loads(
    settings, tiny_loras
) -> None:
    from bot.app import open_app

    env_models = {"tiny": "tiny", "anime": "someone/anything-v5"}  # sd1 by its name; not here
    changed = tweak(settings, "models", models=env_models)
    async with open_app(changed) as app:
        register(app, "ink", tiny_loras["a"])
        _, sink = await run_line(app, "a crane --model anime --lora ink")
        assert errors(sink) == [
            "LoRA 'ink' is made for the tiny test model models and 'anime' is not one: pick "
            "another --model or leave the LoRA out."
        ]
        assert app.store.run_sync(lambda s: s.jobs.of_user("console", "alice")) == []


async def test_moderators_limit_a_community_and_set_its_default_theme(app) -> None:
    app.store.run_sync(
        lambda s: s.looks.add_theme(ThemeRecord("ink", "tiny", style="watercolor"), "t")
    )
    app.store.run_sync(lambda s: s.looks.add_theme(ThemeRecord("neon", "tiny"), "t"))
    adapter, sink = await run_line(app, "/allow-themes ink")
    await adapter.submit_line("/default-theme ink")
    await adapter.submit_line("/allow-models nope")
    await adapter.submit_line("a crane --theme neon")
    await adapter.submit_line("a crane --seed 1")
    texts = [reply.text for reply in sink.replies]
    assert "Only these themes are allowed here now: ink." in texts
    assert "Prompts here without --theme now use the theme 'ink'." in texts
    assert any("Unknown models: nope. Known: tiny." in text for text in texts)
    assert any("The theme 'neon' is not allowed here. Allowed: ink." in t for t in errors(sink))
    row = job(app, last_result(sink).job_id)
    assert (row["theme"], row["style"]) == ("ink", "watercolor")
    assert row["mj_text"] == "a crane --seed 1 --theme ink --model tiny --style watercolor"
    await adapter.submit_line("/allow-themes all")
    await adapter.submit_line("/default-theme none")
    assert sink.replies[-2].text == "Every theme is allowed here again."


async def test_listings(app, tiny_loras) -> None:
    register(app, "ink", tiny_loras["a"], trigger_words="ink wash", description="水墨")
    theme = ThemeRecord("guofeng", "tiny", description="古风")
    app.store.run_sync(lambda s: s.looks.add_theme(theme, "t"))
    adapter, sink = await run_line(app, "/loras")
    for line in ("/themes", "/models", "/styles"):
        await adapter.submit_line(line)
    loras, themes, models, styles = (reply.text for reply in sink.replies[-4:])
    assert loras.startswith("LoRAs (--lora NAME:0.8 or <lora:NAME:0.8>):\n• ink: 水墨;")
    assert "trigger words: ink wash" in loras
    assert themes == "Themes (--theme NAME):\n• guofeng: 古风"
    assert models == "Models (--model NAME):\n• tiny: the tiny test model, the default"
    assert "• watercolor: watercolor painting of …" in styles


@pytest.fixture
async def gan_app(settings, spandrel_imported):
    from bot.app import open_app

    async with open_app(tweak(settings, "models", gan_upscaler="tiny")) as application:
        yield application


async def test_upscale_4x_under_an_upscale_with_the_gan_upscaler(gan_app) -> None:
    adapter, sink = await run_line(gan_app, "a crane --seed 9")
    await adapter.submit_line("U2")
    upscaled = last_result(sink)
    assert "Upscale 4×" in [b.label for b in upscaled.buttons]
    await adapter.submit_line("U4X")
    four = last_result(sink)
    row = job(gan_app, four.job_id)
    parent = gan_app.store.run_sync(lambda s: s.jobs.images(upscaled.job_id))[0]
    assert (row["action"], row["parent_id"], row["status"]) == (
        "upscale4x",
        upscaled.job_id,
        "done",
    )
    assert load_image(four.image_path).size == (4 * parent.width, 4 * parent.height)
    assert [b.label for b in four.buttons] == ["🗑"]  # nothing upscales or varies it further
    spec = spec_of(gan_app, four.job_id)
    assert spec.gan_upscale and spec.loras == () and spec.steps == 1
    # priced (and queued) by the pixels the network works on: the input's
    assert spec.work_pixels == parent.width * parent.height
