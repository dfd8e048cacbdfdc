"""Compose a job's images into Midjourney's 2x2 grid (or a row for fewer images)."""

from __future__ import annotations

from PIL import Image


def make_grid(images: list[Image.Image], gap: int = 0) -> Image.Image:
    """2x2 for four images; 1x2 for two; a single image is returned as it is."""
    if not images:
        raise ValueError("no images to put in a grid")
    if len(images) == 1:
        return images[0]
    width, height = images[0].size
    columns = 2
    rows = (len(images) + columns - 1) // columns
    grid = Image.new(
        "RGB", (columns * width + gap * (columns - 1), rows * height + gap * (rows - 1))
    )
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        grid.paste(image, (column * (width + gap), row * (height + gap)))
    return grid
