"""The editing actions' decisions, pure: what each button asks for, the canvas it needs, the
job it becomes, and reading what users type back (zoom factors, regions, blend dimensions).

    ZO2, ZO15    Zoom Out 2x / 1.5x         PL PR PU PD   Pan left, right, up, down
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
    CanvasPlan,
    Direction,
    make_square,
    pan,
    whole,
    zoom_out,
)
from engine.job import JobSpec
from engine.profiles import ModelProfile

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
    def label(self) -> str:
        """How /show and captions name it: 'Zoom Out 1.5x', 'Pan left', 'Vary (Region)'."""
        if self.kind == ZOOM_OUT:
            return f"Zoom Out {self.factor:g}x" if self.factor else "Zoom Out"
        if self.kind == PAN:
            return f"Pan {self.direction}"
        return "Make Square" if self.kind == MAKE_SQUARE else "Vary (Region)"


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
            raise ParamError(f"zoom_out needs a factor from {ZOOM_MIN:g} to {ZOOM_MAX:g}.")
        return Edit(ZOOM_OUT, factor=float(factor))
    if kind == PAN:
        if direction not in DIRECTIONS:
            raise ParamError(f"pan needs a direction: {', '.join(DIRECTIONS)}.")
        return Edit(PAN, direction=direction)  # type: ignore[arg-type]
    if kind in (MAKE_SQUARE, VARY_REGION):
        return Edit(kind)
    raise ParamError(f"Unknown editing action {kind!r}: one of {', '.join(EDIT_KINDS)}.")


def plan_for(edit: Edit, width: int, height: int, profile: ModelProfile) -> CanvasPlan:
    """The canvas `edit` needs on a width x height image, within the model's pixel budget."""
    budget, multiple = profile.native**2, profile.multiple
    try:
        if edit.kind == ZOOM_OUT:
            if edit.factor is None:
                raise ParamError("Say how far to zoom out: a factor from 1.0 to 2.0.")
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
        raise ParamError(f"{edit.label} cannot be done on this image: {error}.") from None


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
    hint = (
        f"a number from {ZOOM_MIN:.1f} to {ZOOM_MAX:.1f}, like 1.5 (or a prompt with --zoom 1.5)"
    )
    if not match:
        raise ParamError(f"Custom Zoom needs {hint}; got '{value[:40]}'.")
    factor = float(match.group(1))
    if not ZOOM_MIN <= factor <= ZOOM_MAX:
        raise ParamError(f"Custom Zoom needs {hint}; {factor:g} is out of range.")
    return factor, prompt.strip()


def parse_regions(text: str) -> frozenset[int]:
    """Vary (Region) without the web page: cells of a 3x3 grid, '5', '4 5 6', '4,5,6', '456'."""
    cells = unicodedata.normalize("NFKC", text)
    cleaned = re.sub(r"[\s,，、;]+", "", cells)
    limit = THIRDS * THIRDS
    if not cleaned or not cleaned.isdigit() or not all(1 <= int(c) <= limit for c in cleaned):
        raise ParamError(
            f"Pick regions 1 to {limit} (left to right, top to bottom: 1 2 3 / 4 5 6 / 7 8 9), "
            "like 5 or 4 5 6."
        )
    return frozenset(int(c) for c in cleaned)


_DIMENSIONS = _param("dimensions")


def split_dimensions(text: str) -> tuple[str, str]:
    """A /blend text's `--dimensions portrait|square|landscape` as an --ar value, and the text
    without it. Square without one."""
    found = _DIMENSIONS.search(text)
    if found is None:
        return text.strip(), BLEND_DIMENSIONS["square"]
    choice = unicodedata.normalize("NFKC", found.group(1) or "").lower()
    if choice not in BLEND_DIMENSIONS:
        raise ParamError(f"--dimensions takes {', '.join(BLEND_DIMENSIONS)}; got '{choice[:20]}'.")
    rest = (text[: found.start()] + text[found.end() :]).strip()
    return rest, BLEND_DIMENSIONS[choice]
