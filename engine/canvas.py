"""Canvases for the editing actions: where the source image goes, and which pixels are painted.

    Zoom Out F   the canvas keeps the source's aspect and the model's pixel budget; the source
                 shrinks to 1/F of its sides in the middle and the border is painted.
    Pan DIR      the canvas grows by half the source on one side (aspect changes), scaled to the
                 budget; the source sits against the opposite edge and the new strip is painted.
    Make Square  a 1:1 canvas at the budget; the source's long side fills it, the rest is painted.
    Vary Region  the canvas is the source at the budget; the user's mask says what is painted.

Masks follow diffusers: white (255) is painted, black (0) kept. The kept box stops `overlap`
pixels short of every edge that meets painted canvas, so the model repaints a thin seam and the
new border blends in; `keep_source` then copies the kept pixels back exactly, because a VAE
round trip changes every pixel a little. Geometry is pure; the image helpers only use Pillow and
numpy (no torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from i18n import MessageError, t

if TYPE_CHECKING:
    from PIL import Image

Direction = Literal["left", "right", "up", "down"]
DIRECTIONS: tuple[Direction, ...] = ("left", "right", "up", "down")
ZOOM_MIN, ZOOM_MAX = 1.0, 2.0
PAN_GROWTH = 1.5  # a pan adds half the image on one side
MAX_RATIO = 4  # as for --ar: Stable Diffusion falls apart beyond 1:4
THIRDS = 3  # Vary (Region) without the web page: a 3x3 grid of cells, numbered 1..9


class CanvasError(MessageError, ValueError):
    """An edit that cannot be done on this image (already square, a mask that paints nothing):
    the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


@dataclass(frozen=True, slots=True)
class CanvasPlan:
    """A new canvas of width x height with the source resized into `source`; `keep` is the
    part left as it is (None: everything is painted)."""

    width: int
    height: int
    source: Box
    keep: Box | None


def fit_budget(width: int, height: int, budget: int, multiple: int) -> tuple[int, int]:
    """The size with the aspect of width x height that best uses `budget` pixels without going
    over it, both sides multiples of `multiple`: least ratio error plus unused share of the
    budget. 1360x768 at 512² and 8 is 680x384 (the size the source was first drawn at)."""
    if width <= 0 or height <= 0 or budget < multiple * multiple or multiple <= 0:
        raise ValueError(f"cannot fit {width}x{height} into {budget} pixels of {multiple}s")
    ratio = width / height
    ideal = math.sqrt(budget / ratio) // multiple  # in multiples; the best h is close to it
    best: tuple[float, int, int] | None = None
    for steps in range(max(1, int(ideal) - 16), int(ideal) + 2):
        h = steps * multiple
        below = math.floor(ratio * h / multiple) * multiple
        for w in (below, below + multiple):  # the multiples either side of the exact width
            if w < multiple or w * h > budget:
                continue
            error = abs(w / h / ratio - 1) + (1 - w * h / budget)
            if best is None or error < best[0]:
                best = (error, w, h)
    if best is None:
        raise CanvasError(
            t("{width}x{height} is too elongated to draw.", width=str(width), height=str(height))
        )
    return best[1], best[2]


def overlap_for(width: int, height: int) -> int:
    """Seam width repainted inside the source: one 8-pixel latent cell per 512 pixels."""
    return max(8, round(min(width, height) / 512) * 8)


def _keep_box(source: Box, width: int, height: int) -> Box:
    """The source box pulled in by the seam on each side that meets painted canvas."""
    seam = overlap_for(width, height)
    left = source.x + (seam if source.x > 0 else 0)
    top = source.y + (seam if source.y > 0 else 0)
    right = source.right - (seam if source.right < width else 0)
    bottom = source.bottom - (seam if source.bottom < height else 0)
    return Box(left, top, max(0, right - left), max(0, bottom - top))


def _plan(width: int, height: int, source: Box) -> CanvasPlan:
    keep = _keep_box(source, width, height)
    return CanvasPlan(width, height, source, keep if keep.width and keep.height else None)


