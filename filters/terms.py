"""Banned-term lists and the compiled matcher. Pure: no I/O beyond reading the shipped defaults
and the dictionaries behind the word boundaries.

List syntax (files, imports, exports): one term per line; `#` starts a comment; `*` at the start
or end of a term matches any rest of the word (`nud*`: nude, nudes, nudity); a line starting
with `!` is an allowed term, an exception: a banned term found inside an allowed one does not
count (`!血腥玛丽` keeps the cocktail from tripping `血腥`; `!nude` un-bans `nude` where that
list applies).

Matching: every term is normalised like the prompt (see `filters.normalize`) into one key per
view; Latin edges are padded with a space so they only match whole words. Chinese has no
spaces, so a key with a CJK edge is found inside text, and then counts only where it does not
cut through the words around it (`filters.boundaries`: 颜色情况 is 颜色/情况, no 色情).
Aho-Corasick automata hold every key of every term (`filters.automaton`); a check is one pass
over the normalised prompt (two for a prompt with Chinese in it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from filters.automaton import Automata
from filters.boundaries import cuts_through_words
from filters.collapse import collapse_runs
from filters.english import common_words, glue
from filters.normalize import (
    Normalized,
    has_cjk,
    is_cjk,
    normalize,
    normalize_folded,
    term_views,
)
from i18n import MessageError, t
from lexicon.segment import segmenter

ALLOW_PREFIX = "!"
WILDCARD = "*"
MAX_TERM_CHARS = 100


class TermError(MessageError, ValueError):
    """A term that cannot be matched sensibly; the message says why, for a moderator."""


@dataclass(frozen=True, slots=True)
class TermList:
    banned: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()  # exceptions: banned matches inside these do not count


@dataclass(frozen=True, slots=True)
class Verdict:
    blocked: bool
    terms: tuple[str, ...]  # the banned terms found, as the list spells them, in text order
    normalized: str  # the prompt as the matcher sees it (joined view, before collapsing)


def check_term(term: str) -> str:
    """The term, trimmed, if it can be matched; TermError (for a moderator) if not."""
    term = " ".join(term.split())
    if len(term) > MAX_TERM_CHARS:  # first: the messages below quote the whole term
        raise TermError(
            t(
                "'{term}…': a term can be at most {limit} characters.",
                term=term[:20],
                limit=MAX_TERM_CHARS,
            )
        )
    body = term.strip(WILDCARD).strip()
    if WILDCARD in body:
        raise TermError(t("'{term}': `*` may only start or end a term (like nud*).", term=term))
    words = term_views([body])[0][0]
    if not words:
        raise TermError(t("'{term}' has no letters or digits left once normalised.", term=term))
    if len(words) < 2 and not is_cjk(words):
        raise TermError(t("'{term}' is too short: it would match far too much.", term=term))
    return term


def term_keys(terms: Sequence[str]) -> list[str]:
    """One spelling per term, for uniqueness in a list ("Nude", "ＮＵＤＥ" and "nude" are one).
    Many at once: one normalisation pass for the lot."""
    terms = [term.strip() for term in terms]
    spelled = term_views([term.strip(WILDCARD) for term in terms])
    return [
        WILDCARD * term.startswith(WILDCARD) + words + WILDCARD * term.endswith(WILDCARD)
        for term, (words, _) in zip(terms, spelled, strict=True)
    ]


def term_key(term: str) -> str:
    return term_keys([term])[0]


def parse_terms(text: str, source: str = "list") -> TermList:
    """Read a term list (see the module docstring); TermError names the bad line."""
    banned: list[str] = []
    allowed: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not entry:
            continue
        target = banned
        if entry.startswith(ALLOW_PREFIX):
            entry, target = entry[1:].strip(), allowed
        try:
            target.append(check_term(entry))
        except TermError as error:
            raise TermError(
                t(
                    "{source}, line {number}: {reason}",
                    source=source,
                    number=number,
                    reason=error.message,
                )
            ) from None
    return TermList(tuple(banned), tuple(allowed))


def format_terms(terms: TermList, header: str = "") -> str:
    """The list as text `parse_terms` reads back: banned terms, then `!` allowed ones."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += list(terms.banned)
    lines += [ALLOW_PREFIX + term for term in terms.allowed]
    return "".join(line + "\n" for line in lines)


@cache
def default_terms() -> TermList:
    """The shipped global defaults: every `filters/default_terms/*.txt`, merged."""
    folder = resources.files("filters") / "default_terms"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".txt")), key=lambda f: f.name)
    lists = [parse_terms(f.read_text(encoding="utf-8"), f.name) for f in files]
    return TermList(
        tuple(t for terms in lists for t in terms.banned),
        tuple(t for terms in lists for t in terms.allowed),
    )


def effective_terms(layers: Sequence[TermList]) -> TermList:
    """Stack lists from the widest (defaults, global) to the narrowest (one server).

    A layer's allowed term un-bans the same term from wider layers; its banned term applies
    even where a wider layer allowed it. Allowed terms stay exceptions for every list.
    """
    banned: dict[str, str] = {}
    allowed: dict[str, str] = {}
    for layer in layers:
        for key, term in zip(term_keys(layer.allowed), layer.allowed, strict=True):
            banned.pop(key, None)
            allowed[key] = term
        for key, term in zip(term_keys(layer.banned), layer.banned, strict=True):
            allowed.pop(key, None)
            banned[key] = term
    return TermList(tuple(banned.values()), tuple(allowed.values()))


