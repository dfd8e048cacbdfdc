"""U1-U4, V1-V4, Vary (Subtle/Strong), Upscale 2x and reroll through the console adapter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.adapters.console import ConsoleAdapter
from bot.core.quota import job_credits
from bot.core.requests import ReplyKind
from engine.job import spec_from_dict
from tests.helpers import CaptureSink, job, last_result, load_image, pixels, press, run_line, tweak

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("index", [1, 2, 3, 4], ids=lambda i: f"U{i}")
async def test_upscale_gives_that_image_at_twice_the_size(app, index: int) -> None:
    adapter, sink = await run_line(app, "a castle --seed 40 --ar 2:1")
    grid = last_result(sink)
    await press(adapter, f"U{index}", grid.job_id)
    result = last_result(sink)
    row = job(app, result.job_id)
    parent_rows = app.store.run_sync(lambda s: s.jobs.images(grid.job_id))
    parent = parent_rows[index - 1]

    assert (row["action"], row["parent_id"], row["parent_image"]) == (
        "upscale",
        grid.job_id,
        index,
    )
    assert row["status"] == "done" and row["image_count"] == 1
    assert (row["width"], row["height"]) == (2 * parent.width, 2 * parent.height) == (192, 96)
    assert load_image(result.image_path).size == (192, 96)
    spec = spec_from_dict(json.loads(row["spec_json"]))
    # the image's own seed, the parent's prompt, a light repaint of that image
    assert spec.seeds == (parent.seed,) and spec.init_image == parent.path
    assert spec.prompts == spec_from_dict(json.loads(job(app, grid.job_id)["spec_json"])).prompts
    assert spec.strength == app.settings.actions.upscale_strength
    assert [b.label for b in result.buttons] == [
        "Vary (Subtle)",
        "Vary (Strong)",
        "Vary (Region)",
        "Upscale 2×",
        "Zoom Out 2×",
        "Zoom Out 1.5×",
        "Custom Zoom",
        "Make Square",  # the 2:1 image is not square
        *("⬅️", "➡️", "⬆️", "⬇️"),
        "🗑",
    ]


async def test_typed_u1_upscales_and_is_reproducible(app) -> None:
    adapter, sink = await run_line(app, "a lighthouse --seed 7")
    grid = last_result(sink).job_id
    await adapter.submit_line("U1")
    first = last_result(sink).job_id
    await press(adapter, "U1", grid)
    second = last_result(sink).job_id
    assert first != second
    assert np.array_equal(pixels(app, first)[0], pixels(app, second)[0])


async def test_variation_gives_four_new_images_of_that_one(app) -> None:
    adapter, sink = await run_line(app, "a fox --seed 11")
    grid = last_result(sink)
    await adapter.submit_line("V2")
    result = last_result(sink)
    row = job(app, result.job_id)
    parent = pixels(app, grid.job_id)[1]
    images = pixels(app, result.job_id)

    assert (row["action"], row["parent_id"], row["parent_image"]) == ("variation", grid.job_id, 2)
    assert len(images) == 4 and all(image.shape == parent.shape for image in images)
    assert all(not np.array_equal(image, parent) for image in images)
    assert all(not np.array_equal(images[i], images[j]) for i in range(4) for j in range(i + 1, 4))
    spec = spec_from_dict(json.loads(row["spec_json"]))
    assert spec.strength == app.settings.actions.vary_strong and 11 not in spec.seeds
    assert [b.label for b in result.buttons][-2:] == ["🔄", "🗑"]  # a grid's own buttons


async def test_vary_subtle_strong_and_upscale_again_after_an_upscale(app) -> None:
    adapter, sink = await run_line(app, "a tower --seed 3")
    await adapter.submit_line("U3")
    upscaled = last_result(sink).job_id
    await adapter.submit_line("VS")
    subtle = job(app, last_result(sink).job_id)
    await press(adapter, "VX", upscaled)
    strong = job(app, last_result(sink).job_id)
    await press(adapter, "U2X", upscaled)
    again = job(app, last_result(sink).job_id)

    for row, strength in (
        (subtle, app.settings.actions.vary_subtle),
        (strong, app.settings.actions.vary_strong),
    ):
        assert (row["width"], row["height"], row["image_count"]) == (128, 128, 4)
        assert spec_from_dict(json.loads(row["spec_json"])).strength == strength
        assert (row["parent_id"], row["parent_image"]) == (upscaled, 1)
    assert (again["action"], again["width"], again["height"]) == ("upscale", 256, 256)


async def test_upscale_stops_at_the_configured_side_and_charges_nothing(
    settings, tiny_model_dir
) -> None:
    from bot.app import open_app

    async with open_app(tweak(settings, "actions", upscale_max_side=128)) as app:
        adapter, sink = await run_line(app, "a bridge --seed 1")
        await adapter.submit_line("U1")
        upscale = last_result(sink)
        assert "U2X" not in [b.action for b in upscale.buttons]  # no third 2x
        debits = app.store.run_sync(lambda s: s.db["ledger"].count)
        await press(adapter, "U2X", upscale.job_id)
        assert sink.replies[-1].kind is ReplyKind.ERROR
        assert "limit of 128 px" in sink.replies[-1].text
        assert app.store.run_sync(lambda s: s.db["ledger"].count) == debits


async def test_actions_are_charged_for_what_they_use(app) -> None:
    adapter, sink = await run_line(app, "a boat --seed 2")
    await adapter.submit_line("U1")
    row = job(app, last_result(sink).job_id)
    spec = spec_from_dict(json.loads(row["spec_json"]))
    [debit] = app.store.run_sync(
        lambda s: [r["delta"] for r in s.db["ledger"].rows_where("job_id = ?", [row["id"]])]
    )
    expected = job_credits(spec, app.engine.profile(spec.model))
    assert debit == pytest.approx(-expected)
    # one image, four times the pixels, only the repainted share of the steps
    assert expected == pytest.approx(4 * spec.run_steps / (4 * spec.steps))


async def test_reroll_of_a_variation_varies_again_with_new_seeds(app) -> None:
    adapter, sink = await run_line(app, "a cat --seed 9")
    await adapter.submit_line("V1")
    variation = job(app, last_result(sink).job_id)
    await adapter.submit_line("R")
    again = job(app, last_result(sink).job_id)
    first, second = (spec_from_dict(json.loads(r["spec_json"])) for r in (variation, again))
    assert again["action"] == "variation" and again["parent_id"] == variation["id"]
    assert second.init_image == first.init_image and second.seeds != first.seeds


async def test_buttons_of_a_job_still_running_are_refused(app) -> None:
    sink = CaptureSink()
    adapter = ConsoleAdapter(app.service, "alice", "Alice", sink=sink)
    await adapter.submit_line("a slow fox --steps 40", wait=False)
    [job_id] = app.service.pending_job_ids()
    await press(adapter, "U1", job_id)
    assert any(r.kind is ReplyKind.ERROR and "no images yet" in r.text for r in sink.replies)
    await app.service.wait(job_id)
