"""Uploads fit the platforms' limits: PNG when small, JPEG and then smaller when not."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from bot.adapters.uploads import fit_upload


def noise_png(side: int) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_small_png_is_sent_as_it_is() -> None:
    data = noise_png(64)
    upload = fit_upload(data, 10_000_000)
    assert upload.data == data and upload.filename == "grid.png"


def test_large_image_becomes_a_jpeg_within_the_limit() -> None:
    data = noise_png(512)  # ~790 KB of incompressible noise
    upload = fit_upload(data, 200_000)
    assert len(upload.data) <= 200_000 and upload.filename == "grid.jpg"
    with Image.open(io.BytesIO(upload.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (upload.width, upload.height)


def test_an_impossible_budget_shrinks_the_image_until_it_fits() -> None:
    upload = fit_upload(noise_png(512), 20_000)
    assert len(upload.data) <= 20_000 and upload.width < 512
