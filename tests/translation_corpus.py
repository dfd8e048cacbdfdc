"""The translation corpus (tests/data/translation_corpus.tsv) and how a translation is scored.

Shared by tests/test_translate_corpus.py (a recall floor, protected pieces byte-identical) and
bench/translate.py (`dictionary_recall`), so both count the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from translate.inflect import plural

CORPUS = Path(__file__).parent / "data" / "translation_corpus.tsv"


@dataclass(frozen=True, slots=True)
class Entry:
    prompt: str
    terms: tuple[tuple[str, ...], ...]  # each term: its alternatives, one of which must appear
    group: str


def load_corpus(path: Path = CORPUS) -> tuple[Entry, ...]:
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path.name} line {number}: expected 3 tab-separated fields")
        prompt, terms, group = fields
        parsed = tuple(
            tuple(alt.strip() for alt in term.split("|") if alt.strip())
            for term in terms.split(";")
            if term.strip()
        )
        if not parsed:
            raise ValueError(f"{path.name} line {number}: no key terms")
        entries.append(Entry(prompt, parsed, group))
    return tuple(entries)


@functools.cache
def _pattern(term: str) -> re.Pattern[str]:
    """`term` as a whole word or phrase, case-insensitive, or its plural (leaf -> leaves)."""
    forms = {term, plural(term)} if term[-1:].isalpha() else {term}
    body = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.IGNORECASE)


def found(term: tuple[str, ...], text: str) -> bool:
    return any(_pattern(alternative).search(text) for alternative in term)


def missing_terms(entry: Entry, text: str) -> list[str]:
    """The key terms (as "a|b") that `text` lacks."""
    return ["|".join(term) for term in entry.terms if not found(term, text)]


@dataclass(frozen=True, slots=True)
class Score:
    found: int
    total: int
    misses: tuple[tuple[str, str, tuple[str, ...]], ...]  # (prompt, translation, missing terms)

    @property
    def recall(self) -> float:
        return round(self.found / self.total, 4) if self.total else 1.0


def score(entries: Iterable[Entry], translate: Callable[[str], str]) -> Score:
    """Recall of key terms over `entries`, translating each prompt with `translate`."""
    hits = total = 0
    misses = []
    for entry in entries:
        text = translate(entry.prompt)
        lacking = missing_terms(entry, text)
        total += len(entry.terms)
        hits += len(entry.terms) - len(lacking)
        if lacking:
            misses.append((entry.prompt, text, tuple(lacking)))
    return Score(hits, total, tuple(misses))