@dataclass(frozen=True, slots=True)
class _Entry:
    term: str
    allowed: bool
    length: int  # of the collapsed key
    runs: tuple[tuple[int, int], ...]  # (offset in key, least run length) where more than 1
    chinese_edge: bool  # the key starts or ends with a CJK character: word boundaries apply


def _keys(term: str, words: str, joined: str) -> set[str]:
    """A term's keys from its two views, padded with a space on Latin edges (whole words)."""
    variants = {words, joined}
    if not has_cjk(words):
        # "child porn" also as "childporn": the joined view does not split glued words.
        variants |= {variant.replace(" ", "") for variant in variants}
    left_open, right_open = term.startswith(WILDCARD), term.endswith(WILDCARD)
    keys = set()
    for variant in filter(None, variants):
        left = "" if left_open or is_cjk(variant[0]) else " "
        right = "" if right_open or is_cjk(variant[-1]) else " "
        keys.add(left + variant + right)
    return keys


class Matcher:
    """Every key of every term in Aho-Corasick automata (`filters.automaton`): `check` is one
    pass over the normalised prompt, then a few checks on the rare candidates: repeats, leet
    on numbers, Chinese word boundaries, and "the-rapist" read both ways."""

    def __init__(self, terms: TermList) -> None:
        self.terms = terms
        listed = [(term, False) for term in terms.banned] + [(t, True) for t in terms.allowed]
        entries: dict[str, list[_Entry]] = {}
        chinese = False  # a key with a CJK edge: the segmenter will be needed
        spelled = term_views([term.strip(WILDCARD) for term, _ in listed])
        for (term, allowed), (words, joined) in zip(listed, spelled, strict=True):
            for key in _keys(term, words, joined):
                collapsed, runs = collapse_runs(key)
                needs = tuple((i, n) for i, n in enumerate(runs) if n > 1)
                edge = is_cjk(collapsed[0]) or is_cjk(collapsed[-1])
                chinese |= edge
                entries.setdefault(collapsed, []).append(
                    _Entry(term, allowed, len(collapsed), needs, edge)
                )
        self.keys = tuple(entries)  # as collapsed
        self._automata = Automata({key: tuple(found) for key, found in entries.items()})
        if chinese:
            segmenter()  # loaded now, while the matcher is built off the event loop
        common_words()  # the same, for prompts with separators in words

    def check(self, text: str) -> Verdict:
        norm = normalize(text)
        return Verdict(bool(found := self._found(norm)), found, norm.readable)

    def find(self, texts: Iterable[str]) -> list[str]:
        """The banned terms found in any of the texts, each once, in order of appearance."""
        found: dict[str, None] = {}
        for text in texts:
            found.update(dict.fromkeys(self._found(normalize(text))))
        return list(found)

    def _found(self, norm: Normalized) -> tuple[str, ...]:
        """The banned terms in a prompt. Words joined by separators that also make one word
        ("the-rapist", "pen-is") are read both ways: a term counts if found in both."""
        found = self._scan(norm)
        if found and (glued := glue(norm.folded)) is not None:
            other = set(self._scan(normalize_folded(glued)))
            found = tuple(term for term in found if term in other)
        return found

    def _scan(self, norm: Normalized) -> tuple[str, ...]:
        scan = norm.scan
        banned: list[tuple[int, int, str]] = []
        allowed: list[tuple[int, int]] = []
        for end, entries in self._automata.hits(scan.text):
            for entry in entries:
                start = end - entry.length + 1
                if any(scan.run(start + offset) < least for offset, least in entry.runs):
                    continue  # "as" is not "ass": the text has fewer repeats than the term
                if entry.allowed:
                    allowed.append((start, end))
                elif self._counts(norm, entry, start, end):
                    banned.append((start, end, entry.term))
        found = {
            term: None
            for start, end, term in sorted(banned, key=lambda hit: norm.offset(hit[0]))
            if not any(a <= start and end <= b for a, b in allowed)
        }
        return tuple(found)

    @staticmethod
    def _counts(norm: Normalized, entry: _Entry, start: int, end: int) -> bool:
        """Whether a banned key found at scan.text[start : end + 1] is a match."""
        scan = norm.scan
        if start >= norm.joined_start:
            first, last = scan.original(start), scan.original(end) + scan.run(end)
            if norm.before_leet[first:last].replace(" ", "").isdigit():
                return False  # leet applies to words, not numbers: "455" is not "ass"
        if not entry.chinese_edge:
            return True
        # Chinese is judged in the joined view only, where separators no longer split it.
        if not norm.joined_start <= start or end >= norm.joined_end:
            return False
        return not cuts_through_words(norm.joined, *norm.span(start, end))


class MatcherCache:
    """Compiled matchers by a caller's key (e.g. the revisions of the lists they were built
    from), least recently used dropped first. Building costs milliseconds per thousand terms
    and a check microseconds, so a matcher is built once per change of its lists."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._matchers: OrderedDict[Hashable, Matcher] = OrderedDict()

    def get(self, key: Hashable) -> Matcher | None:
        matcher = self._matchers.get(key)
        if matcher is not None:
            self._matchers.move_to_end(key)
        return matcher

    def put(self, key: Hashable, matcher: Matcher) -> None:
        self._matchers[key] = matcher
        self._matchers.move_to_end(key)
        while len(self._matchers) > self.size:
            self._matchers.popitem(last=False)
