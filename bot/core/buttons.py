"""The buttons under a result, as a table: what each one sends back, its label, where it shows,
and which kind of job a press makes. Pure.

    under a grid:        U1..U4 (upscale image N), V1..V4 (vary it strongly), 🔄 (reroll), 🗑
    under an upscale:    Vary (Subtle), Vary (Strong), Vary (Region), Upscale 2× (if twice the
                         size fits), Upscale 4× (with MJ_GAN_UPSCALER, if four times the size
                         fits), Zoom Out 2× / 1.5× / Custom, Make Square (if it is not),
                         Pan ⬅️ ➡️ ⬆️ ⬇️, 🗑
    under a describe:    1..4 (draw suggestion N), 🔄 (describe the image again)

A press comes back as `ButtonPress(action, job_id)` and `bot.core.presses` makes the job. To
add a button (Zoom Out, Pan, Upscale 4×...): one `ButtonAction` here; a new kind of job also
needs its spec in `bot.core.actions` and a branch in `bot.core.presses`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.requests import Button
from bot.core.settings import ActionSettings
from i18n import Message, t, verbatim


class JobKind(StrEnum):
    """What a press makes; also the job's `action` column."""

    REROLL = "reroll"  # the same prompt with new seeds (an upscale or variation: the same again)
    UPSCALE = "upscale"  # image N at twice the size
    VARIATION = "variation"  # four new images from image N
    UPSCALE_4X = "upscale4x"  # image N four times larger, by the GAN upscaler (no buttons)
    # The editing actions (bot.core.editing, bot.core.edits): four images inpainted on a new
    # canvas made from image N.
    ZOOM_OUT = "zoom_out"  # the image smaller in a larger canvas, the border painted
    PAN = "pan"  # the canvas extended on one side
    MAKE_SQUARE = "make_square"  # extended to 1:1
    VARY_REGION = "vary_region"  # a chosen region repainted
    BLEND = "blend"  # /blend: 2-5 images mixed (no button; the job's action)
    DELETE = "delete"  # 🗑: the result's message and files removed (makes no job)
    DESCRIBE = "describe"  # four prompts for an image (/describe; 🔄 under one: new ones)
    SUGGESTION = "suggestion"  # a describe's prompt N, drawn as the user's own /mj


class Under(StrEnum):
    GRID = "grid"  # a job's 2×2 result
    UPSCALE = "upscale"  # an upscaled image (image 1 of its own job)
    DESCRIBE = "describe"  # a describe's four prompts


@dataclass(frozen=True, slots=True)
class ButtonAction:
    action: str  # what a press sends back (`\w+`: it goes into button ids)
    label: Message  # tokens (U1, 🔄) are the same in every language; words are translated
    kind: JobKind
    image: int  # the parent's image (or suggestion) it starts from, 1-based; 0: the whole job
    under: Under
    strength: str = ""  # the ActionSettings field: how much of the image is repainted

    def strength_in(self, settings: ActionSettings) -> float:
        return float(getattr(settings, self.strength))


