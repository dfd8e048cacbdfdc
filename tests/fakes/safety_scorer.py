"""Stand-in safety scorers: the unsafe path is tested through the port, never with explicit
pictures in the repository. Each is what MJ_SAFETY_SCORER (or `--scorer`) can name."""

from __future__ import annotations

import numpy as np
from PIL import Image

MAGENTA = (255, 0, 255)


class MagentaScorer:
    """Scores an image by its share of pure magenta pixels: a test draws a magenta image to
    stand for an unsafe one, and anything else (the tiny model's noise included) is safe."""

    def score(self, image: Image.Image) -> float:
        pixels = np.asarray(image.convert("RGB"))
        return float(np.all(pixels == MAGENTA, axis=-1).mean())


def magenta_image(size: tuple[int, int] = (64, 64)) -> Image.Image:
    return Image.new("RGB", size, MAGENTA)


class BrokenScorer:
    """A plugged-in scorer with a bug: its answers are not scores."""

    def score(self, image: Image.Image) -> float:
        return float("nan")


def make_magenta_scorer() -> MagentaScorer:
    """A factory, the other form MJ_SAFETY_SCORER=module:attribute may name."""
    return MagentaScorer()


class FlaggingScorer:
    """Flags every image it sees: the classifier's verdict on an unsafe picture."""

    def score(self, image: Image.Image) -> float:
        return 0.95
