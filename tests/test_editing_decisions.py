"""The editing actions' pure decisions: buttons, canvases, specs and typed answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.editing import (
    BUTTON_EDITS,
    MAKE_SQUARE,
    PAN,
    VARY_REGION,
    ZOOM_OUT,
    Edit,
    cells_text,
    edit_from_fields,
    edit_spec,
    parse_edit,
    parse_regions,
    parse_zoom,
    plan_for,
    split_cells,
    split_dimensions,
)
from bot.core.errors import ParamError
from engine.profiles import PROFILES
from i18n import render
from tests.helpers import make_spec

SD = PROFILES["sd-turbo"]


def test_every_button_fits_discord_and_telegram_ids() -> None:
    for code in BUTTON_EDITS:
        assert len(f"mj:{code}:k7x2m9pq4a") <= 64  # Telegram's callback_data limit
    assert parse_edit("ZO15") == Edit(ZOOM_OUT, factor=1.5)
    assert parse_edit("PU") == Edit(PAN, direction="up")
    assert parse_edit("U1") is None


@pytest.mark.parametrize(
    ("edit", "label"),
    [
        (Edit(ZOOM_OUT, factor=2.0), "Zoom Out 2×"),
        (Edit(ZOOM_OUT, factor=1.5), "Zoom Out 1.5×"),
        (Edit(PAN, direction="left"), "Pan left"),
        (Edit(MAKE_SQUARE), "Make Square"),
        (Edit(VARY_REGION), "Vary (Region)"),
    ],
    ids=["zoom-2", "zoom-1.5", "pan", "square", "region"],
)
def test_labels(edit: Edit, label: str) -> None:
    assert render(edit.label) == label


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("zoom_out", 1.25, None), Edit(ZOOM_OUT, factor=1.25)),
        (("pan", None, "down"), Edit(PAN, direction="down")),
        (("make_square", None, None), Edit(MAKE_SQUARE)),
        (("vary_region", None, None), Edit(VARY_REGION)),
    ],
    ids=["zoom", "pan", "square", "region"],
)
def test_edit_from_fields(fields, expected) -> None:
    assert edit_from_fields(*fields) == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("zoom_out", None, None), "factor"),
        (("zoom_out", 2.5, None), "factor"),
        (("pan", None, "sideways"), "direction"),
        (("rotate", None, None), "Unknown editing action"),
    ],
    ids=["no-factor", "big-factor", "bad-direction", "unknown"],
)
def test_edit_from_fields_names_the_wrong_field(fields, message) -> None:
    with pytest.raises(ParamError, match=message):
        edit_from_fields(*fields)


def test_plans_follow_the_model_budget() -> None:
    zoom = plan_for(Edit(ZOOM_OUT, factor=2.0), 1024, 1024, SD)
    assert (zoom.width, zoom.height) == (512, 512) and zoom.source.width == 256
    grown = plan_for(Edit(PAN, direction="right"), 1024, 1024, SD)
    assert grown.width > grown.height
    with pytest.raises(ParamError, match="already square"):
        plan_for(Edit(MAKE_SQUARE), 512, 512, SD)
    with pytest.raises(ParamError, match=r"factor from 1\.0 to 2\.0"):
        plan_for(Edit(ZOOM_OUT), 512, 512, SD)


def test_edit_spec_inpaints_the_canvas_with_the_parents_prompt() -> None:
    parent = make_spec(tile=True, stop=50, seeds=(9, 10), init_image="p.png", strength=0.3)
    plan = plan_for(Edit(PAN, direction="left"), 128, 128, PROFILES["tiny"])
    spec = edit_spec(
        parent,
        job_id="new",
        plan=plan,
        canvas="c.png",
        mask="m.png",
        seed=2**32 - 1,
        images=4,
        weight=2.0,
    )
    assert (spec.width, spec.height) == (plan.width, plan.height)
    assert spec.seeds == (2**32 - 1, 0, 1, 2)
    assert (spec.init_image, spec.mask_image, spec.strength) == ("c.png", "m.png", 1.0)
    assert (spec.tile, spec.stop, spec.prompts, spec.weight) == (False, None, parent.prompts, 2.0)
    assert spec.run_steps == parent.steps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", (1.5, "")),
        ("2x", (2.0, "")),
        ("1.25 ×", (1.25, "")),
        ("１．８", (1.8, "")),
        ("一只猫，水彩 --zoom 1.8 --ar 3:2", (1.8, "一只猫，水彩 --ar 3:2")),
        ("a castle —zoom 1", (1.0, "a castle")),
        ("a castle －－ｚｏｏｍ　１.4", (1.4, "a castle")),
    ],
    ids=["plain", "x", "times", "full-width", "remix", "phone-dash", "full-width-param"],
)
def test_parse_zoom(text: str, expected: tuple[float, str]) -> None:
    assert parse_zoom(text) == expected


@pytest.mark.parametrize("text", ["", "3", "0.5", "a fox", "a fox --zoom", "--zoom 2.5", "nan"])
def test_parse_zoom_refuses_with_the_range(text: str) -> None:
    with pytest.raises(ParamError, match=r"from 1\.0 to 2\.0"):
        parse_zoom(text)


@pytest.mark.parametrize(
    ("text", "cells"),
    [("5", {5}), ("4 5 6", {4, 5, 6}), ("1,9", {1, 9}), ("４５６", {4, 5, 6}), ("7、8", {7, 8})],
    ids=["one", "spaces", "commas", "full-width", "chinese-comma"],
)
def test_parse_regions(text: str, cells: set[int]) -> None:
    assert parse_regions(text) == cells


@pytest.mark.parametrize("text", ["", "0", "10", "a", "5-6"])
def test_parse_regions_refuses(text: str) -> None:
    with pytest.raises(ParamError, match="Pick regions 1 to 9"):
        parse_regions(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4 5 6", ("4 5 6", None)),
        ("4 5 6 a red door", ("4 5 6", "a red door")),
        ("4,5 a door", ("4,5", "a door")),
        ("4 5 6 | 3 red doors", ("4 5 6", "3 red doors")),
        ("4 5 6｜3 red doors", ("4 5 6", "3 red doors")),
        ("4 5 6 |", ("4 5 6", None)),
        ("5 a door | a window", ("5", "a door | a window")),
        ("", ("", None)),
    ],
    ids=[
        "cells",
        "prompt",
        "commas",
        "bar",
        "full-width-bar",
        "bar-no-prompt",
        "bar-in-prompt",
        "empty",
    ],
)
def test_split_cells(text: str, expected: tuple[str, str | None]) -> None:
    assert split_cells(text) == expected


@given(
    st.frozensets(st.integers(1, 9), min_size=1),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)
def test_a_remix_answer_after_the_cells_keeps_cells_and_prompt(
    cells: frozenset[int], prompt: str
) -> None:
    """The thirds picker's question is answered as `/region JOB CELLS | PROMPT`: whatever the
    prompt (digits first, bars in it), the cells and the prompt come back apart."""
    picked, answered = split_cells(f"{cells_text(cells)} | {prompt}")
    assert parse_regions(picked) == cells
    assert answered == (prompt.strip() or None)


def test_split_dimensions() -> None:
    assert split_dimensions("URL URL 猫，狗 —dimensions Portrait") == ("URL URL 猫，狗", "2:3")
    assert split_dimensions("URL URL --dimensions landscape") == ("URL URL", "3:2")
    assert split_dimensions("URL URL") == ("URL URL", "1:1")
    with pytest.raises(ParamError, match="portrait, square, or landscape"):
        split_dimensions("URL --dimensions wide")


@given(st.text(max_size=60))
def test_typed_answers_parse_or_say_why(text: str) -> None:
    for parse in (parse_zoom, parse_regions, split_dimensions, split_cells):
        try:
            parse(text)
        except ParamError as error:
            assert str(error)


@given(st.floats(1.0, 2.0), st.text(st.characters(exclude_characters="-—–－"), max_size=30))
def test_any_factor_round_trips_with_any_prompt(factor: float, prompt: str) -> None:
    shown = f"{factor:.3f}"
    assert parse_zoom(f"{prompt} --zoom {shown}") == (float(shown), prompt.strip())
