"""Style presets for --style and how they merge with the user's prompts."""

from __future__ import annotations

import re

import pytest

from bot.core.styles import STYLES, apply_style


def test_there_are_enough_real_styles() -> None:
    assert len(STYLES) >= 15
    for name in ("photo", "cinematic", "anime", "watercolor", "pixel-art", "3d-render"):
        assert name in STYLES


@pytest.mark.parametrize("name", list(STYLES))
def test_every_style_is_well_formed(name: str) -> None:
    style = STYLES[name]
    assert style.name == name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert style.positive.count("{prompt}") == 1
    assert style.negative.strip()


@pytest.mark.parametrize(
    ("name", "prompt", "negative", "expected"),
    [
        pytest.param(None, "a cat", None, ("a cat", None), id="no-style"),
        pytest.param(None, "a cat", "", ("a cat", None), id="no-style-empty-negative"),
        pytest.param(None, "a cat", "dogs", ("a cat", "dogs"), id="no-style-keeps-negative"),
        pytest.param(
            "cinematic",
            "a cat",
            None,
            (
                STYLES["cinematic"].positive.replace("{prompt}", "a cat"),
                STYLES["cinematic"].negative,
            ),
            id="style-only",
        ),
        pytest.param(
            "anime",
            "a cat",
            "text, watermark",
            (
                STYLES["anime"].positive.replace("{prompt}", "a cat"),
                "text, watermark, " + STYLES["anime"].negative,
            ),
            id="user-negative-first",
        ),
    ],
)
def test_apply_style(
    name: str | None, prompt: str, negative: str | None, expected: tuple[str, str | None]
) -> None:
    assert apply_style(name, prompt, negative) == expected


def test_prompt_goes_where_the_template_says() -> None:
    styled, _ = apply_style("cinematic", "a red fox", None)
    assert styled.startswith("cinematic still of a red fox,")


def test_braces_in_prompt_survive() -> None:
    styled, _ = apply_style("photo", "a {weird} prompt {prompt}", None)
    assert "a {weird} prompt {prompt}" in styled


def test_unknown_style_raises_key_error() -> None:
    with pytest.raises(KeyError):
        apply_style("no-such-style", "a cat", None)
