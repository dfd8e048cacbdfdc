"""Image files on disk under unguessable names (a name is the only key to an image)."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# 128 random bits in hex: nothing else is an image name, so no name a client sends (.., /,
# %2F, absolute) can reach another file.
_NAME = re.compile(r"[0-9a-f]{32}\.png")


@dataclass(frozen=True, slots=True)
class StoredImage:
    path: str  # relative to the image store's root, with forward slashes
    md5: str
    width: int
    height: int


class ImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save_png(self, image: Image.Image) -> StoredImage:
        """Encode once, hash the bytes we write, and shard by name so no folder grows huge."""
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data = buffer.getvalue()
        name = secrets.token_hex(16)  # 128 random bits: not guessable, safe in URLs and shells
        relative = f"{name[:2]}/{name}.png"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return StoredImage(relative, hashlib.md5(data).hexdigest(), image.width, image.height)

    def delete(self, relative: str) -> None:
        """Remove a file saved for a job that ended another way (it will never be shown)."""
        (self.root / relative).unlink(missing_ok=True)

    def absolute(self, relative: str) -> Path:
        return self.root / relative

    def find(self, name: str) -> Path | None:
        """The stored file named `name` (its random name, without the shard folder)."""
        if not _NAME.fullmatch(name):
            return None
        path = self.root / name[:2] / name
        return path if path.is_file() else None

    def remove(self, relatives: list[str]) -> None:
        """Delete stored files (missing ones are fine); never anything outside the store."""
        root = self.root.resolve()
        for relative in relatives:
            path = (self.root / relative).resolve()
            if path.is_relative_to(root) and path != root:
                path.unlink(missing_ok=True)
