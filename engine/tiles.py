"""Tile geometry for models run on pieces of a large image (pure functions, no torch).

A convolutional upscaler needs memory in proportion to the pixels it sees at once, so a large
image goes through in tiles. Each tile is read with a margin of `overlap` pixels of its
neighbours around it, and only its inner part is kept: near a tile's edge the network lacks
context and draws differently, and keeping the middle of each overlap hides the seam.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]  # left, top, right, bottom; right and bottom exclusive


@dataclass(frozen=True, slots=True)
class Tile:
    read: Box  # the input region given to the model (the kept part plus margins)
    keep: Box  # the input region whose output is kept; the keeps cover the image once


def spans(length: int, tile: int, overlap: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Along one axis: (read start, read end) and (keep start, keep end) per tile."""
    if tile <= 2 * overlap:
        raise ValueError(f"a tile ({tile}) must be larger than twice the overlap ({overlap})")
    if length <= tile:
        return [((0, length), (0, length))]
    stride = tile - 2 * overlap
    count = -(-(length - 2 * overlap) // stride)  # ceil: enough strides to cover the length
    result = []
    for index in range(count):
        keep_start = 0 if index == 0 else overlap + index * stride
        keep_end = length if index == count - 1 else overlap + (index + 1) * stride
        read_start = max(0, min(keep_start - overlap, length - tile))
        read_end = min(length, read_start + tile)
        result.append(((read_start, read_end), (keep_start, keep_end)))
    return result


def tiles(width: int, height: int, tile: int, overlap: int) -> list[Tile]:
    """Tiles of at most tile x tile pixels whose kept parts cover the image exactly once."""
    return [
        Tile((x0, y0, x1, y1), (kx0, ky0, kx1, ky1))
        for (y0, y1), (ky0, ky1) in spans(height, tile, overlap)
        for (x0, x1), (kx0, kx1) in spans(width, tile, overlap)
    ]
