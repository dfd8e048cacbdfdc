"""Zoom Out, Pan, Make Square, Vary (Region), /blend and 🗑 through the console, on the tiny
model: output sizes, the kept pixels equal to the source, the chain recorded and shown."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

from bot.app import open_app
from bot.core.requests import ReplyKind
from engine.canvas import fit_budget
from tests.helpers import job, last_result, load_image, pixels, press, run_line, tweak

pytestmark = pytest.mark.slow
BUDGET = 64 * 64


async def upscaled(app, line: str = "a castle --ar 2:1 --seed 7"):
    """A grid, then its U1: the upscale every editing button sits under."""
    adapter, sink = await run_line(app, line)
    await press(adapter, "U1", last_result(sink).job_id)
    return adapter, sink, last_result(sink)


def stored(app, path: str) -> np.ndarray:
    return np.asarray(load_image(app.settings.images_dir / path))


def kept_equal(app, job_id: str) -> None:
    """Every image of the job equals its canvas wherever its mask keeps the source."""
    row = job(app, job_id)
    canvas_path, mask_path = json.loads(row["action_json"])["files"]
    canvas, mask = stored(app, canvas_path), stored(app, mask_path)
    kept = mask < 128
    assert kept.any() and (~kept).any()
    for image in pixels(app, job_id):
        assert image.shape[:2] == mask.shape
        assert np.array_equal(image[kept], canvas[kept])
        assert not np.array_equal(image[~kept], canvas[~kept])


async def test_upscale_buttons_then_zoom_out_keeps_budget_aspect_and_source(app) -> None:
    adapter, sink, upscale = await upscaled(app)
    actions = [button.action for button in upscale.buttons]
    for code in ("VR", "ZO2", "ZO15", "ZOC", "SQ", "PL", "PR", "PU", "PD", "DEL"):
        assert code in actions
    source = job(app, upscale.job_id)

    await adapter.submit_line("ZO2")
    result = last_result(sink)
    row = job(app, result.job_id)
    assert (row["action"], row["parent_id"], row["parent_image"]) == (
        "zoom_out",
        upscale.job_id,
        1,
    )
    assert (row["width"], row["height"]) == fit_budget(
        source["width"], source["height"], BUDGET, 8
    )
    assert row["aspect"] == "2:1" and row["image_count"] == 4
    assert [b.action for b in result.buttons][:4] == ["U1", "U2", "U3", "U4"]
    kept_equal(app, result.job_id)

    await adapter.submit_line(f"/show {result.job_id}")
    assert f"Zoom Out 2× of job {upscale.job_id} (image 1)" in sink.replies[-1].text


async def test_pan_square_custom_zoom_and_region(app) -> None:
    adapter, sink, upscale = await upscaled(app)
    source = job(app, upscale.job_id)

    await press(adapter, "PL", upscale.job_id)
    pan = job(app, last_result(sink).job_id)
    assert pan["action"] == "pan" and pan["width"] / pan["height"] > 2  # grew sideways
    assert json.loads(pan["action_json"])["direction"] == "left"
    kept_equal(app, pan["id"])

    await press(adapter, "SQ", upscale.job_id)
    square = job(app, last_result(sink).job_id)
    assert square["width"] == square["height"] and square["action"] == "make_square"
    kept_equal(app, square["id"])

    await adapter.submit_line(f"/zoom {upscale.job_id} 1.5")
    zoom = job(app, last_result(sink).job_id)
    assert json.loads(zoom["action_json"])["factor"] == 1.5
    assert (zoom["width"], zoom["height"]) == fit_budget(
        source["width"], source["height"], BUDGET, 8
    )

    await adapter.submit_line(f"/region {upscale.job_id} 4 5 6")
    region = job(app, last_result(sink).job_id)
    assert region["action"] == "vary_region"
    assert json.loads(region["action_json"])["regions"] == [4, 5, 6]
    kept_equal(app, region["id"])
    mask = stored(app, json.loads(region["action_json"])["files"][1])
    height = mask.shape[0]
    assert mask[: height // 3 - 1].max() == 0 and mask[height // 3 + 1 : 2 * height // 3 - 1].min()

    # 🔄 on an edit redraws the same canvas with new seeds.
    await press(adapter, "reroll", region["id"])
    again = job(app, last_result(sink).job_id)
    assert again["action"] == "vary_region" and again["seed"] != region["seed"]
    assert (
        json.loads(again["spec_json"])["mask_image"]
        == json.loads(region["spec_json"])["mask_image"]
    )


async def test_refusals_say_what_to_do(app) -> None:
    adapter, sink, upscale = await upscaled(app, "a tower --seed 3")
    await press(adapter, "SQ", upscale.job_id)
    assert "already square" in sink.replies[-1].text
    for line, message in (
        (f"/zoom {upscale.job_id} 3", "from 1.0 to 2.0"),
        (f"/region {upscale.job_id} 0", "Pick regions 1 to 9"),
        ("/zoom nosuchjob 1.5", "There is no job"),
        ("/zoom", "Usage: /zoom"),
    ):
        await adapter.submit_line(line)
        assert sink.replies[-1].kind is ReplyKind.ERROR and message in sink.replies[-1].text
    await press(adapter, "ZOC", upscale.job_id)
    assert f"/zoom {upscale.job_id}" in sink.replies[-1].text
    await press(adapter, "VR", upscale.job_id)  # no HTTP front end: the thirds
    assert f"/region {upscale.job_id} 4 5 6" in sink.replies[-1].text


async def test_delete_removes_the_files_and_keeps_the_ledger(app) -> None:
    adapter, sink = await run_line(app, "a lamp --seed 5")
    result = last_result(sink)
    row = job(app, result.job_id)
    files = [app.settings.images_dir / row["grid_path"]]
    files += [
        app.settings.images_dir / r.path
        for r in app.store.run_sync(lambda s: s.jobs.images(result.job_id))
    ]
    assert all(path.exists() for path in files)
    await adapter.submit_line("DEL")
    assert sink.replies[-1].kind is ReplyKind.DELETED
    assert not any(path.exists() for path in files)
    assert job(app, result.job_id)["deleted_at"]
    await adapter.submit_line(f"/show {result.job_id}")
    assert "was deleted" in sink.replies[-1].text
    await press(adapter, "DEL", result.job_id)  # again: said, not done twice
    assert sink.replies[-1].kind is ReplyKind.ERROR
    assert sink.replies[-1].text == f"Job {result.job_id} was deleted."


def png(colour: str, size: tuple[int, int] = (96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def pictures() -> AsyncIterator[str]:
    app = web.Application()

    async def picture(request: web.Request) -> web.Response:
        body = png(request.match_info["colour"])
        return web.Response(body=body, content_type="image/png")

    app.router.add_get("/{colour}.png", picture)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def test_blend_mixes_urls_into_one_grid(settings, pictures, no_network) -> None:
    async with open_app(tweak(settings, "image_prompts", allow_private_urls=True)) as app:
        adapter, sink = await run_line(
            app, f"/blend {pictures}/red.png {pictures}/blue.png --dimensions landscape"
        )
        result = last_result(sink)
        row = job(app, result.job_id)
        assert row["action"] == "blend" and row["aspect"] == "3:2"
        assert row["width"] > row["height"] and row["image_count"] == 4
        spec = json.loads(row["spec_json"])
        assert len(spec["blend_images"]) == 2 and spec["strength"] == 0.7
        await adapter.submit_line(f"/blend {pictures}/red.png")
        assert "2 to 5 images" in sink.replies[-1].text
        six = " ".join(f"{pictures}/green.png" for _ in range(6))
        await adapter.submit_line(f"/blend {six}")
        assert "got 6" in sink.replies[-1].text


async def test_permutations_run_every_combination_in_the_console(app) -> None:
    adapter, sink = await run_line(app, "a {red, green} kite --ar {1:1, 2:1} --seed 3")
    results = [r for r in sink.replies if r.kind is ReplyKind.RESULT]
    rows = [job(app, r.job_id) for r in results]
    assert sorted((r["prompt"], r["aspect"]) for r in rows) == [
        ("a green kite", "1:1"),
        ("a green kite", "2:1"),
        ("a red kite", "1:1"),
        ("a red kite", "2:1"),
    ]
    await adapter.submit_line(r"a \{literal\} {x, y")
    assert "is not closed" in sink.replies[-1].text


async def test_remix_asks_for_the_prompt_and_draws_the_edited_one(app) -> None:
    adapter, sink = await run_line(app, "/settings remix on")
    assert "Remix is on" in sink.replies[-1].text
    await adapter.submit_line("a red barn --seed 9")
    grid = last_result(sink)
    await adapter.submit_line("V2")
    asked = sink.replies[-1]
    assert asked.question is not None and asked.question.command == f"/remix {grid.job_id} V2"
    assert asked.question.prefill.startswith("a red barn")
    assert await app.service.question(asked.question.id) == asked.question
    await adapter.submit_line(f"/remix {grid.job_id} V2 a blue barn at night")
    variation = job(app, last_result(sink).job_id)
    assert (variation["action"], variation["parent_id"], variation["parent_image"]) == (
        "variation",
        grid.job_id,
        2,
    )
    assert variation["prompt"] == "a blue barn at night"
    spec = json.loads(variation["spec_json"])
    assert spec["prompts"][0]["text"] == "a blue barn at night" and spec["init_image"]

    await press(adapter, "U1", grid.job_id)
    upscale = last_result(sink)
    await press(adapter, "ZOC", upscale.job_id)
    zoom_question = sink.replies[-1].question
    assert zoom_question is not None and zoom_question.prefill.endswith("--zoom 2")
    await adapter.submit_line(f"{zoom_question.command} a barn in a field --zoom 1.25")
    zoom = job(app, last_result(sink).job_id)
    assert zoom["prompt"] == "a barn in a field" and zoom["action"] == "zoom_out"
    assert json.loads(zoom["action_json"])["factor"] == 1.25

    await press(adapter, "VR", upscale.job_id)  # the thirds (no HTTP front end), then asked
    assert sink.replies[-1].pick_regions
    await adapter.submit_line(f"/region {upscale.job_id} 6 3")
    region_question = sink.replies[-1].question
    assert region_question is not None
    assert region_question.command == f"/region {upscale.job_id} 3 6 |"
    assert region_question.prefill == "a red barn --seed 9"
    await adapter.submit_line(f"{region_question.command} 2 barns by a lake")
    region = job(app, last_result(sink).job_id)
    assert (region["action"], region["parent_id"]) == ("vary_region", upscale.job_id)
    assert region["prompt"] == "2 barns by a lake"
    assert json.loads(region["action_json"])["regions"] == [3, 6]
    await adapter.submit_line(f"/region {upscale.job_id} 5 a barn in fog")  # prompt given
    assert job(app, last_result(sink).job_id)["prompt"] == "a barn in fog"

    await adapter.submit_line("/settings remix off")
    await adapter.submit_line("/settings")
    assert "Remix is off" in sink.replies[-1].text
