"""An image's aspect ratio as /describe writes it (`aspect_for_size`): what --ar accepts."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.params import parse_mj
from bot.core.sizes import aspect_for_size

CASES = [
    (1920, 1080, "16:9"),
    (1366, 768, "16:9"),  # 683:384 exactly, but nobody means that
    (1440, 900, "8:5"),
    (800, 600, "4:3"),
    (1023, 767, "4:3"),  # off by a pixel: still 4:3
    (3000, 2000, "3:2"),
    (640, 427, "3:2"),
    (1080, 1350, "4:5"),
    (1000, 1001, "1:1"),
    (1, 1, "1:1"),
    (333, 1000, "1:3"),
    (2048, 858, "12:5"),  # no common ratio within 1%: the simplest one that is
    (1170, 2532, "6:13"),
    (4000, 10, "4:1"),  # beyond what --ar accepts: the extreme it does
    (10, 4000, "1:4"),
]


@pytest.mark.parametrize(
    ("width", "height", "aspect"), CASES, ids=[c[2] + f"@{c[0]}x{c[1]}" for c in CASES]
)
def test_aspect_for_size(width: int, height: int, aspect: str) -> None:
    assert aspect_for_size(width, height) == aspect


@settings(max_examples=500, deadline=None)
@given(st.integers(1, 20000), st.integers(1, 20000))
def test_every_image_gets_an_aspect_the_parser_takes_unchanged(width: int, height: int) -> None:
    aspect = aspect_for_size(width, height)
    request = parse_mj(f"a fox --ar {aspect}")
    assert request.aspect == aspect  # already reduced: the parser changes nothing
    w, h = map(int, aspect.split(":"))
    assert max(w, h) <= 32
    # Near the image's own shape (as clamped to 1:4..4:1): within 2%, 1% where a ratio with
    # sides up to 32 gets there.
    ratio = min(max(Fraction(width, height), Fraction(1, 4)), Fraction(4))
    assert abs(Fraction(w, h) / ratio - 1) <= Fraction(2, 100)


def test_aspect_needs_a_real_image() -> None:
    with pytest.raises(ValueError, match="above 0"):
        aspect_for_size(0, 10)
