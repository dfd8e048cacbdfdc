"""MJ_DECODER=taesd and TAESD previews through a front end: console -> core -> engine."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.requests import ReplyKind
from tests.helpers import load_image, result_of, run_line

pytestmark = pytest.mark.slow


@pytest.fixture
async def taesd_app(settings: Settings) -> AsyncIterator:
    from bot.app import open_app

    speed = replace(settings.speed, decoder="taesd", previews="taesd")
    async with open_app(replace(settings, speed=speed)) as application:
        yield application


async def test_taesd_draws_previews_and_results_on_the_console(taesd_app) -> None:
    from PIL import Image

    _, sink = await run_line(taesd_app, "/mj a red fox --seed 3")
    result = result_of(sink)
    job = taesd_app.store.run_sync(lambda s: s.jobs.get(result.job_id))
    assert job["status"] == "done"
    previews = [r.image_png for r in sink.replies if r.kind is ReplyKind.PROGRESS and r.image_png]
    assert previews
    with Image.open(io.BytesIO(previews[-1])) as preview:
        # TAESD decodes to the image's own size; the projection would stay at latent size.
        assert preview.size == (2 * job["width"], 2 * job["height"])
    assert load_image(Path(result.image_path)).size == (2 * job["width"], 2 * job["height"])
    decoder = taesd_app.backend.load("tiny").speed.decoder
    assert type(decoder).__name__ == "AutoencoderTiny"
