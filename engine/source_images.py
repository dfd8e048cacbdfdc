"""A job's source images read from the image store: a start image, a blend's images, an
inpainting canvas and its mask, each fitted to the size the job draws at.

Apart from the backend because this is plain PIL work on stored files (no model, no torch),
and an unreadable file becomes the GenerationFailed its user reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import GenerationFailed
from i18n import t


def open_source(
    images_dir: Path, stored: str, size: tuple[int, int] | None, mode: str = "RGB"
) -> Any:
    """A stored image fitted to `size`; None: as stored (the GAN upscaler enlarges it)."""
    from PIL import Image, ImageOps

    path = Path(stored)
    path = path if path.is_absolute() else images_dir / path
    try:
        with Image.open(path) as opened:
            image = opened.convert(mode)
    except (OSError, ValueError) as exc:
        raise GenerationFailed(
            f"A source image could not be read: {exc}",
            public=t(
                "A source image of this job could not be read (it may have been removed); "
                "draw again from a new image."
            ),
        ) from exc
    if size is None:
        return image
    if mode == "L":  # a mask: exact pixels, never blurred into grey
        return image if image.size == size else image.resize(size, Image.Resampling.NEAREST)
    # Crop to the job's aspect (a no-op for upscales and variations), then Lanczos: the
    # sharpest classic resampler, so a 2x hires pass starts from as much detail as possible.
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
