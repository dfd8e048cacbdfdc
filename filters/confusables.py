"""Which Latin letter a character looks like, from Unicode's confusables data.

The data is Unicode's confusables.txt as the `confusable_homoglyphs` package ships it (a JSON
map from each character to the characters it can be mistaken for). NFKD runs first and already
turns compatibility forms (full-width, mathematical, circled letters) into ASCII, so this
covers what it leaves: other scripts' letters (Cyrillic а, Greek ο, Armenian օ, Cherokee Ꭺ),
Latin letters without a decomposition (ɑ, ł, small capital ᴅ) and symbols (× for x).

A character maps to a letter when
1. the data lists exactly one ASCII letter among its look-alikes, ignoring combining marks
   (Ø is listed as O̸). Unicode counts capital I as a look-alike of small l; we fold case
   afterwards, so a capital that looks like I becomes i;
2. otherwise, when its Unicode name says which Latin letter it is (LATIN SMALL LETTER L WITH
   STROKE, LATIN LETTER SMALL CAPITAL N), since the data leaves out many of these;
3. otherwise, for a small letter, when its capital maps (Greek κ as Κ, Cyrillic м as М).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources

from filters.charsets import CJK_CLASS

_LATIN_NAME = re.compile(
    r"LATIN (?:CAPITAL |SMALL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: WITH .+)?"
)
# Latin letters beyond ASCII, by block: rule 2 reads these characters' names.
_LATIN_BLOCKS = [(0x00C0, 0x02AF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F)]
_LATIN_BLOCKS += [(0xA720, 0xA7FF), (0xAB30, 0xAB6F)]
_NOT_MAPPED = re.compile(f"[{CJK_CLASS}\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]")


def _foldable(char: str) -> bool:
    """Left alone by NFKD, not ASCII, not a script matched as itself."""
    return (
        not char.isascii()
        and unicodedata.normalize("NFKD", char) == char
        and not _NOT_MAPPED.match(char)
    )


def _ascii_letter(glyph: str) -> str | None:
    # The data wraps right-to-left glyphs in left-to-right marks.
    decomposed = unicodedata.normalize("NFKD", glyph.strip("\u200e"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.lower() if len(plain) == 1 and plain.isascii() and plain.isalpha() else None


def _own_letter(char: str, glyphs: list[dict[str, str]]) -> str | None:
    """Rules 1 and 2 for one character."""
    letters = {letter for glyph in glyphs if (letter := _ascii_letter(glyph["c"]))}
    if len(letters) == 1:
        letter = letters.pop()
        return "i" if letter == "l" and char.isupper() else letter
    named = _LATIN_NAME.fullmatch(unicodedata.name(char, ""))
    return named[1].lower() if named else None


@cache
def lookalikes() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter it looks like, for every character NFKD leaves
    alone. CJK, kana and Hangul are left out: they are matched as themselves."""
    # The package's data file, read directly: its modules import urllib (0.1 s) to fetch
    # newer data, which the bot never does.
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    confusables_data = json.loads(data.read_text(encoding="utf-8"))
    candidates = {char for char in confusables_data if len(char) == 1}
    candidates |= {chr(code) for low, high in _LATIN_BLOCKS for code in range(low, high + 1)}
    candidates = set(filter(_foldable, candidates))
    table = {
        char: letter
        for char in candidates
        if (letter := _own_letter(char, confusables_data.get(char, [])))
    }
    for capital, letter in list(table.items()):  # rule 3
        small = capital.lower()
        if small != capital and len(small) == 1 and small not in table and _foldable(small):
            table[small] = letter
    return table
