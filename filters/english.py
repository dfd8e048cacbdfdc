"""English words joined by hyphens, dots or underscores: when to read them as one word.

"n-u-d-e" and "r-ape" are one word split to get past a filter; "pen-is mightier" and
"well-known" are words that were always apart. The rule: parts are joined only when they are
not words on their own. A hyphenated pair that is also a word when joined ("the-rapist",
"pen-is") is read both ways, and `glue` gives the joined reading so the matcher can ask
whether a term is found in both.

The word list is the `wordsegment` package's data (Apache-2.0): its dictionary (`words.txt`,
178,000 words) filtered by its counts from the Google Web Trillion Word Corpus (`unigrams.txt`),
so rare dictionary words ("nu", "de", "ra", "pe") that an evader could split a word into do
not count as words.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from filters.charsets import SEPARATORS

_COMMON = 1_000_000  # occurrences in the corpus (about one in a million words)
_COMMON_TWO_LETTERS = 400_000_000  # keeps of, is, to, an, up, go; drops de, la, al, ex, oh
_ONE_LETTER = ("a", "i")
# Two words (or more) of ASCII letters joined by separators, as folded text spells them.
_SEPARATED = re.compile("[a-z]+(?:[" + re.escape(SEPARATORS) + "]+[a-z]+)+")
_SEPARATOR_RUN = re.compile("[" + re.escape(SEPARATORS) + "]+")


@cache
def common_words() -> frozenset[str]:
    """The words that count as words on their own (about 19,000)."""
    data = resources.files("wordsegment")
    listed = set(data.joinpath("words.txt").read_text(encoding="utf-8").split())
    words = set(_ONE_LETTER)
    with data.joinpath("unigrams.txt").open(encoding="utf-8") as counts:
        for line in counts:  # most frequent first
            word, count = line.split("\t")
            if int(count) < _COMMON:
                break
            if word in listed and (len(word) > 2 or int(count) >= _COMMON_TWO_LETTERS):
                words.add(word)
    return frozenset(words)


def is_word(text: str) -> bool:
    return text in common_words()


def join_parts(parts: list[str]) -> str:
    """The parts of one separated word as the joined view reads them: glued where a part is
    not a word on its own ("r", "ape" -> "rape"), apart where both are ("pen", "is" ->
    "pen is"). A run of single characters is glued into one word and kept apart from its
    neighbours ("sexy-n-u-d-e" -> "sexy nude")."""
    if not parts:
        return ""
    single = [len(part) == 1 for part in parts]
    in_run = [
        single[i] and ((i > 0 and single[i - 1]) or (i + 1 < len(parts) and single[i + 1]))
        for i in range(len(parts))
    ]
    out = [parts[0]]
    for i in range(1, len(parts)):
        if in_run[i - 1] or in_run[i]:
            apart = not (in_run[i - 1] and in_run[i])
        else:
            apart = is_word(parts[i - 1]) and is_word(parts[i])
        out += [" " if apart else "", parts[i]]
    return "".join(out)


def glue(folded: str) -> str | None:
    """`folded` with every separated pair of words that is also one word glued ("the-rapist"
    -> "therapist"), or None if it has none."""
    glued = _SEPARATED.sub(_glue_one, folded)
    return glued if glued != folded else None


def _glue_one(match: re.Match[str]) -> str:
    joined = _SEPARATOR_RUN.sub("", match[0])
    return joined if is_word(joined) else match[0]
