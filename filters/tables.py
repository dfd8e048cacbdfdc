"""Character mappings applied fast: `bytes.translate` for ASCII text, numpy look-up tables for
the rest (`str.translate` costs about 100 ns per non-ASCII character)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from filters.charsets import LIMIT

_DELETE = np.uint32(0xFFFFFFFF)


class Table:
    """One character mapping (code -> code, or None to delete), in both fast forms."""

    def __init__(self, mapping: Mapping[int, int | None]) -> None:
        ascii_table = bytearray(range(256))
        deleted = bytearray()
        self.array = np.arange(LIMIT, dtype=np.uint32)
        for code, target in mapping.items():
            self.array[code] = _DELETE if target is None else target
            if code < 128 and target is None:
                deleted.append(code)
            elif code < 128:
                ascii_table[code] = target
        self.ascii, self.deleted = bytes(ascii_table), bytes(deleted)

    def bytes(self, data: bytes) -> bytes:
        return data.translate(self.ascii, self.deleted)

    def codes(self, codes: np.ndarray) -> np.ndarray:
        if codes.size and codes.max() >= LIMIT:
            mapped = np.where(codes < LIMIT, self.array[np.minimum(codes, LIMIT - 1)], codes)
        else:
            mapped = self.array[codes]
        return mapped[mapped != _DELETE]

    def text(self, text: str) -> str:
        if text.isascii():
            return self.bytes(text.encode("ascii")).decode("ascii")
        return from_code_points(self.codes(code_points(text)))


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def from_code_points(codes: np.ndarray) -> str:
    return codes.tobytes().decode("utf-32-le")
