"""Canvas geometry, masks and the exact composite behind Zoom Out, Pan, Make Square and Vary
(Region). Pure: no torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from engine.canvas import (
    DIRECTIONS,
    Box,
    CanvasPlan,
    box_mask,
    fit_budget,
    keep_source,
    make_square,
    mask_from_drawing,
    pan,
    place_source,
    thirds_mask,
    whole,
    zoom_out,
)

SD = 512 * 512  # SD 1.5 / turbo budget
XL = 1024 * 1024


def inside(box: Box, width: int, height: int) -> bool:
    return box.x >= 0 and box.y >= 0 and box.right <= width and box.bottom <= height


@pytest.mark.parametrize(
    ("size", "budget", "multiple", "expected"),
    [
        ((1360, 768), SD, 8, (680, 384)),  # a 16:9 upscale back at its drawn size
        ((1024, 1024), SD, 8, (512, 512)),
        ((128, 128), 64 * 64, 8, (64, 64)),  # the tiny model
        ((1, 1), XL, 64, (1024, 1024)),
    ],
    ids=["16:9", "square", "tiny", "sdxl"],
)
def test_fit_budget_table(size, budget, multiple, expected) -> None:
    assert fit_budget(*size, budget, multiple) == expected


@pytest.mark.parametrize("factor", [1.0, 1.5, 2.0], ids=lambda f: f"{f}x")
def test_zoom_out_keeps_aspect_and_budget_and_centres_the_source(factor: float) -> None:
    plan = zoom_out(1360, 768, factor, SD, 8)
    assert (plan.width, plan.height) == (680, 384)
    assert plan.source.width == round(680 / factor) and plan.source.height == round(384 / factor)
    assert abs(plan.source.x - (680 - plan.source.right)) <= 1
    assert abs(plan.source.y - (384 - plan.source.bottom)) <= 1


@pytest.mark.parametrize("factor", [0.9, 2.01, float("nan")], ids=str)
def test_zoom_factor_out_of_range_is_refused(factor: float) -> None:
    with pytest.raises(ValueError, match=r"between 1\.0 and 2\.0"):
        zoom_out(512, 512, factor, SD, 8)


@pytest.mark.parametrize(
    ("direction", "grows", "edge"),
    [
        ("left", "width", "right"),
        ("right", "width", "left"),
        ("up", "height", "bottom"),
        ("down", "height", "top"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_pan_grows_one_side_and_keeps_the_source_at_the_far_edge(direction, grows, edge) -> None:
    plan = pan(1024, 1024, direction, SD, 8)
    ratio = plan.width / plan.height
    assert ratio == pytest.approx(1.5 if grows == "width" else 1 / 1.5, rel=0.03)
    source = plan.source
    touching = {
        "left": source.x == 0,
        "right": source.right == plan.width,
        "top": source.y == 0,
        "bottom": source.bottom == plan.height,
    }
    assert touching[edge]
    # The source fills the side that did not grow.
    assert (source.height if grows == "width" else source.width) == (
        plan.height if grows == "width" else plan.width
    )
    assert plan.keep is not None and inside(plan.keep, plan.width, plan.height)


def test_pan_past_four_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="1:4"):
        pan(1024, 360, "left", SD, 8)  # 2.84:1 grows to 4.27:1
    assert pan(1024, 384, "left", SD, 8).width > 0  # exactly 4:1 is fine


def test_make_square() -> None:
    plan = make_square(1360, 768, SD, 8)
    assert (plan.width, plan.height) == (512, 512)
    assert plan.source.width == 512 and plan.source.height == round(768 * 512 / 1360)
    with pytest.raises(ValueError, match="already square"):
        make_square(512, 512, SD, 8)


@given(
    width=st.integers(16, 4096),
    height=st.integers(16, 4096),
    native=st.sampled_from([(64, 8), (512, 8), (768, 8), (1024, 64)]),
    action=st.one_of(
        st.floats(1.0, 2.0).map(lambda f: ("zoom", f)),
        st.sampled_from(DIRECTIONS).map(lambda d: ("pan", d)),
        st.just(("square", None)),
        st.just(("whole", None)),
    ),
)
def test_every_plan_fits_the_budget_and_keeps_inside_the_source(width, height, native, action):
    side, multiple = native
    budget = side * side
    if max(width, height) > 4 * min(width, height):
        return  # the parser never makes such images
    kind, value = action
    try:
        plan: CanvasPlan = {
            "zoom": lambda: zoom_out(width, height, value, budget, multiple),
            "pan": lambda: pan(width, height, value, budget, multiple),
            "square": lambda: make_square(width, height, budget, multiple),
            "whole": lambda: whole(width, height, budget, multiple),
        }[kind]()
    except ValueError as error:
        assert "square" in str(error) or "1:4" in str(error)
        return
    assert plan.width % multiple == 0 and plan.height % multiple == 0
    assert plan.width * plan.height <= budget
    # Sides in whole multiples leave some budget unused: most at the tiny model's coarse grid.
    assert plan.width * plan.height >= (0.65 if side == 64 else 0.8) * budget
    assert inside(plan.source, plan.width, plan.height)
    if plan.keep is not None:
        keep = plan.keep
        assert inside(keep, plan.source.right, plan.source.bottom)
        assert keep.x >= plan.source.x and keep.y >= plan.source.y


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def test_canvas_mask_and_composite_keep_the_source_pixels_exactly() -> None:
    source = noise(128, 96)
    plan = zoom_out(128, 96, 2.0, 64 * 64, 8)
    canvas = place_source(source, plan)
    mask = box_mask(plan)
    assert canvas.size == mask.size == (plan.width, plan.height)
    fitted = np.asarray(source.resize((plan.source.width, plan.source.height), Image.LANCZOS))
    box = plan.source
    assert np.array_equal(np.asarray(canvas)[box.y : box.bottom, box.x : box.right], fitted)

    generated = noise(plan.width, plan.height, seed=1)
    merged = np.asarray(keep_source(generated, canvas, mask))
    kept = np.asarray(mask) < 128
    assert kept.sum() == plan.keep.width * plan.keep.height  # type: ignore[union-attr]
    assert np.array_equal(merged[kept], np.asarray(canvas)[kept])
    assert np.array_equal(merged[~kept], np.asarray(generated)[~kept])


def test_keep_source_refuses_mismatched_sizes() -> None:
    with pytest.raises(ValueError, match="sizes differ"):
        keep_source(noise(8, 8), noise(16, 8), Image.new("L", (8, 8)))


def test_thirds_mask() -> None:
    mask = np.asarray(thirds_mask(90, 60, {1, 5}))
    assert mask[0:20, 0:30].min() == 255 and mask[20:40, 30:60].min() == 255
    assert mask[0:20, 30:90].max() == 0 and mask[40:60].max() == 0
    with pytest.raises(ValueError, match=r"1\.\.9"):
        thirds_mask(90, 60, {0})
    with pytest.raises(ValueError, match=r"1\.\.9"):
        thirds_mask(90, 60, set())


def test_mask_from_drawing_reads_alpha_or_brightness_and_refuses_all_or_nothing() -> None:
    strokes = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    strokes.paste((255, 0, 0, 255), (0, 0, 10, 10))
    mask = np.asarray(mask_from_drawing(strokes, 40, 20))
    assert mask.shape == (20, 40) and set(np.unique(mask)) == {0, 255}
    assert mask[:, :20].min() == 255 and mask[:, 20:].max() == 0

    opaque = Image.new("RGBA", (4, 4), (0, 0, 0, 255))  # a browser canvas: opaque, black
    opaque.paste((255, 255, 255, 255), (0, 0, 2, 4))
    assert np.asarray(mask_from_drawing(opaque, 4, 4))[:, 2:].max() == 0

    grey = Image.new("L", (4, 4), 0)
    grey.paste(200, (0, 0, 2, 4))
    assert np.asarray(mask_from_drawing(grey, 4, 4))[:, :2].min() == 255
    with pytest.raises(ValueError, match="paints nothing"):
        mask_from_drawing(Image.new("L", (4, 4), 0), 4, 4)
    with pytest.raises(ValueError, match="whole image"):
        mask_from_drawing(Image.new("RGB", (4, 4), "white"), 4, 4)
