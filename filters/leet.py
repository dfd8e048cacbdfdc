"""Leet: digits and symbols written for letters, in every reading that could matter.

Each leet character has a first reading, which the joined view always applies (`FIRST`).
Three stand for more than one letter: 1 for i or l, 6 for g or b, | for nothing (a separator,
"n|u|d|e") or l ("nipp|e"). A word with some of them is also read with the other letters, in
every combination (`variants`): "chi1d" as "child", "|o|i" as "loli". Numbers are never read
as leet ("455" is not "ass"): the matcher checks that a match covers more than digits.
"""

from __future__ import annotations

import itertools
import re

FIRST = {ord(char): ord(letter) for char, letter in zip("013456789@$", "oieasgtbgas", strict=True)}
OTHER = {"1": "l", "6": "b", "|": "l"}  # second readings ("|" is first a separator)
MAX_VARIANTS = 15  # per word: 4 ambiguous characters in every combination
# Per prompt: beyond this many, a word gets only its all-other reading, so a prompt of a
# thousand "1a1a1a1a" costs milliseconds, not tens of them.
MAX_COMBINATIONS = 128
CONTEXT = 2  # words kept either side of a variant, for terms of several words

_AMBIGUOUS = re.compile("[" + re.escape("".join(OTHER)) + "]")
_LETTER = re.compile("[a-z]")


def variants(folded: str) -> list[str]:
    """For each word of `folded` with an ambiguous character and a letter, the other readings
    of that word, each with `CONTEXT` words either side: "a chi1d p0rn" -> ["a child p0rn"].
    Empty for most prompts (no 1, 6 or | in a word)."""
    if not any(char in folded for char in OTHER):  # `in` is a memchr: faster than a regex
        return []
    words = folded.split()
    pieces = []
    for index, word in enumerate(words):
        where = [match.start() for match in _AMBIGUOUS.finditer(word)]
        if not where or not _LETTER.search(word):
            continue
        before = words[max(0, index - CONTEXT) : index]
        after = words[index + 1 : index + 1 + CONTEXT]
        choices = itertools.product((False, True), repeat=len(where))
        next(choices)  # all first readings: the joined view has that one
        if len(pieces) >= MAX_COMBINATIONS:
            choices = iter([(True,) * len(where)])
        for swap in itertools.islice(choices, MAX_VARIANTS):
            letters = list(word)
            for position, swapped in zip(where, swap, strict=True):
                if swapped:
                    letters[position] = OTHER[word[position]]
            pieces.append(" ".join([*before, "".join(letters), *after]))
    return pieces
