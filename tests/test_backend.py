"""The diffusers backend on the tiny pipeline: sources, samplers and every request knob."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from engine.backend import DiffusersBackend
from engine.errors import GenerationFailed, JobCancelled, ModelUnavailable
from engine.job import JobSpec, PromptPart
from engine.models import classify, folder_profile
from engine.profiles import PROFILES, SAMPLERS
from tests.helpers import make_spec

pytestmark = pytest.mark.slow


spec = make_spec


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> DiffusersBackend:
    data = tmp_path_factory.mktemp("data")
    (data / "models").mkdir()
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    return DiffusersBackend({"tiny": "tiny"}, data_dir=data, allow_download=False)


def pixels(backend: DiffusersBackend, job: JobSpec, **kwargs) -> np.ndarray:
    [images] = backend.generate([job], **kwargs)
    return np.stack([np.asarray(image, dtype=np.int16) for image in images])


def test_classify_sources(tmp_path: Path) -> None:
    assert classify("t", "tiny").kind == "tiny"
    assert classify("h", "stabilityai/sd-turbo").kind == "hub"
    with pytest.raises(ModelUnavailable, match=r"does not exist"):
        classify("f", str(tmp_path / "missing.safetensors"))
    with pytest.raises(ModelUnavailable, match=r"model_index\.json"):
        classify("d", str(tmp_path))
    with pytest.raises(ModelUnavailable, match=r"neither"):
        classify("x", "not a model")


def test_folder_profile_reads_the_folder(tiny_model_dir: Path, tmp_path: Path) -> None:
    assert folder_profile(tiny_model_dir, "whatever") is PROFILES["tiny"]
    xl = tmp_path / "my-model"
    xl.mkdir()
    (xl / "model_index.json").write_text('{"_class_name": "StableDiffusionXLPipeline"}')
    assert folder_profile(xl, str(xl)).family == "sdxl"


def test_missing_hub_model_fails_fast_with_the_fix(tmp_path: Path, monkeypatch, no_network):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    backend = DiffusersBackend({"m": "someone/not-here"}, data_dir=tmp_path)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as error:
        backend.load("m")
    assert time.monotonic() - started < 5
    assert "mjbot models pull someone/not-here" in str(error.value)
    assert "MJ_MODEL" in str(error.value)


def test_hub_id_loads_from_the_local_cache(tmp_path: Path, tiny_model_dir: Path, monkeypatch):
    """The hub path for real, offline: a snapshot laid out the way huggingface_hub caches it."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    repo = cache / "models--someone--tiny-sd"
    commit = "0" * 40
    shutil.copytree(tiny_model_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    backend = DiffusersBackend({"tiny-sd": "someone/tiny-sd"}, data_dir=tmp_path)
    [images] = backend.generate([spec(model="tiny-sd", seeds=(3,))])
    assert images[0].size == (64, 64)
    assert backend.profile("tiny-sd") is PROFILES["tiny"]


def test_local_folder_source_matches_tiny(tmp_path: Path, tiny_model_dir: Path, backend) -> None:
    folder = DiffusersBackend({"f": str(tiny_model_dir)}, data_dir=tmp_path)
    assert np.array_equal(pixels(folder, spec(model="f")), pixels(backend, spec()))


def test_seeds_are_per_image_and_reproducible(backend) -> None:
    pair = pixels(backend, spec(seeds=(5, 6)))
    alone = pixels(backend, spec(seeds=(6,)))
    assert np.array_equal(pair, pixels(backend, spec(seeds=(5, 6))))
    assert np.abs(pair[1] - alone[0]).max() <= 1  # batch numerics may differ by rounding
    assert not np.array_equal(pair[0], pair[1])


@pytest.mark.parametrize("sampler", sorted(SAMPLERS), ids=str)
def test_every_sampler_draws(backend, sampler: str) -> None:
    steps: list[int] = []
    image = pixels(
        backend,
        spec(sampler=sampler, seeds=(1,)),
        on_step=lambda step, total, _: steps.append(step),
    )
    assert image.shape == (1, 64, 64, 3)
    assert steps and steps == sorted(steps)


def test_weights_negative_weights_and_chaos_change_the_image(backend) -> None:
    plain = pixels(backend, spec(prompts=(PromptPart("cat", 1.0),)))
    weighted = pixels(backend, spec(prompts=(PromptPart("cat", 2.0), PromptPart("dog", 1.0))))
    pushed = pixels(backend, spec(prompts=(PromptPart("cat", 1.0), PromptPart("dog", -0.5))))
    chaos = pixels(backend, spec(prompts=(PromptPart("cat", 1.0),), chaos=80))
    for other in (weighted, pushed, chaos):
        assert not np.array_equal(plain, other)
    assert np.array_equal(
        chaos, pixels(backend, spec(prompts=(PromptPart("cat", 1.0),), chaos=80))
    )
    # A single part of weight 1 through the embedding path equals the plain string path.
    same = pixels(backend, spec(prompts=(PromptPart("cat", 1.0), PromptPart("cat", 1.0))))
    assert np.abs(same - plain).max() <= 1


def test_stop_ends_early_and_tile_wraps(backend) -> None:
    seen: list[tuple[int, int]] = []
    stopped = pixels(
        backend, spec(steps=10, stop=30), on_step=lambda step, total, _: seen.append((step, total))
    )
    assert seen[-1] == (math.ceil(10 * 0.3), 3) and len(seen) == 3
    assert not np.array_equal(stopped, pixels(backend, spec(steps=10)))
    tiled = pixels(backend, spec(tile=True))
    assert not np.array_equal(tiled, pixels(backend, spec()))
    # Circular padding is undone after the job.
    unet = backend.load("tiny").pipe.unet
    assert {m.padding_mode for m in unet.modules() if hasattr(m, "padding_mode")} == {"zeros"}


def test_cancel_interrupts_within_a_step(backend) -> None:
    steps: list[int] = []

    def on_step(step: int, total: int, _latents) -> None:
        steps.append(step)

    with pytest.raises(JobCancelled):
        backend.generate([spec(steps=20)], on_step, cancel=lambda: len(steps) >= 2)
    assert steps == [1, 2]


def test_nan_output_is_a_readable_failure(tmp_path: Path, tiny_model_dir: Path) -> None:
    broken = DiffusersBackend({"tiny": str(tiny_model_dir)}, data_dir=tmp_path)
    vae = broken.load("tiny").pipe.vae
    vae.decoder.conv_out.bias.data.fill_(float("nan"))
    with pytest.raises(GenerationFailed, match="NaN"):
        broken.generate([spec()])


def test_batch_of_jobs_splits_back(backend) -> None:
    a, b = (
        spec(job_id="a", seeds=(1, 2)),
        spec(job_id="b", seeds=(3,), prompts=(PromptPart("x", 1),)),
    )
    first, second = backend.generate([a, b])
    assert (len(first), len(second)) == (2, 1)
    with pytest.raises(ValueError, match="share"):
        backend.generate([a, spec(job_id="c", steps=5)])
