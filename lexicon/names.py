"""The curated names list (`names.tsv`): artists, studios, works, places and characters.

Prompt writers name things: 新海诚风格 is "in the style of Makoto Shinkai", not "new, ocean,
sincere style". CC-CEDICT has many names (`lexicon.cedict.Cedict.name`), but not the ones
prompts use most (千与千寻, 新海诚) and not always spelled the way English prompts spell them
(宫崎骏 is "Miyazaki Hayao" there, "Hayao Miyazaki" in a prompt). This list comes first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from lexicon.script import HAN_CLASS
from lexicon.table import read_table

KINDS = frozenset({"person", "studio", "work", "place", "character"})
# The dots that join the parts of a transliterated name: 达·芬奇, 達‧文西 (Taiwan), ダ・ヴィンチ.
NAME_DOTS = "·•‧・"
_NAME_DOTS = re.compile(f"[{NAME_DOTS}]")
# Han characters, possibly with ASCII letters and digits inside (哆啦A梦, 赛博朋克2077).
_KEY = re.compile(f"[{HAN_CLASS}][{HAN_CLASS}A-Za-z0-9]*")
# Plain ASCII, no commas (a comma would split the name into two prompt keywords) and no "::"
# (the multi-prompt weight separator).
_ENGLISH = re.compile(r"[A-Za-z0-9][A-Za-z0-9 '.&!?-]*(?::[ A-Za-z0-9][A-Za-z0-9 '.&!?-]*)?")


def strip_name_dots(text: str) -> str:
    """达·芬奇 -> 达芬奇: names are listed, segmented and looked up without their dots."""
    return _NAME_DOTS.sub("", text)


@dataclass(frozen=True, slots=True)
class Name:
    english: str
    kind: str


@dataclass(frozen=True, slots=True, eq=False)
class Names:
    entries: Mapping[str, Name]
    digest: str  # of the content, for cache keys

    def get(self, chinese: str) -> Name | None:
        return self.entries.get(chinese)

    def __len__(self) -> int:
        return len(self.entries)


def parse_names(lines: Iterable[str]) -> Names:
    """Read `chinese<TAB>English<TAB>kind` lines; `#` starts a comment. Errors name the line."""
    rows, digest = read_table(lines, "names")
    entries: dict[str, Name] = {}
    for chinese, (number, english, kind) in rows.items():
        if not _KEY.fullmatch(chinese):
            raise ValueError(f"names line {number}: {chinese!r} is not a Chinese name (no dots)")
        if not _ENGLISH.fullmatch(english):
            raise ValueError(f"names line {number}: {english!r} is not plain ASCII without commas")
        if kind not in KINDS:
            raise ValueError(f"names line {number}: unknown kind {kind!r}")
        entries[chinese] = Name(english, kind)
    return Names(MappingProxyType(entries), digest)


@functools.cache
def load_names() -> Names:
    text = resources.files("lexicon").joinpath("names.tsv").read_text(encoding="utf-8")
    return parse_names(text.splitlines())
