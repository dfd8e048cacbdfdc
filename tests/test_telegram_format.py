"""Telegram's limits: lengths counted as Telegram counts them, button data, keyboard layout."""

from __future__ import annotations

import pytest

from bot.adapters.telegram_format import (
    CAPTION_LIMIT,
    button_data,
    fit,
    keyboard,
    parse_button_data,
)
from bot.adapters.text_fit import utf16_len
from bot.core.buttons import result_buttons
from bot.core.requests import Button, ButtonPress
from i18n import verbatim


@pytest.mark.parametrize(
    ("text", "limit", "tail", "expected"),
    [
        ("short", 10, 0, "short"),
        ("abcdefghij", 5, 0, "abcd…"),
        ("abcdefghij", 7, 3, "abc…hij"),
        ("ab🦊🦊", 4, 0, "ab…"),  # a fox is two UTF-16 units: never half of one
        ("🦊🦊🦊", 4, 2, "…🦊"),
    ],
    ids=["fits", "end-cut", "middle-cut", "no-half-surrogate", "tail-surrogate"],
)
def test_fit(text: str, limit: int, tail: int, expected: str) -> None:
    assert fit(text, limit, tail=tail) == expected
    assert utf16_len(fit(text, limit, tail=tail)) <= limit


def test_a_long_caption_keeps_its_seed_and_job_id() -> None:
    caption = "a fox, " * 300 + "--ar 3:2 --seed 42 — Alice in 3 s (job k7x2m9pq4a)"
    fitted = fit(caption, CAPTION_LIMIT, tail=240)
    assert utf16_len(fitted) <= CAPTION_LIMIT
    assert fitted.startswith("a fox, a fox") and fitted.endswith(
        "--seed 42 — Alice in 3 s (job k7x2m9pq4a)"
    )


def test_button_data_round_trips_and_stays_within_64_bytes() -> None:
    for button in result_buttons("k7x2m9pq4a", 4):
        data = button_data(button)
        assert len(data.encode()) <= 64
        assert parse_button_data(data) == ButtonPress(button.action, "k7x2m9pq4a")
    with pytest.raises(ValueError, match="64 bytes"):
        button_data(Button(verbatim("🔄"), "reroll", "x" * 60))


@pytest.mark.parametrize("data", [None, "", "mj:U1", "other:U1:abc", "mj::abc", "mj:U1:"])
def test_foreign_or_broken_button_data_is_not_a_press(data: str | None) -> None:
    assert parse_button_data(data) is None


def test_keyboard_rows_follow_midjourney() -> None:
    markup = keyboard(result_buttons("j", 2))
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [
        ["U1", "U2"],
        ["V1", "V2"],
        ["🔄", "🗑"],
    ]
    assert keyboard(()) is None
