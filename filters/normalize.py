"""Normalisation that undoes the usual evasions before banned terms are matched. Pure, no I/O.

`normalize(text)` turns a prompt into the one string the matcher scans: views of the text,
joined by NUL, each padded with a space, with runs of a character collapsed.

1. fold: Unicode compatibility forms (full-width -> ASCII, 𝐧 -> n) with diacritics dropped,
   invisible characters removed (zero-width, bidi controls, variation selectors, tags),
   look-alikes mapped to Latin letters (Unicode's confusables data: `filters.confusables`;
   letter emoji), case folded, traditional Chinese -> simplified (OpenCC `t2s`).
2. words view: punctuation, symbols and whitespace become spaces. A Latin term padded with
   spaces (" ass ") can then only match a whole word: "grass", "class" and "assassin" never
   contain " ass ".
3. joined view: between Chinese characters every separator, space, blank and symbol is
   deleted (裸 体, 裸，体, 裸⠀体 -> 裸体; the matcher's word boundaries keep 出色，情况
   apart). Inside Latin words separators join the parts unless the parts are words on their
   own (`n.s.f.w`, `r-ape` joined; `pen-is`, `well-known` not: `filters.english`). Runs of
   single characters are joined (`n s f w`), then leet is undone (first readings,
   `filters.leet`). Kept apart from the words view because "well-known" must still contain
   " known ". Then, rarely, the joined views of the other leet readings (`leet.variants`).
4. collapse: every run of one character becomes one (`filters.collapse`), in the prompt and
   in the terms alike.

Speed: a check should cost microseconds. ASCII text (most prompts) goes through
`bytes.translate`; other text through numpy look-up tables (`filters.tables`). NUL separates
the views (and terms, when many are normalised at once): a prompt's own NULs become spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from filters.charsets import CJK_CLASS, MARK, TAGS, fold_map, joined_map, words_map
from filters.collapse import Collapsed, collapse
from filters.confusables import lookalikes
from filters.english import join_parts
from filters.leet import FIRST, variants
from filters.tables import Table, code_points, from_code_points
from lexicon.script import t2s

_CJK = re.compile(f"[{CJK_CLASS}]")
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
# What lies between two Chinese characters in the joined view: never a word boundary.
_CJK_GAP = re.compile(f"(?<=[{CJK_CLASS}])[ {MARK}]+(?=[{CJK_CLASS}])")
_LATIN = re.compile("[a-z]")
_LIGATURES = (("æ", "ae"), ("Æ", "ae"), ("œ", "oe"), ("Œ", "oe"))
# Half a UTF-16 pair: JSON and chat APIs can deliver one, and no codec can encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")
_LEET_CHARS = re.compile("[" + re.escape("".join(map(chr, FIRST))) + "]")
_WORD_END = re.compile("[ \0]")
_MARK_B = MARK.encode()
# Two single characters in a row ("n s"): a cheap test before the join below.
_PAIR = re.compile(r"[ \0][^ \0] +[^ \0][ \0]")
_PAIR_B = re.compile(rb"[ \0][^ \0] +[^ \0][ \0]")
# A run of single characters, after the space before it (views are padded: there is one).
_SINGLES = re.compile(r"([ \0])([^ \0](?: +[^ \0](?=[ \0]))+)")

_FOLD = Table(fold_map(lookalikes()))
_WORDS = Table(words_map())
_JOINED = Table(joined_map())
_LEET = Table(FIRST)


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
    text = unicodedata.normalize("NFKD", _SURROGATE.sub(" ", text))
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


def _join_marked(view: str) -> str:
    """Each word with separators in it as `english.join_parts` reads it. Found from its marks
    outwards: a regex for "a word with a mark in it" backtracks over every word of the view."""
    parts: list[str] = []
    done = 0
    while (mark := view.find(MARK, done)) >= 0:
        start = max(view.rfind(" ", done, mark), view.rfind("\0", done, mark)) + 1
        end = _WORD_END.search(view, mark).start()  # views end with a space: there is one
        word = view[start:end]
        parts += [view[done:start], join_parts([part for part in word.split(MARK) if part])]
        done = end
    return "".join(parts) + view[done:] if parts else view


def views(folded: str) -> tuple[str, str, str]:
    """Steps 2-3 on folded text: (words view, joined view, joined view with leet undone),
    each padded with a space at both ends; spaces are not yet collapsed. NUL is kept."""
    if folded.isascii():
        data = folded.encode("ascii")
        words = (b" " + _WORDS.bytes(data) + b" ").decode()
        joined_bytes = b" " + _JOINED.bytes(data) + b" "
        if _MARK_B in joined_bytes:
            joined_bytes = _join_marked(joined_bytes.decode()).encode()
        if _PAIR_B.search(joined_bytes):
            joined_bytes = _join_singles(joined_bytes.decode()).encode()
        return words, joined_bytes.decode(), _LEET.bytes(joined_bytes).decode()
    if _LATIN.search(folded) and _CJK.search(folded):
        # Chinese needs no spaces, so "裸体nude" must still show " nude " to a Latin term.
        folded = _CJK_RUN.sub(r" \g<0> ", folded)
    codes = code_points(folded)
    words = " " + from_code_points(_WORDS.codes(codes)) + " "
    joined = " " + from_code_points(_JOINED.codes(codes)) + " "
    if _CJK.search(joined):
        joined = _CJK_GAP.sub("", joined)
    joined = _join_singles(_join_marked(joined))
    if not _LEET_CHARS.search(joined):
        return words, joined, joined
    return words, joined, _LEET.text(joined)


@dataclass(frozen=True, slots=True, eq=False)
class Normalized:
    """A prompt as the matcher scans it (`scan`), with what it needs to check a candidate."""

    scan: Collapsed  # words view, NUL, joined view, then NUL and each other leet reading
    before_leet: str  # the same, uncollapsed, with the digits as typed: "455" is not "ass"
    joined_start: int  # where the joined view begins in `scan.text`
    joined_end: int  # and where it ends
    joined: str  # the joined view, leet undone, uncollapsed
    joined_offset: int  # where `joined` begins in the uncollapsed scan text
    folded: str  # step 1's text, for another reading (`english.glue`)

    @property
    def readable(self) -> str:
        """The joined view for people: "N.S.F.W" -> "nsfw", "p0rn" -> "porn", "裸體" -> "裸体"."""
        return " ".join(self.joined.split())

    def offset(self, start: int) -> int:
        """Where scan.text[start] lies in its own view: matches in any view, in text order."""
        return start - (self.scan.text.rfind("\0", 0, start) + 1)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Where scan.text[start : end + 1] lies in `joined` (from the last repeat of its
        first character to the first repeat of its last: the shortest reading)."""
        first = self.scan.original(start) + self.scan.run(start) - 1
        return first - self.joined_offset, self.scan.original(end) + 1 - self.joined_offset


def normalize(text: str) -> Normalized:
    """Steps 1-4 on a prompt (see the module docstring)."""
    return normalize_folded(fold(text.replace("\0", " ")))


def normalize_folded(folded: str) -> Normalized:
    """Steps 2-4 on folded text (the matcher's second reading of "the-rapist" starts here)."""
    words, joined, unleeted = views(folded)
    before_leet, scan_text = words + "\0" + joined, words + "\0" + unleeted
    if pieces := variants(folded):  # all in one pass, NUL between them
        _, other_joined, other_unleeted = views("\0".join(f" {piece} " for piece in pieces))
        before_leet += "\0" + other_joined
        scan_text += "\0" + other_unleeted
    scan = collapse(scan_text)
    joined_start = scan.text.index("\0") + 1
    joined_end = scan.text.find("\0", joined_start)
    if joined_end < 0:
        joined_end = len(scan.text)
    return Normalized(
        scan, before_leet, joined_start, joined_end, unleeted, len(words) + 1, folded
    )


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
