"""Numbers typed by users, read without surprises: any length, ASCII digits, finite, in range.

Python's own conversions are not safe on user text: `int()` raises a ValueError of its own on
more than 4,300 digits, `float()` turns 309 digits into infinity (and accepts "nan"), and
`str.isdigit()` is true for '²', which `int()` refuses. These readers return the number when
it is a plain decimal within [low, high], else None, so every caller raises its own message.
"""

from __future__ import annotations

import math
import re

_WHOLE = re.compile(r"([-+]?)0*([0-9]+)")
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def whole_number(text: str, low: int, high: int) -> int | None:
    """`text` as an int within [low, high] (leading zeros and a sign allowed), else None."""
    match = _WHOLE.fullmatch(text)
    if match is None:
        return None
    sign, digits = match.groups()
    # More digits than either bound has is out of range: no conversion of 5,000 digits.
    if len(digits) > len(str(max(abs(low), abs(high)))):
        return None
    value = int(sign + digits)
    return value if low <= value <= high else None


def decimal_number(text: str, low: float, high: float) -> float | None:
    """`text` ("7", "-0.5", ".5", "2.") as a finite float within [low, high], else None."""
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) and low <= value <= high else None
