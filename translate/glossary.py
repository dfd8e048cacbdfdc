"""The curated prompt glossary (`glossary.tsv`): art styles, media, lighting, camera, ...

It wins over CC-CEDICT, whose first sense is often not the one a prompt means (光照 is
"illumination" there, "lighting" here), and over argos for art terms, so style words come out
the same way whichever backend runs. The curated names list (`lexicon/names.tsv`) joins it as
terms of category "name": proper nouns are kept whole and spelled as English prompts spell them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from lexicon.names import Names, load_names
from lexicon.table import read_table
from translate.detect import is_chinese

# Words of these kinds describe the word after them (红色 汽车 -> "red car", 穿着 裙子 ->
# "wearing dress"); a suffix completes the word before it; every other kind is a keyword of
# its own in a comma-separated prompt.
DESCRIBING = frozenset({"action", "color", "material", "modifier"})
CATEGORIES = DESCRIBING | {
    "camera",
    "composition",
    "lighting",
    "medium",
    "mood",
    "negative",
    "quality",
    "scene",
    "style",
    "subject",
    "suffix",  # completes the word before it: 油画 风格 -> "oil painting style"
    "time",
    "tone",
    "weather",
}
NAME = "name"  # an entry of lexicon/names.tsv: a proper noun, never translated word by word
# The art vocabulary argos must not paraphrase: these terms are cut out of the text the model
# sees and translated as listed. Everyday words (subjects, actions, colours, places) stay in
# the model's sentence, where context translates them better than a fixed entry.
KEPT_FROM_MODEL = frozenset(
    {"camera", "composition", "lighting", "medium", "negative", "quality", "style", "tone", NAME}
)
_ENGLISH = re.compile(r"[a-z0-9][a-z0-9 '.-]*")


@dataclass(frozen=True, slots=True)
class Term:
    english: str
    category: str

    @property
    def describes_next(self) -> bool:
        return self.category in DESCRIBING

    @property
    def kept_from_model(self) -> bool:
        return self.category in KEPT_FROM_MODEL


# eq=False: compared and hashed by identity, so a loaded glossary can key caches.
@dataclass(frozen=True, slots=True, eq=False)
class Glossary:
    terms: Mapping[str, Term]
    digest: str  # of the content: part of cache keys, so an edited glossary is not masked

    def get(self, chinese: str) -> Term | None:
        return self.terms.get(chinese)

    def __len__(self) -> int:
        return len(self.terms)

    def with_names(self, names: Names) -> Glossary:
        """This glossary plus the names list, as terms of category "name" (a glossary entry
        wins where both have a word)."""
        terms = {chinese: Term(name.english, NAME) for chinese, name in names.entries.items()}
        terms.update(self.terms)
        return Glossary(MappingProxyType(terms), f"{self.digest}-{names.digest}")


def parse_glossary(lines: Iterable[str]) -> Glossary:
    """Read `chinese<TAB>english<TAB>category` lines; `#` starts a comment.

    Errors name the line: a broken glossary fails at start-up, not on some prompt."""
    rows, digest = read_table(lines, "glossary")
    terms: dict[str, Term] = {}
    for chinese, (number, english, category) in rows.items():
        if not is_chinese(chinese):
            raise ValueError(f"glossary line {number}: {chinese!r} is not Han characters only")
        if not _ENGLISH.fullmatch(english):
            raise ValueError(f"glossary line {number}: {english!r} is not lower-case English")
        if category not in CATEGORIES:
            raise ValueError(f"glossary line {number}: unknown category {category!r}")
        terms[chinese] = Term(english, category)
    return Glossary(MappingProxyType(terms), digest)


@functools.cache
def default_glossary() -> Glossary:
    """The shipped glossary with the shipped names list."""
    text = resources.files("translate").joinpath("glossary.tsv").read_text(encoding="utf-8")
    return parse_glossary(text.splitlines()).with_names(load_names())
