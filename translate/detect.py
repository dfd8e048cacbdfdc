"""Finding Chinese in a prompt: Han ideographs, the only script this package translates.

Kana and Hangul are left alone: a zh->en model would mistranslate Japanese or Korean, and the
text encoders read Latin script, digits and punctuation as they are.
"""

from __future__ import annotations

import re

from lexicon.script import HAN_CLASS

HAN_RUN = re.compile(f"[{HAN_CLASS}]+")


def contains_chinese(text: str) -> bool:
    """True when `text` has at least one Han character."""
    return HAN_RUN.search(text) is not None


def is_chinese(text: str) -> bool:
    """True when `text` is made of Han characters only (and is not empty)."""
    return HAN_RUN.fullmatch(text) is not None
