"""The strong blur: the size stays, the colours stay, nothing recognisable does."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from filters.safety_images import strong_blur, withheld_tile


def detailed(size: tuple[int, int]) -> Image.Image:
    """Fine black-on-white detail: stripes, a grid of dots and a ring (stand-ins for features)."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    width, height = size
    for x in range(0, width, 8):
        draw.line((x, 0, x, height // 3), fill=(0, 0, 0), width=3)
    for x in range(4, width, 12):
        for y in range(height // 3, 2 * height // 3, 12):
            draw.ellipse((x, y, x + 5, y + 5), fill=(0, 0, 0))
    draw.ellipse(
        (width // 4, 2 * height // 3, 3 * width // 4, height - 4), outline=(0, 0, 0), width=6
    )
    return image


@pytest.mark.parametrize(
    "size", [(512, 512), (768, 432), (97, 301), (1, 1)], ids=["square", "wide", "odd", "one-pixel"]
)
def test_the_size_is_kept(size: tuple[int, int]) -> None:
    image = detailed(size) if min(size) > 16 else Image.new("RGB", size, (9, 9, 9))
    blurred = strong_blur(image.convert("RGBA"))
    assert blurred.size == size and blurred.mode == "RGB"


def test_fine_detail_is_gone() -> None:
    image = detailed((512, 512))
    blurred = np.asarray(strong_blur(image), dtype=float)
    # Neighbouring pixels differ by at most a couple of levels: no edge, no line survives.
    assert np.abs(np.diff(blurred, axis=0)).max() <= 3
    assert np.abs(np.diff(blurred, axis=1)).max() <= 3
    # Two pictures with different detail but the same layout blur to nearly the same thing.
    shifted = np.asarray(
        strong_blur(detailed((512, 512)).transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    assert np.abs(blurred - shifted).mean() < 6


def test_the_colours_are_kept() -> None:
    image = Image.new("RGB", (512, 512), (200, 30, 30))
    ImageDraw.Draw(image).rectangle((256, 0, 512, 512), fill=(30, 30, 200))
    blurred = np.asarray(strong_blur(image), dtype=int)
    left, right = blurred[256, 20], blurred[256, 490]
    assert left[0] > 150 > left[2] and right[2] > 150 > right[0]


@pytest.mark.parametrize("size", [(512, 512), (768, 432), (3, 3)], ids=["square", "wide", "tiny"])
def test_the_withheld_tile_keeps_the_grid_shape_and_shows_nothing_of_the_image(size) -> None:
    tile = withheld_tile(size)
    assert tile.size == size and tile.mode == "RGB"
    colours = {colour for _, colour in tile.getcolors(maxcolors=size[0] * size[1])}
    assert (48, 48, 52) in colours and len(colours) <= 40  # two colours, and their antialiasing
