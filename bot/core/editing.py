"""The editing actions' decisions, pure: what each button asks for, the canvas it needs, the
job it becomes, and reading what users type back (zoom factors, regions, blend dimensions).

    ZO2, ZO15    Zoom Out 2× / 1.5×         PL PR PU PD   Pan left, right, up, down
    ZOC          Zoom Out with a factor the user types (1.0-2.0; and a prompt with Remix)
    SQ           Make Square                VR            Vary (Region)
    DEL          🗑: delete the result

Each result is a new job of its own grid, inpainting the parent's image on a prepared canvas
(engine.canvas) with the parent's prompt (or the Remix one) and seeds from the image's own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from bot.core.errors import ParamError
from engine.canvas import (
    DIRECTIONS,
    THIRDS,
    ZOOM_MAX,
    ZOOM_MIN,
    CanvasError,
    CanvasPlan,
    Direction,
    make_square,
    pan,
    whole,
    zoom_out,
)
from engine.job import JobSpec
from engine.profiles import ModelProfile
from i18n import Listing, Message, t, verbatim

ZOOM_OUT, PAN, MAKE_SQUARE, VARY_REGION = "zoom_out", "pan", "make_square", "vary_region"
EDIT_KINDS = (ZOOM_OUT, PAN, MAKE_SQUARE, VARY_REGION)
DELETE = "DEL"
SEED_SPACE = 2**32
# Midjourney's /blend shapes.
BLEND_DIMENSIONS = {"portrait": "2:3", "square": "1:1", "landscape": "3:2"}


@dataclass(frozen=True, slots=True)
class Edit:
    kind: str  # one of EDIT_KINDS
    factor: float | None = None  # Zoom Out; None for Custom Zoom until the user answers
    direction: Direction | None = None  # Pan

    @property
    def label(self) -> Message:
        """How messages name it: 'Zoom Out 1.5×', 'Pan left', 'Vary (Region)'."""
        if self.kind == ZOOM_OUT and self.factor:
            return t("Zoom Out {factor}×", factor=f"{self.factor:g}")
        if self.kind == ZOOM_OUT:
            return t("Zoom Out")
        if self.kind == PAN:
            pans = {
                "left": t("Pan left"),
                "right": t("Pan right"),
                "up": t("Pan up"),
                "down": t("Pan down"),
            }
            return pans[self.direction or "left"]
        return t("Make Square") if self.kind == MAKE_SQUARE else t("Vary (Region)")


_PANS: dict[str, Direction] = {"PL": "left", "PR": "right", "PU": "up", "PD": "down"}
BUTTON_EDITS: dict[str, Edit] = {
    "ZO2": Edit(ZOOM_OUT, factor=2.0),
    "ZO15": Edit(ZOOM_OUT, factor=1.5),
    "ZOC": Edit(ZOOM_OUT),
    **{code: Edit(PAN, direction=direction) for code, direction in _PANS.items()},
    "SQ": Edit(MAKE_SQUARE),
    "VR": Edit(VARY_REGION),
}


def parse_edit(action: str) -> Edit | None:
    """A button's action string as an Edit; None if it is not an editing button."""
    return BUTTON_EDITS.get(action)


def edit_from_fields(kind: str, factor: float | None, direction: str | None) -> Edit:
    """An Edit from named fields (the HTTP API): ParamError naming the field that is wrong."""
    if kind == ZOOM_OUT:
        if factor is None or not ZOOM_MIN <= factor <= ZOOM_MAX:
            raise ParamError(
                t(
                    "zoom_out needs a factor from {low} to {high}.",
                    low=f"{ZOOM_MIN:g}",
                    high=f"{ZOOM_MAX:g}",
                )
            )
        return Edit(ZOOM_OUT, factor=float(factor))
    if kind == PAN:
        if direction not in DIRECTIONS:
            raise ParamError(
                t("pan needs a direction: {directions}.", directions=Listing.of(DIRECTIONS, "or"))
            )
        return Edit(PAN, direction=direction)  # type: ignore[arg-type]
    if kind in (MAKE_SQUARE, VARY_REGION):
        return Edit(kind)
    raise ParamError(
        t(
            "Unknown editing action '{kind}': one of {kinds}.",
            kind=kind,
            kinds=Listing.of(EDIT_KINDS, "or"),
        )
    )


def plan_for(edit: Edit, width: int, height: int, profile: ModelProfile) -> CanvasPlan:
    """The canvas `edit` needs on a width x height image, within the model's pixel budget."""
    budget, multiple = profile.native**2, profile.multiple
    try:
        if edit.kind == ZOOM_OUT:
            if edit.factor is None:
                raise ParamError(t("Say how far to zoom out: a factor from 1.0 to 2.0."))
            return zoom_out(width, height, edit.factor, budget, multiple)
        if edit.kind == PAN:
            assert edit.direction is not None
            return pan(width, height, edit.direction, budget, multiple)
        if edit.kind == MAKE_SQUARE:
            return make_square(width, height, budget, multiple)
        return whole(width, height, budget, multiple)
    except ValueError as error:
        if isinstance(error, ParamError):
            raise
        reason = error.message if isinstance(error, CanvasError) else verbatim(str(error))
        raise ParamError(
            t("{action} cannot be done on this image: {reason}.", action=edit.label, reason=reason)
        ) from None


