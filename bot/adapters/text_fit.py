"""Texts cut to a platform's length limit, keeping their end where it matters. Pure.

A result caption ends with its parameters, seed and job id, which a user needs more than the
middle of a long prompt: `tail` keeps that end. Telegram counts lengths in UTF-16 code units
(an emoji outside the BMP counts 2), Discord in characters.
"""

from __future__ import annotations

CAPTION_TAIL = 240  # a result caption's parameters, seed, author and job id


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int, *, tail: int = 0, utf16: bool = False) -> str:
    """`text` within `limit` units; a long one loses its middle (keeping the last `tail` units)
    or its end, marked with "…", and never half of a surrogate pair."""
    measure = utf16_len if utf16 else len
    if measure(text) <= limit:
        return text
    tail = min(tail, limit // 2)
    end = _prefix(text[::-1], tail, utf16)[::-1] if tail else ""
    head = _prefix(text, limit - 1 - measure(end), utf16)
    return f"{head.rstrip()}…{end.lstrip() if end else ''}"


def _prefix(text: str, units: int, utf16: bool) -> str:
    used = 0
    for index, char in enumerate(text):
        used += 2 if utf16 and ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text
