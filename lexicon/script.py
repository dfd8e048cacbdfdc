"""Traditional -> simplified Chinese with OpenCC, loaded once per process."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def t2s() -> Any:  # opencc has no type hints
    """OpenCC's traditional -> simplified converter (character and phrase tables)."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified, so one glossary, dictionary and term list serve both."""
    return t2s().convert(text)
