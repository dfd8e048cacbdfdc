"""The character data behind `filters.normalize`: what is invisible, what looks like what,
what separates words. Data only; the tables built from it live in `normalize`."""

from __future__ import annotations

import unicodedata

LIMIT = 0x32400  # look-up tables cover every code point below (CJK extension H ends at 0x323AF)
TAGS = (0xE0000, 0xE01EF)  # tag characters and variation selectors supplement: invisible
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
    (0x1D173, 0x1D17A),  # musical formatting controls
]
# Combining marks left after NFKD: diacritics and "zalgo" stacks. Only these blocks: the marks
# of other scripts (Japanese dakuten, Indic vowel signs) change the letter, not decorate it.
MARKS = [(0x0300, 0x036F), (0x0483, 0x0489), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF)]
MARKS += [(0x20D0, 0x20FF), (0xFE20, 0xFE2F)]

# Look-alikes NFKC leaves alone, mapped before case folding because a capital and its small
# letter can look like different Latin letters (Greek Ν is N, ν is v). (æ and œ, which stand
# for two letters, are replaced before these tables apply.)
HOMOGLYPHS = {
    # Cyrillic and Greek capitals
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "Ԁ": "d", "Һ": "h", "Ԛ": "q",
    "Ԝ": "w", "Ӏ": "l", "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k",
    "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q",
    "ԝ": "w", "ӏ": "l", "ь": "b",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    # Latin letters without a decomposition, and small capitals
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ƀ": "b", "ɨ": "i",
    "ɡ": "g",
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}  # fmt: skip
# Letter emoji without a compatibility decomposition, from their "A": regional indicators 🇳,
# negative circled 🅝 and negative squared 🅽 letters.
LETTER_EMOJI = (0x1F1E6, 0x1F150, 0x1F170)

# Deleted inside words in the joined view: what people put between letters to split a word.
# Not `,` `:` `;` `!` `?`: "出色，情况" must not become "出色情况".
SEPARATORS = ".-_*'`^+=~|/\\#·•‧・‐‑‒–—―⁃"
LEET_MAP = {ord(digit): ord(letter) for digit, letter in zip("01345@$", "oieasas", strict=True)}

CJK_CLASS = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\U00020000-\U000323af"
)

# The map applies before case folding, so a small letter's capital maps like it unless listed.
for _small, _latin in list(HOMOGLYPHS.items()):
    if len(_small.upper()) == 1 and not _small.upper().isascii():
        HOMOGLYPHS.setdefault(_small.upper(), _latin)

FOLD_MAP: dict[int, int | None] = {
    **{code: None for low, high in INVISIBLE + MARKS for code in range(low, high + 1)},
    **{ord(k): ord(v) for k, v in HOMOGLYPHS.items()},
    **{first + i: ord("a") + i for first in LETTER_EMOJI for i in range(26)},
}


def words_map() -> dict[int, int | None]:
    """Everything that separates words -> space: whitespace, controls, punctuation, symbols
    (emoji included). NUL is left alone: it separates views and batched terms."""
    ranges = [(0x0001, 0x2BFF), (0x2E00, 0x2E7F), (0x3000, 0x303F), (0x30FB, 0x30FB)]
    ranges += [(0xFE10, 0xFE6F), (0xFF00, 0xFFEF), (0x1F000, 0x1FAFF)]
    return {
        code: SPACE
        for low, high in ranges
        for code in range(low, high + 1)
        if chr(code).isspace() or unicodedata.category(chr(code))[0] in "CPS"
    }


def joined_map() -> dict[int, int | None]:
    """As `words_map`, but separators are deleted, and @ and $ kept for leet."""
    table = words_map()
    table.update({ord(char): None for char in SEPARATORS})
    table.update({ord("@"): ord("@"), ord("$"): ord("$")})
    return table
