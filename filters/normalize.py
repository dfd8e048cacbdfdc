"""Normalisation that undoes the usual evasions before banned terms are matched. Pure, no I/O.

`normalize(text)` turns a prompt into the one string the matcher scans: two views of the text,
joined by NUL, each padded with a space, with runs of a character collapsed.

1. fold: Unicode compatibility forms (full-width -> ASCII, 𝐧 -> n) with diacritics dropped,
   invisible characters removed (zero-width, bidi controls, variation selectors, tags),
   look-alikes mapped (Cyrillic and Greek homoglyphs, small capitals, letter emoji), case
   folded, traditional Chinese -> simplified (OpenCC `t2s`).
2. words view: punctuation, symbols and whitespace become spaces. A Latin term padded with
   spaces (" ass ") can then only match a whole word: "grass", "class" and "assassin" never
   contain " ass ".
3. joined view: separators inside words are deleted (`n.s.f.w`, `n-s-f-w`, `裸_体`), runs of
   single characters are joined (`n s f w`), then leet is undone (0->o, 1->i, 3->e, 4/@->a,
   5/$->s). Kept apart from the words view because "well-known" must still contain " known ".
4. collapse: every run of one character becomes one (`nuuude` -> `nude`, and runs of spaces),
   in the prompt and in the terms alike; `Collapsed.run` gives the original run length, so the
   matcher can insist that "ass" needs two s's while "nude" takes any number of u's.

Speed: a check should cost microseconds. ASCII text (most prompts) goes through
`bytes.translate`; other text through numpy look-up tables, because `str.translate` costs
about 100 ns per non-ASCII character. NUL separates the views (and terms, when many are
normalised at once): a prompt's own NULs become spaces first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from filters.charsets import (
    CJK_CLASS,
    FOLD_MAP,
    LEET_MAP,
    LIMIT,
    TAGS,
    joined_map,
    words_map,
)
from lexicon.script import t2s

_DELETE = np.uint32(0xFFFFFFFF)
_CJK = re.compile(f"[{CJK_CLASS}]")
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_LATIN = re.compile("[a-z]")
_LIGATURES = (("æ", "ae"), ("Æ", "ae"), ("œ", "oe"), ("Œ", "oe"))
_LEET_CHARS = re.compile("[01345@$]")
# Two single characters in a row ("n s"): a cheap test before the join below.
_PAIR = re.compile(r"[ \0][^ \0] +[^ \0][ \0]")
_PAIR_B = re.compile(rb"[ \0][^ \0] +[^ \0][ \0]")
# A run of single characters, after the space before it (views are padded: there is one).
_SINGLES = re.compile(r"([ \0])([^ \0](?: +[^ \0](?=[ \0]))+)")


class _Table:
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


_FOLD = _Table(FOLD_MAP)
_WORDS = _Table(words_map())
_JOINED = _Table(joined_map())
_LEET = _Table(LEET_MAP)


@cache
def _traditional() -> re.Pattern[str]:
    """The characters t2s changes, to skip OpenCC (most of a check's time) for text without."""
    basic = "".join(map(chr, range(0x4E00, 0xA000)))
    converted = t2s().convert(basic)
    changed = sorted({a for a, b in zip(basic, converted, strict=True) if a != b})
    return re.compile("[" + "".join(changed) + "]")


def fold(text: str) -> str:
    """Step 1: one spelling per character (see the module docstring)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    for ligature, letters in _LIGATURES:  # the only look-alikes that stand for two letters
        if ligature in text:
            text = text.replace(ligature, letters)
    codes = code_points(text)
    if codes.size and codes.max() >= TAGS[0]:
        codes = codes[(codes < TAGS[0]) | (codes > TAGS[1])]
    # Look-alikes before case folding: Greek Ν is an N, its small letter ν a v.
    folded = from_code_points(_FOLD.codes(codes)).casefold()
    folded = unicodedata.normalize("NFC", folded)
    if _CJK.search(folded) and _traditional().search(folded):
        folded = t2s().convert(folded)
    return folded


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def has_cjk(text: str) -> bool:
    return not text.isascii() and bool(_CJK.search(text))


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def from_code_points(codes: np.ndarray) -> str:
    return codes.tobytes().decode("utf-32-le")


def _join_singles(view: str) -> str:
    """Join runs of single characters: "n s f w" -> "nsfw". A run that starts with "a" or "i"
    may be the English word before a spelled-out one ("a n s f w"), so it is followed by its
    reading without them.

    Found with the cheap pair search, then matched in place: one `sub` over the whole view
    costs four times as much, and most views have no run at all."""
    parts: list[str] = []
    done = 0
    while pair := _PAIR.search(view, done):
        run = _SINGLES.match(view, pair.start())
        assert run is not None  # a pair is the start of a run
        joined = run[2].replace(" ", "")
        if joined[0] in "ai" and len(joined) > 2:
            joined += " " + joined[1:]
        parts += [view[done : run.start()], run[1], joined]
        done = run.end()
    return "".join(parts) + view[done:] if parts else view


def views(folded: str) -> tuple[str, str, str]:
    """Steps 2-3 on folded text: (words view, joined view, joined view with leet undone),
    each padded with a space at both ends; spaces are not yet collapsed. NUL is kept."""
    if folded.isascii():
        data = folded.encode("ascii")
        words = (b" " + _WORDS.bytes(data) + b" ").decode()
        joined_bytes = b" " + _JOINED.bytes(data) + b" "
        if not _PAIR_B.search(joined_bytes):
            return words, joined_bytes.decode(), _LEET.bytes(joined_bytes).decode()
        joined = _join_singles(joined_bytes.decode())
        return words, joined, _LEET.bytes(joined.encode()).decode()
    if _LATIN.search(folded) and _CJK.search(folded):
        # Chinese needs no spaces, so "裸体nude" must still show " nude " to a Latin term.
        folded = _CJK_RUN.sub(r" \g<0> ", folded)
    codes = code_points(folded)
    words = " " + from_code_points(_WORDS.codes(codes)) + " "
    joined = " " + from_code_points(_JOINED.codes(codes)) + " "
    joined = _join_singles(joined)
    if not _LEET_CHARS.search(joined):
        return words, joined, joined
    return words, joined, from_code_points(_LEET.codes(code_points(joined)))


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


@dataclass(frozen=True, slots=True, eq=False)
class Normalized:
    """A prompt as the matcher scans it (`scan`), with what it needs to check a candidate."""

    scan: Collapsed  # words view + NUL + joined view (leet undone), collapsed
    before_leet: str  # the same, uncollapsed, with the digits as typed: "455" is not "ass"
    joined_start: int  # index in `scan.text` where the joined view begins
    joined: str  # the joined view, leet undone, uncollapsed

    @property
    def readable(self) -> str:
        """The joined view for people: "N.S.F.W" -> "nsfw", "p0rn" -> "porn", "裸體" -> "裸体"."""
        return " ".join(self.joined.split())


def normalize(text: str) -> Normalized:
    """Steps 1-4 on a prompt (see the module docstring)."""
    words, joined, unleeted = views(fold(text.replace("\0", " ")))
    scan = collapse(words + "\0" + unleeted)
    return Normalized(scan, words + "\0" + joined, scan.text.index("\0") + 1, unleeted)


def term_views(terms: Sequence[str]) -> list[tuple[str, str]]:
    """Steps 1-3 on many terms in one pass: (words view, joined view with leet undone) each,
    stripped, single-spaced. A term's keys are these, padded and collapsed by the matcher."""
    if not terms:
        return []
    words, _, unleeted = views(fold("\0".join(term.replace("\0", " ") for term in terms)))
    return [
        (" ".join(w.split()), " ".join(j.split()))
        for w, j in zip(words.split("\0"), unleeted.split("\0"), strict=True)
    ]
