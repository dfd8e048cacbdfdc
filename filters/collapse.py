"""Step 4 of normalisation: runs of one character collapsed to one, remembering their length
("nuuude" -> "nude", so the matcher can insist that "ass" needs two s's while "nude" takes
any number of u's)."""

from __future__ import annotations

import numpy as np

from filters.tables import code_points


class Collapsed:
    """Text with every run of one character shortened to one, and where each run began.

    Where runs began is computed on first use: most prompts have no candidate match that
    needs it, and it is a third of the cost of collapsing."""

    __slots__ = ("_keep", "_starts", "length", "text")

    def __init__(self, text: str, keep: np.ndarray | None, length: int) -> None:
        self.text = text  # collapsed
        self.length = length  # before collapsing
        self._keep = keep  # per original character: does a run start here? None: all do
        self._starts: np.ndarray | None = None

    def _start(self, index: int) -> int:
        if self._keep is None:
            return index
        if self._starts is None:
            self._starts = np.append(np.flatnonzero(self._keep), self.length)
        return int(self._starts[index])

    def original(self, index: int) -> int:
        """Where text[index] began before collapsing."""
        return self._start(index)

    def run(self, index: int) -> int:
        """How many times text[index] was repeated before collapsing."""
        return self._start(index + 1) - self._start(index)


def collapse(text: str) -> Collapsed:
    """Step 4, vectorised: one numpy comparison instead of a regex with a back-reference."""
    if text.isascii():
        codes = np.frombuffer(text.encode("ascii"), np.uint8)
        decode = "ascii"
    else:
        codes, decode = code_points(text), "utf-32-le"
    keep = np.empty(len(codes), dtype=bool)
    keep[:1] = True
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return Collapsed(codes[keep].tobytes().decode(decode), keep, len(text))


def collapse_runs(text: str) -> tuple[str, tuple[int, ...]]:
    """Step 4 for a short string (a term's key): the collapsed text and its run lengths."""
    chars: list[str] = []
    runs: list[int] = []
    for char in text:
        if chars and chars[-1] == char:
            runs[-1] += 1
        else:
            chars.append(char)
            runs.append(1)
    return "".join(chars), tuple(runs)
