"""Traditional -> simplified Chinese with OpenCC, loaded once per process."""

from __future__ import annotations

import functools
from typing import Any

# CJK Unified Ideographs with extension A, the compatibility block and the supplementary planes
# (extensions B and later), plus 〇, the ideographic zero.
HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"


@functools.cache
def converter(config: str) -> Any:  # opencc has no type hints
    """One OpenCC converter per config ("t2s", "tw2sp", "hk2sp"), character and phrase tables."""
    import opencc

    return opencc.OpenCC(config)


def t2s() -> Any:
    """OpenCC's traditional -> simplified converter (character and phrase tables)."""
    return converter("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified, so one glossary, dictionary and term list serve both."""
    return t2s().convert(text)


def is_traditional(text: str) -> bool:
    """True when `text` has characters that simplified Chinese writes differently."""
    return to_simplified(text) != text


def to_mainland(text: str) -> str:
    """Taiwan or Hong Kong text -> simplified, with the mainland word where usage differs.

    Character conversion alone leaves regional words as they are (軟體 -> 软体, not 软件);
    OpenCC's phrase configs map them (tw2sp: Taiwan, hk2sp: Hong Kong). The Taiwan table is
    tried first, then the Hong Kong one; a text that neither changes is plain t2s.

    Only for text that is traditional: the tables would also rewrite simplified text that
    happens to match a Taiwan phrase (影片, "film" on the mainland, would become 视频).
    """
    simplified = to_simplified(text)
    for config in ("tw2sp", "hk2sp"):
        regional = converter(config).convert(text)
        if regional != simplified:
            return regional
    return simplified