ACTIONS: tuple[ButtonAction, ...] = (
    *(
        ButtonAction(
            f"U{i}", verbatim(f"U{i}"), JobKind.UPSCALE, i, Under.GRID, "upscale_strength"
        )
        for i in range(1, 5)
    ),
    *(
        ButtonAction(f"V{i}", verbatim(f"V{i}"), JobKind.VARIATION, i, Under.GRID, "vary_strong")
        for i in range(1, 5)
    ),
    ButtonAction("reroll", verbatim("🔄"), JobKind.REROLL, 0, Under.GRID),
    ButtonAction("VS", t("Vary (Subtle)"), JobKind.VARIATION, 1, Under.UPSCALE, "vary_subtle"),
    ButtonAction("VX", t("Vary (Strong)"), JobKind.VARIATION, 1, Under.UPSCALE, "vary_strong"),
    ButtonAction("VR", t("Vary (Region)"), JobKind.VARY_REGION, 1, Under.UPSCALE),
    ButtonAction("U2X", t("Upscale 2×"), JobKind.UPSCALE, 1, Under.UPSCALE, "upscale_strength"),
    ButtonAction("U4X", t("Upscale 4×"), JobKind.UPSCALE_4X, 1, Under.UPSCALE),
    ButtonAction("ZO2", t("Zoom Out 2×"), JobKind.ZOOM_OUT, 1, Under.UPSCALE),
    ButtonAction("ZO15", t("Zoom Out 1.5×"), JobKind.ZOOM_OUT, 1, Under.UPSCALE),
    ButtonAction("ZOC", t("Custom Zoom"), JobKind.ZOOM_OUT, 1, Under.UPSCALE),
    ButtonAction("SQ", t("Make Square"), JobKind.MAKE_SQUARE, 1, Under.UPSCALE),
    ButtonAction("PL", verbatim("⬅️"), JobKind.PAN, 1, Under.UPSCALE),
    ButtonAction("PR", verbatim("➡️"), JobKind.PAN, 1, Under.UPSCALE),
    ButtonAction("PU", verbatim("⬆️"), JobKind.PAN, 1, Under.UPSCALE),
    ButtonAction("PD", verbatim("⬇️"), JobKind.PAN, 1, Under.UPSCALE),
    *(
        ButtonAction(f"P{i}", verbatim(str(i)), JobKind.SUGGESTION, i, Under.DESCRIBE)
        for i in range(1, 5)
    ),
)
DELETE = ButtonAction("DEL", verbatim("🗑"), JobKind.DELETE, 0, Under.GRID)
EDITS = (JobKind.ZOOM_OUT, JobKind.PAN, JobKind.MAKE_SQUARE, JobKind.VARY_REGION)
# Jobs whose 🔄 redraws the same job with new seeds (not the /mj text again).
SAME_AGAIN = (JobKind.UPSCALE, JobKind.VARIATION, *EDITS, JobKind.BLEND)
_BY_ACTION = {action.action: action for action in (*ACTIONS, DELETE)}


def find(action: str) -> ButtonAction | None:
    return _BY_ACTION.get(action)


def can_upscale(width: int, height: int, settings: ActionSettings) -> bool:
    return 2 * max(width, height) <= settings.upscale_max_side


def can_upscale_4x(width: int, height: int, settings: ActionSettings) -> bool:
    return 4 * max(width, height) <= settings.gan_max_side


def result_buttons(job_id: str, image_count: int) -> tuple[Button, ...]:
    """Under a grid: U1..Un, V1..Vn, reroll and 🗑, as Midjourney lays them out."""
    return (
        *(
            Button(a.label, a.action, job_id)
            for a in ACTIONS
            if a.under is Under.GRID and a.image <= image_count
        ),
        Button(DELETE.label, DELETE.action, job_id),
    )


def final_buttons(job_id: str) -> tuple[Button, ...]:
    """Under an image nothing here upscales or varies further (a 4x upscale): only 🗑."""
    return (Button(DELETE.label, DELETE.action, job_id),)


def describe_buttons(job_id: str, suggestions: int) -> tuple[Button, ...]:
    """Under a describe: 1..n to draw a suggestion, and 🔄 for new ones (the reroll button,
    which describes again when it sits under a describe)."""
    drawn = tuple(
        Button(a.label, a.action, job_id)
        for a in ACTIONS
        if a.under is Under.DESCRIBE and a.image <= suggestions
    )
    reroll = next(a for a in ACTIONS if a.kind is JobKind.REROLL)
    return (*drawn, Button(reroll.label, reroll.action, job_id))


def upscale_buttons(
    job_id: str, upscale_again: bool, square: bool = False, upscale_4x: bool = False
) -> tuple[Button, ...]:
    """Under an upscaled image: vary it (subtly, strongly, a region), upscale again (if it
    fits), four times with the GAN upscaler (if there is one and it fits), zoom out, make it
    square (unless it is), pan; and 🗑."""
    shown = (
        a
        for a in ACTIONS
        if a.under is Under.UPSCALE
        and (upscale_again or a.kind is not JobKind.UPSCALE)
        and (upscale_4x or a.kind is not JobKind.UPSCALE_4X)
        and not (square and a.kind is JobKind.MAKE_SQUARE)
    )
    return (
        *(Button(a.label, a.action, job_id) for a in shown),
        Button(DELETE.label, DELETE.action, job_id),
    )
