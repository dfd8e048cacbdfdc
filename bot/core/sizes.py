"""Image sizes for an aspect ratio: what a model can draw near its native area. Pure."""

from __future__ import annotations

import math
from fractions import Fraction

from bot.core.errors import ParamError
from engine.profiles import ModelProfile


def size_for_aspect(aw: int, ah: int, profile: ModelProfile) -> tuple[int, int]:
    """Width and height for an aspect ratio, about profile.native² pixels.

    Both sides are multiples of profile.multiple, the ratio within 5% of aw:ah and the area
    within 15% of native²; the smallest sum of both relative errors wins (so 16:9 on SD 1.5 is
    680x384, near native area, rather than an exact but 12% smaller 640x360; SDXL's 2:3 is
    832x1280 rather than an exact but 15% larger 896x1344), then the closest ratio. Exact
    fractions make ties (and so the result) independent of float rounding.

    A grid too coarse for both tolerances (only the tiny test model's: every real profile
    fits every ratio from 1:4 to 4:1) gets the closest ratio within 30% of the area, rather
    than a refusal: the shape is what was asked for.
    """
    if aw <= 0 or ah <= 0:
        raise ParamError(f"An aspect ratio needs sides above 0, got {aw}:{ah}.")
    ratio, area, step = Fraction(aw, ah), profile.native**2, profile.multiple
    # Only heights that can meet both tolerances; for each, the widths either side of ratio*h.
    low = math.isqrt(int(area * 0.85 / (float(ratio) * 1.05))) // step * step
    high = math.isqrt(int(area * 1.15 / (float(ratio) * 0.95))) + step
    fits: list[tuple[Fraction, Fraction, int, int]] = []
    for height in range(max(step, low), high + 1, step):
        below = math.floor(ratio * height / step) * step
        for width in (below, below + step):
            if width <= 0:
                continue
            ratio_error = abs(Fraction(width, height) / ratio - 1)
            area_error = abs(Fraction(width * height, area) - 1)
            if ratio_error <= Fraction(5, 100) and area_error <= Fraction(15, 100):
                fits.append((ratio_error + area_error, ratio_error, width, height))
    if fits:
        _, _, width, height = min(fits)
        return width, height
    nearest = []
    for height in range(step, 4 * profile.native + 1, step):
        width = max(step, round(ratio * height / step) * step)
        area_error = abs(Fraction(width * height, area) - 1)
        if area_error <= Fraction(30, 100):
            nearest.append((abs(Fraction(width, height) / ratio - 1), area_error, width, height))
    if not nearest:
        raise ParamError(f"No {profile.family} image size fits the aspect ratio {aw}:{ah}.")
    _, _, width, height = min(nearest)
    return width, height
