"""Finding Chinese in a prompt: Han ideographs, the only script this package translates.

Kana and Hangul are left alone: a zh->en model would mistranslate Japanese or Korean, and the
text encoders read Latin script, digits and punctuation as they are.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs with extension A, the compatibility block and the supplementary planes
# (extensions B and later), plus 〇, the ideographic zero.
HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")


def contains_chinese(text: str) -> bool:
    """True when `text` has at least one Han character."""
    return HAN_RUN.search(text) is not None


def is_chinese(text: str) -> bool:
    """True when `text` is made of Han characters only (and is not empty)."""
    return HAN_RUN.fullmatch(text) is not None
