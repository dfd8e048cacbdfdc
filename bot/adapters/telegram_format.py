"""Telegram's limits applied to the core's replies: text lengths, button data, keyboards. Pure."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta

# python-telegram-bot 22 is moving time periods (RetryAfter.retry_after, ...) from ints to
# timedelta and warns on every int it hands out; opt in to the new types, as its docs suggest.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.text_fit import fit as fit_text
from bot.core.language import Lang, render, t
from bot.core.requests import Button, ButtonPress

PLATFORM = "telegram"
CAPTION_LIMIT = 1024  # photo captions
MESSAGE_LIMIT = 4096  # text messages
ALERT_LIMIT = 200  # answerCallbackQuery text
CALLBACK_DATA_BYTES = 64
PHOTO_BYTES = 10 * 1000 * 1000  # largest photo upload
_PREFIX = "mj"


def fit(text: str, limit: int, *, tail: int = 0) -> str:
    """`text` within `limit` as Telegram counts (UTF-16 code units)."""
    return fit_text(text, limit, tail=tail, utf16=True)


OTHERS_PER_ROW = 4  # phones show about four labels like "Zoom Out 1.5×" side by side


def button_data(button: Button) -> str:
    """'mj:<action>:<job id>': all a press needs, so buttons keep working after a restart."""
    data = f"{_PREFIX}:{button.action}:{button.job_id}"
    if len(data.encode()) > CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data over {CALLBACK_DATA_BYTES} bytes: {data!r}")
    return data


def parse_button_data(data: str | None) -> ButtonPress | None:
    """The press a button's data stands for; None for data that is not ours (or malformed)."""
    parts = (data or "").split(":", 2)
    if len(parts) != 3 or parts[0] != _PREFIX or not parts[1] or not parts[2]:
        return None
    return ButtonPress(parts[1], parts[2])


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Midjourney's layout: U1..U4 on one row, V1..V4 on the next, then 🔄 and the others four
    to a row (the editing buttons under an upscale); a link (the Vary (Region) page) opens."""
    if not buttons:
        return None
    rows: dict[str, list[InlineKeyboardButton]] = {"U": [], "V": [], "": []}
    for button in buttons:
        lead = button.action[:1]
        row = lead if lead in ("U", "V") and button.action[1:].isdigit() else ""
        if button.url is not None:
            rows[row].append(InlineKeyboardButton(button.label, url=button.url))
        else:
            rows[row].append(InlineKeyboardButton(button.label, callback_data=button_data(button)))
    others = rows.pop("")
    lines = [row for row in rows.values() if row]
    lines += [others[i : i + OTHERS_PER_ROW] for i in range(0, len(others), OTHERS_PER_ROW)]
    return InlineKeyboardMarkup(lines)


REGION_TOGGLE, REGION_GO = "RG", "RGO"  # a cell pressed (the new picks), or "repaint these"
REPAINT = t("Repaint the picked parts")


def regions_keyboard(job_id: str, lang: Lang, picked: int = 0) -> InlineKeyboardMarkup:
    """Vary (Region) without the web page: a 3×3 grid of toggles (the picks travel in the
    callback data as a bit mask, so nothing is kept) and, once one is picked, Repaint."""
    rows = [
        [
            InlineKeyboardButton(
                f"✅ {cell}" if picked >> (cell - 1) & 1 else str(cell),
                callback_data=f"{_PREFIX}:{REGION_TOGGLE}{picked ^ 1 << (cell - 1)}:{job_id}",
            )
            for cell in range(row * 3 + 1, row * 3 + 4)
        ]
        for row in range(3)
    ]
    if picked:
        go = f"{_PREFIX}:{REGION_GO}{picked}:{job_id}"
        repaint = render(REPAINT, lang)
        rows.append([InlineKeyboardButton(repaint, callback_data=go)])
    return InlineKeyboardMarkup(rows)


def region_press(action: str) -> tuple[bool, int] | None:
    """('RGO', picks) or ('RG', picks) from a regions keyboard's press; None otherwise."""
    for prefix, go in ((REGION_GO, True), (REGION_TOGGLE, False)):
        rest = action.removeprefix(prefix)
        if rest != action and rest.isdigit() and 0 <= int(rest) < 512:
            return go, int(rest)
    return None


def cells_of(picked: int) -> str:
    return " ".join(str(cell) for cell in range(1, 10) if picked >> (cell - 1) & 1)


def seconds(value: int | float | timedelta) -> float:
    """A time period from python-telegram-bot, an int before v22.2 and a timedelta after."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
