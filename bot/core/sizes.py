"""Image sizes for an aspect ratio on a model's native area, and an image's aspect ratio as
--ar takes it (pure functions)."""

from __future__ import annotations

import math
from fractions import Fraction

from bot.core.errors import ParamError
from engine.profiles import ModelProfile
from i18n import t

MAX_RATIO = 4  # Midjourney-style limit, and SD falls apart beyond it
# An image's own aspect as --ar: the closest well-known ratio within 1% (1366x768 is 16:9, not
# 683:384), else the simplest ratio within 1% with sides up to 32, else the closest such ratio.
_ASPECT_TOLERANCE = Fraction(1, 100)
_ASPECT_MAX_SIDE = 32
_COMMON_ASPECTS = ((1, 1), (5, 4), (4, 3), (3, 2), (8, 5), (16, 9), (2, 1), (7, 3), (3, 1), (4, 1))


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
        raise ParamError(
            t("An aspect ratio needs sides above 0, got {ratio}.", ratio=f"{aw}:{ah}")
        )
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
        raise ParamError(
            t(
                "No {family} image size fits the aspect ratio {ratio}.",
                family=profile.family,
                ratio=f"{aw}:{ah}",
            )
        )
    _, _, width, height = min(nearest)
    return width, height


def aspect_for_size(width: int, height: int) -> str:
    """An image's aspect ratio as `--ar` takes it: "W:H", reduced, near the image's own (see
    _COMMON_ASPECTS) and within 1:4..4:1 (a more extreme image gets the extreme)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"an image has sides above 0, got {width}x{height}")
    ratio = min(max(Fraction(width, height), Fraction(1, MAX_RATIO)), Fraction(MAX_RATIO))

    def error(pair: tuple[int, int]) -> Fraction:
        return abs(Fraction(*pair) / ratio - 1)

    common = [*_COMMON_ASPECTS, *((h, w) for w, h in _COMMON_ASPECTS)]
    close = [pair for pair in common if error(pair) <= _ASPECT_TOLERANCE]
    if close:
        w, h = min(close, key=error)
    else:
        sides = range(1, _ASPECT_MAX_SIDE + 1)
        pairs = {(max(1, round(ratio * h)), h) for h in sides}
        pairs |= {(w, max(1, round(w / ratio))) for w in sides}
        pairs = {pair for pair in pairs if max(pair) <= _ASPECT_MAX_SIDE}
        within = [pair for pair in pairs if error(pair) <= _ASPECT_TOLERANCE]
        w, h = min(within, key=lambda p: (max(p), error(p))) if within else min(pairs, key=error)
    divisor = math.gcd(w, h)
    return f"{w // divisor}:{h // divisor}"
