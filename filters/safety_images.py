"""What users see in place of a flagged image: the strong blur (`blur`), or a withheld tile
in the grid (`block`)."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFilter

# The long side is averaged down to this many pixels first: a Gaussian blur alone can be
# partly undone (deconvolution), while averaging throws the detail away for good.
_CELLS = 12


def strong_blur(image: Image.Image) -> Image.Image:
    """The same size, as soft colour patches: shapes and faces cannot be made out or restored.

    1. Average the image down to at most 12 pixels on its long side (box filter).
    2. Scale it back up smoothly, then blur by a twentieth of the long side so no blocks show.
    """
    rgb = image.convert("RGB")
    width, height = rgb.size
    scale = _CELLS / max(width, height)
    small = rgb.resize(
        (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX
    )
    smooth = small.resize((width, height), Image.Resampling.BILINEAR)
    return smooth.filter(ImageFilter.GaussianBlur(radius=max(width, height) / 20))


def withheld_tile(size: tuple[int, int]) -> Image.Image:
    """A dark tile with a "no" sign (a slashed circle): the image was withheld. No text, so
    it reads the same in every language and needs no font."""
    width, height = size
    tile = Image.new("RGB", size, (48, 48, 52))
    radius = min(width, height) // 5
    if radius < 2:
        return tile
    centre_x, centre_y = width // 2, height // 2
    box = (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)
    line = max(1, radius // 5)
    draw = ImageDraw.Draw(tile)
    draw.ellipse(box, outline=(170, 170, 175), width=line)
    offset = int(radius * 0.7)
    slash = (centre_x - offset, centre_y + offset, centre_x + offset, centre_y - offset)
    draw.line(slash, fill=(170, 170, 175), width=line)
    return tile