def edit_spec(
    parent: JobSpec,
    *,
    job_id: str,
    plan: CanvasPlan,
    canvas: str,
    mask: str,
    seed: int,
    images: int,
    weight: float,
) -> JobSpec:
    """The inpainting job: the parent's model, prompt and settings on the new canvas, every
    step run (strength 1: the painted part starts from noise), seeds from `seed` on."""
    return replace(
        parent,
        job_id=job_id,
        width=plan.width,
        height=plan.height,
        seeds=tuple((seed + i) % SEED_SPACE for i in range(images)),
        init_image=canvas,
        mask_image=mask,
        strength=1.0,
        steps=parent.steps,
        stop=None,
        tile=False,  # a wrapped border would repeat the opposite edge, not extend the scene
        weight=weight,
        upscaler=False,
        blend_images=(),
        ip_adapter=False,
    )


# what users type back ------------------------------------------------------------------------


def _param(name: str) -> re.Pattern[str]:
    """`--name value` as phones and Chinese input methods also type it (`—name`, `－－ｎａｍｅ`),
    matched on the text as typed so that the rest of it stays exactly as written."""
    letters = "".join(
        f"[{c}{c.upper()}{chr(ord(c) + 0xFEE0)}{chr(ord(c.upper()) + 0xFEE0)}]" for c in name
    )
    return re.compile(rf"(?:^|\s)(?:--|[-—–－]{{1,2}}){letters}(?:[\s　]+(\S+))?")


_ZOOM = _param("zoom")
_FACTOR = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*[x×]?")


def parse_zoom(text: str) -> tuple[float, str]:
    """A Custom Zoom answer: '1.5', '1.5x', or a prompt with '--zoom 1.5' (Remix).
    Returns the factor and the prompt ('' when only a factor was typed)."""
    found = _ZOOM.search(text)
    if found is None:
        value, prompt = text, ""
    else:
        value, prompt = found.group(1) or "", (text[: found.start()] + text[found.end() :])
    value = unicodedata.normalize("NFKC", value).strip()
    match = _FACTOR.fullmatch(value)
    bounds = {"low": f"{ZOOM_MIN:.1f}", "high": f"{ZOOM_MAX:.1f}"}
    if not match:
        raise ParamError(
            t(
                "Custom Zoom needs a number from {low} to {high}, like 1.5 (or a prompt with "
                "--zoom 1.5); got '{value}'.",
                value=value[:40],
                **bounds,
            )
        )
    factor = float(match.group(1))
    if not ZOOM_MIN <= factor <= ZOOM_MAX:
        raise ParamError(
            t(
                "Custom Zoom needs a number from {low} to {high}, like 1.5 (or a prompt with "
                "--zoom 1.5); {factor} is out of range.",
                factor=f"{factor:g}",
                **bounds,
            )
        )
    return factor, prompt.strip()


def parse_regions(text: str) -> frozenset[int]:
    """Vary (Region) without the web page: cells of a 3x3 grid, '5', '4 5 6', '4,5,6', '456'."""
    cells = unicodedata.normalize("NFKC", text)
    cleaned = re.sub(r"[\s,，、;]+", "", cells)
    limit = THIRDS * THIRDS
    if not cleaned or not cleaned.isdigit() or not all(1 <= int(c) <= limit for c in cleaned):
        raise ParamError(
            t(
                "Pick regions 1 to {limit} (left to right, top to bottom: 1 2 3 / 4 5 6 / "
                "7 8 9), like 5 or 4 5 6.",
                limit=str(limit),
            )
        )
    return frozenset(int(c) for c in cleaned)


def split_cells(text: str) -> tuple[str, str | None]:
    """/region's text after the job: its cells and the prompt after them, if any.

    '4 5 6 a red door' -> ('4 5 6', 'a red door'): the leading words of digits are the cells.
    A '|' after the cells ends them, for a prompt that starts with a number ('4 5 6 | 3 red
    doors'): the form a Remix question after the thirds picker is answered in."""
    head, bar, tail = text.replace("｜", "|").partition("|")
    if bar and all(_cells_word(word) for word in head.split()):
        return " ".join(head.split()), tail.strip() or None
    words = text.split()
    count = next((i for i, word in enumerate(words) if not _cells_word(word)), len(words))
    return " ".join(words[:count]), " ".join(words[count:]) or None


def _cells_word(word: str) -> bool:
    """A word of cells: digits, maybe joined by commas ('4,5,6')."""
    return re.sub(r"[,，、;]", "", word).isdigit()


def cells_text(cells: frozenset[int]) -> str:
    """Picked cells as /region writes them: '2 5'."""
    return " ".join(str(cell) for cell in sorted(cells))


_DIMENSIONS = _param("dimensions")


def split_dimensions(text: str) -> tuple[str, str]:
    """A /blend text's `--dimensions portrait|square|landscape` as an --ar value, and the text
    without it. Square without one."""
    found = _DIMENSIONS.search(text)
    if found is None:
        return text.strip(), BLEND_DIMENSIONS["square"]
    choice = unicodedata.normalize("NFKC", found.group(1) or "").lower()
    if choice not in BLEND_DIMENSIONS:
        raise ParamError(
            t(
                "--dimensions takes {choices}; got '{value}'.",
                choices=Listing.of(BLEND_DIMENSIONS, "or"),
                value=choice[:20],
            )
        )
    rest = (text[: found.start()] + text[found.end() :]).strip()
    return rest, BLEND_DIMENSIONS[choice]
