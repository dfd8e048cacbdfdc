"""The character data behind `filters.normalize`: what is invisible, what looks like what
(`filters.confusables`), what separates words. The tables built from it live in `normalize`."""

from __future__ import annotations

import unicodedata

LIMIT = 0x32400  # look-up tables cover every code point below (CJK extension H ends at 0x323AF)
TAGS = (0xE0000, 0xE0FFF)  # tags, variation selectors supplement, reserved: all invisible
SPACE = ord(" ")

# Code points that render as nothing (or nearly) and only serve to split a word for a filter.
INVISIBLE = [
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space and joiners, direction marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xFFF0, 0xFFF8),  # reserved, default ignorable
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical formatting controls
]
# Blank-looking symbols that `words_map` would otherwise keep as letters of a word: they
# separate words like a space (and, between Chinese characters, like nothing: see views).
BLANKS = [0x2800, 0x1D159]  # braille pattern blank, musical symbol null notehead
# Combining marks left after NFKD: diacritics and "zalgo" stacks. Only these blocks: the marks
# of other scripts (Japanese dakuten, Indic vowel signs) change the letter, not decorate it.
MARKS = [(0x0300, 0x036F), (0x0483, 0x0489), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF)]
MARKS += [(0x20D0, 0x20FF), (0xFE20, 0xFE2F)]

# Letter emoji without a compatibility decomposition, from their "A": regional indicators 🇳,
# negative circled 🅝 and negative squared 🅽 letters.
LETTER_EMOJI = (0x1F1E6, 0x1F150, 0x1F170)

# What people put between letters to split a Latin word: in the joined view they join its
# parts, or space them when the parts are words (see `filters.english`). Not `,` `:` `;` `!`
# `?`, which end a word. Between Chinese characters every separator and space is deleted.
SEPARATORS = ".-_*'`^+=~|/\\#·•‧・‐‑‒–—―⁃"
MARK = "\x01"  # where a separator was, in the joined view until `filters.english` decides

# Chinese, Japanese and Korean letters (not the katakana middle dot U+30FB: a separator).
CJK_CLASS = (
    "\u2e80-\u2fdf\u3040-\u30fa\u30fc-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U000323af"
)


def fold_map(lookalikes: dict[str, str]) -> dict[int, int | None]:
    """Invisible characters and decorating marks deleted, look-alikes (`filters.confusables`,
    which reads CJK_CLASS above) -> their Latin letter (applied after NFKD, before case
    folding)."""
    return {
        **{code: None for low, high in INVISIBLE + MARKS for code in range(low, high + 1)},
        **{ord(char): ord(letter) for char, letter in lookalikes.items()},
        **{first + i: ord("a") + i for first in LETTER_EMOJI for i in range(26)},
    }


def words_map() -> dict[int, int | None]:
    """Everything that separates words -> space: whitespace, controls, punctuation, symbols
    (emoji included). NUL is left alone: it separates views and batched terms."""
    ranges = [(0x0001, 0x2BFF), (0x2E00, 0x2E7F), (0x3000, 0x303F), (0x30FB, 0x30FB)]
    ranges += [(0xFE10, 0xFE6F), (0xFF00, 0xFFEF), (0x1F000, 0x1FAFF)]
    table: dict[int, int | None] = {
        code: SPACE
        for low, high in ranges
        for code in range(low, high + 1)
        if chr(code).isspace() or unicodedata.category(chr(code))[0] in "CPS"
    }
    table.update(dict.fromkeys(BLANKS, SPACE))
    return table


def joined_map() -> dict[int, int | None]:
    """As `words_map`, but separators -> MARK, and @ and $ kept for leet."""
    table = words_map()
    table.update({ord(char): ord(MARK) for char in SEPARATORS})
    table.update({ord("@"): ord("@"), ord("$"): ord("$")})
    return table
