"""The little English morphology a keyword prompt needs: plurals and -ing participles.

Good enough for prompt nouns and verbs (pandas, foxes, butterflies, children; sitting, eating,
knitting), with the common irregular ones listed. Words that are already inflected stay.
"""

from __future__ import annotations

import re

_IRREGULAR_PLURALS = {
    "child": "children",
    "man": "men",
    "woman": "women",
    "person": "people",
    "mouse": "mice",
    "goose": "geese",
    "foot": "feet",
    "tooth": "teeth",
    "leaf": "leaves",
    "wolf": "wolves",
    "knife": "knives",
    "shelf": "shelves",
    "thief": "thieves",
    "elf": "elves",
    "dwarf": "dwarves",
    "cactus": "cacti",
    "fungus": "fungi",
}
# Nouns whose plural is themselves, or that are already mass nouns in a prompt.
_UNCHANGED = frozenset(
    {"sheep", "deer", "fish", "bamboo", "grass", "hair", "rice", "snow", "rain", "fog", "people"}
)
_VOWELS = "aeiou"


def plural(noun: str) -> str:
    """The plural of the last word of `noun`: "panda" -> "pandas", "red fox" -> "red foxes"."""
    head, _, last = noun.rpartition(" ")
    prefix = f"{head} " if head else ""
    lower = last.lower()
    if not lower.isalpha() or last[:1].isupper() or lower in _UNCHANGED:
        return noun
    if lower in _IRREGULAR_PLURALS:
        return prefix + _IRREGULAR_PLURALS[lower]
    if lower.endswith(("s", "ies", "men", "ren")):
        return noun
    if lower.endswith(("x", "ch", "sh", "z")):
        return noun + "es"
    if lower.endswith("y") and lower[-2:-1] not in _VOWELS:
        return noun[:-1] + "ies"
    return noun + "s"


def participle(verb: str) -> str:
    """The -ing form of the first word of a verb phrase: "eat bamboo" -> "eating bamboo".

    Rules: lie -> lying, make -> making (but see -> seeing), sit -> sitting (one vowel before
    one final consonant in a one-syllable word), jump -> jumping.
    """
    first, _, rest = verb.partition(" ")
    suffix = f" {rest}" if rest else ""
    word = first.lower()
    if not word.isalpha() or (word.endswith("ing") and len(word) > 5):
        return verb
    if word.endswith("ie"):
        ing = word[:-2] + "ying"
    elif word.endswith("e") and not word.endswith(("ee", "ye", "oe")) and word != "be":
        ing = word[:-1] + "ing"
    elif _doubles_final_consonant(word):
        ing = word + word[-1] + "ing"
    else:
        ing = word + "ing"
    return ing + suffix


def _doubles_final_consonant(word: str) -> bool:
    """sit -> sitting, swim -> swimming, knit -> knitting; eat, howl, fix and visit do not."""
    if len(re.findall(f"[{_VOWELS}]+", word)) != 1 or word[-1] in _VOWELS + "wxy":
        return False
    return len(word) >= 3 and word[-2] in _VOWELS and word[-3] not in _VOWELS
