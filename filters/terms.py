"""Banned-term lists and the compiled matcher. Pure: no I/O beyond reading the shipped defaults.

List syntax (files, imports, exports): one term per line; `#` starts a comment; `*` at the start
or end of a term matches any rest of the word (`nud*`: nude, nudes, nudity); a line starting
with `!` is an allowed term, an exception: a banned term found inside an allowed one does not
count (`!特色情` keeps "特色情调", distinctive ambiance, from tripping `色情`; `!nude` un-bans
`nude` where that list applies).

Matching: every term is normalised like the prompt (see `filters.normalize`) into one key per
view; Latin edges are padded with a space so they only match whole words, CJK edges are not
(Chinese has no spaces, so its terms match as substrings). Aho-Corasick automata
(pyahocorasick) hold every key of every term; a check is one pass over the normalised prompt
(two for a prompt with Chinese in it, see `Matcher`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import ahocorasick
import numpy as np

from filters.charsets import LIMIT
from filters.normalize import (
    Normalized,
    code_points,
    collapse_runs,
    from_code_points,
    has_cjk,
    is_cjk,
    normalize,
    term_views,
)

ALLOW_PREFIX = "!"
WILDCARD = "*"
MAX_TERM_CHARS = 100


class TermError(ValueError):
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
    body = term.strip(WILDCARD).strip()
    if WILDCARD in body:
        raise TermError(f"{term!r}: `*` may only start or end a term (like nud*).")
    if len(term) > MAX_TERM_CHARS:
        raise TermError(f"{term[:20]!r}…: a term can be at most {MAX_TERM_CHARS} characters.")
    words = term_views([body])[0][0]
    if not words:
        raise TermError(f"{term!r} has no letters or digits left once normalised.")
    if len(words) < 2 and not is_cjk(words):
        raise TermError(f"{term!r} is too short: it would match far too much.")
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
            raise TermError(f"{source}, line {number}: {error}") from None
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


def _automaton(items: Iterable[tuple[str, tuple[_Entry, ...]]]) -> ahocorasick.Automaton | None:
    automaton = ahocorasick.Automaton()
    for key, found in items:
        automaton.add_word(key, found)
    if len(automaton) == 0:
        return None
    automaton.make_automaton()
    return automaton


# How the CJK automaton spells a CJK character: three private-use symbols of 6 bits each
# (code points are below 2**18), from three separate ranges; only when its keys start with more
# than `_SPELL_ABOVE` different characters (see `Matcher`).
_SYMBOLS, _BITS, _SYMBOL_BASE = 3, 6, 0xF0000
_SPELL_ABOVE = 64


class Matcher:
    """Every key of every term in an Aho-Corasick automaton: `check` is one pass over the
    normalised prompt, then a few checks on the rare candidates.

    Keys that start with a CJK character live in a second automaton, run only on prompts with
    CJK in them. Why: pyahocorasick finds a node's child by a linear scan, so the root's
    children are scanned for most characters of a prompt. A few dozen are cheap; thousands of
    Chinese terms bring thousands, which made a Chinese prompt's check 40 times slower. So
    beyond `_SPELL_ABOVE` first characters, that automaton spells each CJK character of its
    keys as three 6-bit symbols: every node then has at most 64 children, the root about 6.
    """

    def __init__(self, terms: TermList) -> None:
        self.terms = terms
        listed = [(term, False) for term in terms.banned] + [(t, True) for t in terms.allowed]
        entries: dict[str, list[_Entry]] = {}
        spelled = term_views([term.strip(WILDCARD) for term, _ in listed])
        for (term, allowed), (words, joined) in zip(listed, spelled, strict=True):
            for key in _keys(term, words, joined):
                collapsed, runs = collapse_runs(key)
                needs = tuple((i, n) for i, n in enumerate(runs) if n > 1)
                entries.setdefault(collapsed, []).append(
                    _Entry(term, allowed, len(collapsed), needs)
                )
        self.keys = tuple(entries)  # as collapsed, before the CJK spelling
        cjk_first = [key for key in entries if is_cjk(key[0])]
        self._spelled: np.ndarray | None = None  # which characters the CJK automaton spells
        if len({key[0] for key in cjk_first}) > _SPELL_ABOVE:
            self._spelled = np.zeros(LIMIT, dtype=bool)
            self._spelled[sorted({ord(c) for key in cjk_first for c in key if is_cjk(c)})] = True
        self._latin = _automaton(
            (key, tuple(found)) for key, found in entries.items() if not is_cjk(key[0])
        )
        self._cjk = _automaton((self._spell(key)[0], tuple(entries[key])) for key in cjk_first)

    def _spell(self, text: str) -> tuple[str, np.ndarray | None]:
        """`text` as the CJK automaton reads it, and for each character of `text` the index of
        its last symbol there (None if no character needed spelling)."""
        if self._spelled is None:
            return text, None
        codes = code_points(text)
        spelled = self._spelled[np.minimum(codes, LIMIT - 1)] & (codes < LIMIT)
        if not spelled.any():
            return text, None
        widths = spelled.astype(np.intp) * (_SYMBOLS - 1) + 1
        ends = np.cumsum(widths) - 1
        out = np.repeat(codes, widths)
        chars, last = codes[spelled], ends[spelled]
        for i in range(_SYMBOLS):  # most significant bits first
            shift = _BITS * (_SYMBOLS - 1 - i)
            digit = (chars >> shift) & ((1 << _BITS) - 1)
            out[last - (_SYMBOLS - 1 - i)] = _SYMBOL_BASE + (i << 8) + digit
        return from_code_points(out), ends

    def _hits(self, text: str) -> Iterator[tuple[int, tuple[_Entry, ...]]]:
        """(index of the last character in `text`, entries) for every key found in `text`."""
        if self._latin is not None:
            yield from self._latin.iter(text)
        if self._cjk is None or not has_cjk(text):
            return
        spelled, ends = self._spell(text)
        if ends is None:
            yield from self._cjk.iter(spelled)  # unspelled, or no character of a key in it
            return
        for end, found in self._cjk.iter(spelled):
            yield int(np.searchsorted(ends, end)), found

    def check(self, text: str) -> Verdict:
        norm = normalize(text)
        return Verdict(*self._scan(norm), norm.readable)

    def find(self, texts: Iterable[str]) -> list[str]:
        """The banned terms found in any of the texts, each once, in order of appearance."""
        found: dict[str, None] = {}
        for text in texts:
            found.update(dict.fromkeys(self._scan(normalize(text))[1]))
        return list(found)

    def _scan(self, norm: Normalized) -> tuple[bool, tuple[str, ...]]:
        scan = norm.scan
        banned: list[tuple[int, int, str]] = []
        allowed: list[tuple[int, int]] = []
        for end, entries in self._hits(scan.text):
            for entry in entries:
                start = end - entry.length + 1
                if any(scan.run(start + offset) < least for offset, least in entry.runs):
                    continue  # "as" is not "ass": the text has fewer repeats than the term
                if start >= norm.joined_start and not entry.allowed:
                    first, last = scan.original(start), scan.original(end) + scan.run(end)
                    if norm.before_leet[first:last].replace(" ", "").isdigit():
                        continue  # leet applies to words, not numbers: "455" is not "ass"
                if entry.allowed:
                    allowed.append((start, end))
                else:
                    banned.append((start, end, entry.term))
        found = {
            term: None
            for start, end, term in sorted(banned)
            if not any(a <= start and end <= b for a, b in allowed)
        }
        return bool(found), tuple(found)


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
