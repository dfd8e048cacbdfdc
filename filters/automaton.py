"""The Aho-Corasick automata (pyahocorasick) that find every key of every term in one pass.

Keys that start with a CJK character live in a second automaton, run only on text with CJK in
it. Why: pyahocorasick finds a node's child by a linear scan, so the root's children are
scanned for most characters of a text. A few dozen are cheap; thousands of Chinese terms bring
thousands, which made a Chinese prompt's check 40 times slower. So beyond `_SPELL_ABOVE` first
characters, that automaton spells each CJK character of its keys as three 6-bit symbols: every
node then has at most 64 children, the root about 6.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import ahocorasick
import numpy as np

from filters.charsets import LIMIT
from filters.normalize import has_cjk, is_cjk
from filters.tables import code_points, from_code_points

# How the CJK automaton spells a CJK character: three private-use symbols of 6 bits each
# (code points are below 2**18), from three separate ranges.
_SYMBOLS, _BITS, _SYMBOL_BASE = 3, 6, 0xF0000
_SPELL_ABOVE = 64


def _automaton(items: Iterable[tuple[str, Any]]) -> ahocorasick.Automaton | None:
    automaton = ahocorasick.Automaton()
    for key, value in items:
        automaton.add_word(key, value)
    if len(automaton) == 0:
        return None
    automaton.make_automaton()
    return automaton


class Automata:
    """Keys (normalised, collapsed) and what each stands for; `hits` finds them in a text."""

    def __init__(self, keys: Mapping[str, Any]) -> None:
        cjk_first = [key for key in keys if is_cjk(key[0])]
        self._spelled: np.ndarray | None = None  # which characters the CJK automaton spells
        if len({key[0] for key in cjk_first}) > _SPELL_ABOVE:
            self._spelled = np.zeros(LIMIT, dtype=bool)
            self._spelled[sorted({ord(c) for key in cjk_first for c in key if is_cjk(c)})] = True
        self._latin = _automaton((key, value) for key, value in keys.items() if not is_cjk(key[0]))
        self._cjk = _automaton((self._spell(key)[0], keys[key]) for key in cjk_first)

    def _spell(self, text: str) -> tuple[str, np.ndarray | None]:
        """`text` as the CJK automaton reads it, and for each character of `text` the index of
        its last symbol there (None if no character needed spelling)."""
        if self._spelled is None:
            return text, None
        codes = code_points(text)
        spelled = self._spelled[np.minimum(codes, LIMIT - 1)] & (codes < LIMIT)
        if not spelled.any():
            return text, None
        widths = spelled.astype(np.intp) * (_SYMBOLS - 1) + 1
        ends = np.cumsum(widths) - 1
        out = np.repeat(codes, widths)
        chars, last = codes[spelled], ends[spelled]
        for i in range(_SYMBOLS):  # most significant bits first
            shift = _BITS * (_SYMBOLS - 1 - i)
            digit = (chars >> shift) & ((1 << _BITS) - 1)
            out[last - (_SYMBOLS - 1 - i)] = _SYMBOL_BASE + (i << 8) + digit
        return from_code_points(out), ends

    def hits(self, text: str) -> Iterator[tuple[int, Any]]:
        """(index of the last character in `text`, entries) for every key found in `text`."""
        if self._latin is not None:
            yield from self._latin.iter(text)
        if self._cjk is None or not has_cjk(text):
            return
        spelled, ends = self._spell(text)
        if ends is None:
            yield from self._cjk.iter(spelled)  # unspelled, or no character of a key in it
            return
        for end, found in self._cjk.iter(spelled):
            yield int(np.searchsorted(ends, end)), found
