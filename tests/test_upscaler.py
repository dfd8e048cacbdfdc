"""U with an upscaler model (MJ_UPSCALER): the tiny random x4 upscaler, loaded like a real one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.core.actions import UPSCALER_MIN_STEPS
from bot.core.quota import job_credits
from bot.core.requests import ReplyKind
from engine.job import spec_from_dict
from tests.helpers import TINY_ENV, job, last_result, pixels, press, run_line

pytestmark = pytest.mark.slow


def upscaler_settings(tmp_path: Path, tiny_model_dir: Path, upscaler: str) -> Settings:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    env = {**TINY_ENV, "MJ_DATA_DIR": str(data), "MJ_UPSCALER": upscaler}
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def tiny_upscaler_dir(tmp_path_factory: pytest.TempPathFactory, torch_one_thread: None) -> Path:
    from engine.tiny import ensure_tiny_upscaler

    return ensure_tiny_upscaler(tmp_path_factory.mktemp("models") / "tiny-x4")


@pytest.fixture
async def upscaler_app(tmp_path: Path, tiny_model_dir: Path, tiny_upscaler_dir: Path):
    """MJ_UPSCALER pointing at a saved tiny x4 upscaler folder: the real loading path."""
    from bot.app import open_app

    async with open_app(upscaler_settings(tmp_path, tiny_model_dir, str(tiny_upscaler_dir))) as a:
        yield a


def counting_loads(app) -> list[int]:
    """Count the backend's real upscaler loads (the load itself still runs)."""
    calls: list[int] = []
    real = app.backend.upscaler._load

    def load(ref: str):
        calls.append(1)
        return real(ref)

    app.backend.upscaler._load = load
    return calls


def test_settings_read_mj_upscaler() -> None:
    assert Settings.from_env({}).models.upscaler is None
    assert Settings.from_env({"MJ_UPSCALER": " tiny-x4 "}).models.upscaler == "tiny-x4"


async def test_upscaler_draws_a_2x_image_reproducibly_and_loads_once(upscaler_app) -> None:
    app = upscaler_app
    loads = counting_loads(app)
    adapter, sink = await run_line(app, "a castle --seed 40 --ar 2:1")
    grid = last_result(sink).job_id
    parent = pixels(app, grid)[1]
    before = len(sink.replies)
    await press(adapter, "U2", grid)
    first = last_result(sink).job_id
    progress = [r for r in sink.replies[before:] if r.kind is ReplyKind.PROGRESS and r.percent]
    await press(adapter, "U2", grid)
    second = last_result(sink).job_id

    row = job(app, first)
    assert row["status"] == "done" and (row["width"], row["height"]) == (192, 96)
    image = pixels(app, first)[0]
    assert image.shape == (96, 192, 3) == (2 * parent.shape[0], 2 * parent.shape[1], 3)
    assert np.array_equal(image, pixels(app, second)[0])  # same seed, same pixels
    spec = spec_from_dict(json.loads(row["spec_json"]))
    assert spec.upscaler and spec.strength == 1.0 and spec.steps == UPSCALER_MIN_STEPS
    assert progress and progress[-1].percent == 100
    assert loads == [1]  # the second upscale reused the loaded upscaler
    # charged for every upscaler step at the 2x size
    [debit] = app.store.run_sync(
        lambda s: [r["delta"] for r in s.db["ledger"].rows_where("job_id = ?", [first])]
    )
    assert debit == pytest.approx(-job_credits(spec, app.engine.profile(spec.model)))
    assert spec.run_steps == spec.steps
    # the upscaled image's own buttons still work: Upscale 2x again goes through the upscaler
    await press(adapter, "U2X", first)
    again = job(app, last_result(sink).job_id)
    assert (again["status"], again["width"], again["height"]) == ("done", 384, 192)
    assert loads == [1]


async def test_tiny_x4_is_built_on_first_upscale_and_a_reroll_is_another_image(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    from bot.app import open_app

    settings = upscaler_settings(tmp_path, tiny_model_dir, "tiny-x4")
    async with open_app(settings) as app:
        assert app.backend.upscaler._pipe is None  # lazily: nothing loaded at start
        adapter, sink = await run_line(app, "a bridge --seed 5")
        await adapter.submit_line("U1")
        upscale = last_result(sink).job_id
        await adapter.submit_line("R")
        reroll = last_result(sink).job_id
        assert (settings.data_dir / "models" / "tiny-x4" / "model_index.json").is_file()
        assert type(app.backend.upscaler._pipe).__name__ == "StableDiffusionUpscalePipeline"
        assert job(app, reroll)["action"] == "upscale"
        assert not np.array_equal(pixels(app, upscale)[0], pixels(app, reroll)[0])


async def test_a_bad_upscaler_fails_the_job_readably_and_refunds_it(
    tmp_path: Path, tiny_model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import open_app

    missing = str(tmp_path / "no-such-upscaler")
    async with open_app(upscaler_settings(tmp_path, tiny_model_dir, missing)) as app:
        adapter, sink = await run_line(app, "a boat --seed 2")
        await adapter.submit_line("U1")
        row = job(app, app.store.run_sync(lambda s: _last_job_id(s)))
        assert row["action"] == "upscale" and row["status"] == "failed"
        # Users read that the model is unavailable and who can help; the operator reads the
        # setting and the path in the log (issue 14: no server paths, no operator steps).
        [failure] = [r for r in sink.replies if r.kind is ReplyKind.ERROR]
        for shown in (row["error"], failure.text):
            assert "not available" in shown and "owner" in shown
            assert "MJ_UPSCALER" not in shown and str(tmp_path) not in shown
        assert "MJ_UPSCALER" in caplog.text and missing in caplog.text  # with tracebacks
        deltas = app.store.run_sync(
            lambda s: [r["delta"] for r in s.db["ledger"].rows_where("job_id = ?", [row["id"]])]
        )
        assert len(deltas) == 2 and sum(deltas) == pytest.approx(0)  # debited, then refunded
        assert app.backend.upscaler._pipe is None  # no silent fallback to the hires fix


def _last_job_id(store) -> str:
    [row] = store.db.query("select id from jobs order by rowid desc limit 1")
    return row["id"]


def test_backend_upscaler_reports_every_step_and_stops_when_cancelled(
    tmp_path: Path, tiny_upscaler_dir: Path
) -> None:
    from dataclasses import replace

    from PIL import Image

    from engine.backend import DiffusersBackend
    from engine.errors import JobCancelled
    from tests.helpers import make_spec

    Image.new("RGB", (32, 32), (200, 40, 40)).save(tmp_path / "start.png")
    backend = DiffusersBackend(
        {"tiny": "tiny"}, data_dir=tmp_path, allow_download=False, upscaler=str(tiny_upscaler_dir)
    )
    spec = make_spec(seeds=(3,), init_image="start.png", strength=1.0, steps=6, upscaler=True)
    spec = replace(spec, width=64, height=64)
    backend.images_dir = tmp_path
    steps: list[tuple[int, int]] = []
    [[image]] = backend.generate([spec], on_step=lambda s, t, _l: steps.append((s, t)))
    assert image.size == (64, 64) and steps == [(s, 6) for s in range(1, 7)]
    with pytest.raises(JobCancelled):
        backend.generate([spec], cancel=lambda: True)
