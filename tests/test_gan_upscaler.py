"""Upscale 4x with a GAN model file (MJ_GAN_UPSCALER): tiles, loading, and the backend path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.backend import DiffusersBackend
from engine.errors import JobCancelled, ModelUnavailable
from engine.gan_upscaler import GanUpscaler
from engine.tiles import tiles
from tests.helpers import make_spec


@given(
    width=st.integers(1, 1500),
    height=st.integers(1, 1500),
    tile=st.integers(40, 600),
    overlap=st.integers(0, 16),
)
def test_kept_parts_cover_the_image_once_inside_their_reads(width, height, tile, overlap):
    covered = np.zeros((height, width), np.int8)
    for part in tiles(width, height, tile, overlap):
        x0, y0, x1, y1 = part.read
        kx0, ky0, kx1, ky1 = part.keep
        assert 0 <= x0 <= kx0 < kx1 <= x1 <= width and 0 <= y0 <= ky0 < ky1 <= y1 <= height
        assert x1 - x0 <= tile and y1 - y0 <= tile
        # an inner edge keeps `overlap` pixels of context (image edges need none)
        assert kx0 == 0 or kx0 - x0 >= overlap
        assert kx1 == width or x1 - kx1 >= overlap
        covered[ky0:ky1, kx0:kx1] += 1
    assert (covered == 1).all()


def test_tiles_refuse_an_overlap_that_leaves_nothing() -> None:
    with pytest.raises(ValueError, match="twice the overlap"):
        tiles(100, 100, 32, 16)


@pytest.fixture(scope="module")
def gan_file(tmp_path_factory: pytest.TempPathFactory, spandrel_imported: None) -> Path:
    from engine.tiny_addons import ensure_tiny_gan

    return ensure_tiny_gan(tmp_path_factory.mktemp("gan") / "tiny-esrgan.safetensors")


def start_image(size: tuple[int, int], seed: int = 0):
    from PIL import Image

    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


@pytest.mark.slow
def test_the_tiny_esrgan_loads_from_safetensors_and_pth(gan_file: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    pth = tmp_path / "RealESRGAN_x4plus.pth"
    torch.save(load_file(str(gan_file)), pth)
    for path in (gan_file, pth):
        model = GanUpscaler(str(path), data_dir=tmp_path, device="cpu").load()
        assert (model.architecture.name, model.scale) == ("ESRGAN", 4)


@pytest.mark.slow
def test_tiled_output_matches_one_pass_and_is_four_times_larger(gan_file: Path, tmp_path):
    image = start_image((48, 44))
    job = make_spec(width=192, height=176, init_image="x.png", strength=1.0, gan_upscale=True)
    whole = GanUpscaler(str(gan_file), data_dir=tmp_path, device="cpu", tile=64)
    tiled = GanUpscaler(str(gan_file), data_dir=tmp_path, device="cpu", tile=40)
    steps: list[tuple[int, int]] = []
    one = whole.upscale(whole.load(), image, job)
    many = tiled.upscale(tiled.load(), image, job, on_step=lambda s, t, _: steps.append((s, t)))
    assert one.size == many.size == (192, 176)
    # The tiny ESRGAN sees a few pixels around each one: 16 px of overlap hide every seam.
    assert np.abs(np.asarray(one, np.int16) - np.asarray(many, np.int16)).max() <= 1
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]  # 2 x 2 tiles, progress per tile


@pytest.mark.slow
def test_cancel_stops_between_tiles(gan_file: Path, tmp_path: Path) -> None:
    upscaler = GanUpscaler(str(gan_file), data_dir=tmp_path, device="cpu", tile=40)
    job = make_spec(width=192, height=160, init_image="x.png", strength=1.0, gan_upscale=True)
    with pytest.raises(JobCancelled):
        upscaler.upscale(upscaler.load(), start_image((48, 40)), job, cancel=lambda: True)


@pytest.mark.slow
def test_files_that_are_not_upscalers_are_refused_clearly(tmp_path: Path, spandrel_imported):
    junk = tmp_path / "notes.pth"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailable, match=r"MJ_GAN_UPSCALER='.*notes\.pth'"):
        GanUpscaler(str(junk), data_dir=tmp_path, device="cpu").load()
    with pytest.raises(ModelUnavailable, match="none is configured"):
        GanUpscaler(None, data_dir=tmp_path).load()


@pytest.mark.slow
def test_backend_runs_a_gan_upscale_job_from_the_image_store(tmp_path: Path, spandrel_imported):
    images = tmp_path / "images"
    images.mkdir()
    start_image((32, 24), seed=3).save(images / "start.png")
    backend = DiffusersBackend({"tiny": "tiny"}, data_dir=tmp_path, gan_upscaler="tiny")
    job = make_spec(
        width=128, height=96, steps=1, init_image="start.png", strength=1.0, gan_upscale=True
    )
    [[first, second]] = backend.generate([job])
    assert first.size == (128, 96) and np.array_equal(np.asarray(first), np.asarray(second))
    assert (tmp_path / "models" / "tiny-gan.safetensors").is_file()  # the tiny test model
    assert not backend._loaded  # the drawing model was never loaded for it