def zoom_out(
    source_w: int, source_h: int, factor: float, budget: int, multiple: int
) -> CanvasPlan:
    """Zoom Out by `factor` (1.0..2.0): same aspect, same budget, the source in the middle."""
    if not ZOOM_MIN <= factor <= ZOOM_MAX:
        raise ValueError(f"zoom factor must be between {ZOOM_MIN} and {ZOOM_MAX}, got {factor}")
    width, height = fit_budget(source_w, source_h, budget, multiple)
    box_w, box_h = max(1, round(width / factor)), max(1, round(height / factor))
    return _plan(width, height, Box((width - box_w) // 2, (height - box_h) // 2, box_w, box_h))


def pan(
    source_w: int, source_h: int, direction: Direction, budget: int, multiple: int
) -> CanvasPlan:
    """Pan: the canvas grows by half the source towards `direction`, within the budget."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    across = direction in ("left", "right")
    grown_w = source_w * PAN_GROWTH if across else source_w
    grown_h = source_h if across else source_h * PAN_GROWTH
    if max(grown_w / grown_h, grown_h / grown_w) > MAX_RATIO:
        raise CanvasError(
            t(
                "panning would make the image more elongated than 1:{ratio}",
                ratio=str(MAX_RATIO),
            )
        )
    width, height = fit_budget(round(grown_w), round(grown_h), budget, multiple)
    scale = height / source_h if across else width / source_w
    box_w = min(width, round(source_w * scale))
    box_h = min(height, round(source_h * scale))
    if across:  # against the edge away from the new strip; any rounding pixel centred
        x, y = (width - box_w if direction == "left" else 0), (height - box_h) // 2
    else:
        x, y = (width - box_w) // 2, (height - box_h if direction == "up" else 0)
    return _plan(width, height, Box(x, y, box_w, box_h))


def make_square(source_w: int, source_h: int, budget: int, multiple: int) -> CanvasPlan:
    """Make Square: a 1:1 canvas, the source's long side across it, the rest painted."""
    if source_w == source_h:
        raise CanvasError(t("the image is already square"))
    side, _ = fit_budget(1, 1, budget, multiple)
    scale = side / max(source_w, source_h)
    box_w, box_h = round(source_w * scale), round(source_h * scale)
    return _plan(side, side, Box((side - box_w) // 2, (side - box_h) // 2, box_w, box_h))


def whole(source_w: int, source_h: int, budget: int, multiple: int) -> CanvasPlan:
    """Vary (Region): the source itself at the budget; the user's mask decides the rest."""
    width, height = fit_budget(source_w, source_h, budget, multiple)
    box = Box(0, 0, width, height)
    return CanvasPlan(width, height, box, box)


# images ----------------------------------------------------------------------------------


def place_source(source: Image.Image, plan: CanvasPlan) -> Image.Image:
    """The canvas: the source resized (Lanczos) into its box, the rest filled by stretching the
    source's edge pixels outwards, so a partial repaint starts from matching colours."""
    import numpy as np
    from PIL import Image

    box = plan.source
    fitted = source.convert("RGB").resize((box.width, box.height), Image.Resampling.LANCZOS)
    pad = ((box.y, plan.height - box.bottom), (box.x, plan.width - box.right), (0, 0))
    return Image.fromarray(np.pad(np.asarray(fitted), pad, mode="edge"))


def box_mask(plan: CanvasPlan) -> Image.Image:
    """White (painted) everywhere but the kept box."""
    from PIL import Image, ImageDraw

    mask = Image.new("L", (plan.width, plan.height), 255)
    if plan.keep is not None:
        keep = plan.keep
        ImageDraw.Draw(mask).rectangle((keep.x, keep.y, keep.right - 1, keep.bottom - 1), 0)
    return mask


def thirds_mask(width: int, height: int, cells: frozenset[int] | set[int]) -> Image.Image:
    """Cells 1..9 of a 3x3 grid (left to right, top to bottom) painted white."""
    from PIL import Image, ImageDraw

    if not cells or not all(1 <= cell <= THIRDS * THIRDS for cell in cells):
        raise ValueError(f"pick regions among 1..{THIRDS * THIRDS}, got {sorted(cells)}")
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for cell in cells:
        row, column = divmod(cell - 1, THIRDS)
        left, right = width * column // THIRDS, width * (column + 1) // THIRDS
        top, bottom = height * row // THIRDS, height * (row + 1) // THIRDS
        draw.rectangle((left, top, right - 1, bottom - 1), 255)
    return mask


def mask_from_drawing(drawing: Image.Image, width: int, height: int) -> Image.Image:
    """A user's drawn mask (any size and mode) as a black and white mask of width x height.

    Where the drawing is partly transparent, painted means opaque (strokes on a clear canvas);
    otherwise painted means light (white on black, as the region page sends it).
    ValueError when nothing, or everything, is painted."""
    from PIL import Image

    gray = drawing.convert("L")
    if drawing.mode in ("RGBA", "LA", "PA") or "transparency" in drawing.info:
        alpha = drawing.convert("RGBA").getchannel("A")
        if alpha.getextrema()[0] < 128:  # some of it is clear: the strokes are what is opaque
            gray = alpha
    mask = gray.resize((width, height), Image.Resampling.NEAREST).point(
        lambda value: 255 if value >= 128 else 0
    )
    low, high = mask.getextrema()
    if high == 0:
        raise CanvasError(t("the mask paints nothing: mark the region to repaint"))
    if low == 255:
        raise CanvasError(t("the mask paints the whole image: use Vary (Strong) for that"))
    return mask


def keep_source(generated: Image.Image, canvas: Image.Image, mask: Image.Image) -> Image.Image:
    """The generated image where the mask paints, the canvas exactly where it keeps."""
    import numpy as np
    from PIL import Image

    if not generated.size == canvas.size == mask.size:
        raise ValueError(
            f"sizes differ: generated {generated.size}, canvas {canvas.size}, mask {mask.size}"
        )
    painted = np.asarray(mask.convert("L"))[..., None] >= 128
    merged = np.where(painted, np.asarray(generated.convert("RGB")), np.asarray(canvas))
    return Image.fromarray(merged.astype("uint8"))
