"""Images ready for a platform's upload limit (each adapter knows its own)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    filename: str  # with the extension of the format actually used
    width: int
    height: int


def fit_upload(source: Path | bytes, max_bytes: int, name: str = "grid") -> Upload:
    """The original PNG if it fits; else JPEG at falling quality; else smaller JPEGs.

    Telegram also wants photos no larger than 10000 px on the sides added together, and
    a ratio within 20:1; our sizes (≤ 2048 px a side, ratios ≤ 4:1) already meet both.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    with Image.open(io.BytesIO(raw)) as opened:
        image = opened.convert("RGB")
    if len(raw) <= max_bytes:
        return Upload(raw, f"{name}.png", image.width, image.height)
    scale = 1.0
    while True:
        current = (
            image
            if scale == 1.0
            else image.resize(
                (max(1, int(image.width * scale)), max(1, int(image.height * scale))),
                Image.Resampling.LANCZOS,
            )
        )
        for quality in (95, 90, 85, 75):
            buffer = io.BytesIO()
            current.save(buffer, format="JPEG", quality=quality, optimize=True)
            if buffer.tell() <= max_bytes:
                return Upload(buffer.getvalue(), f"{name}.jpg", current.width, current.height)
        scale *= 0.8
