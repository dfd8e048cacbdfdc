"""The strong blur shown in place of a flagged image under the `blur` policy."""

from __future__ import annotations

from PIL import Image, ImageFilter

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
