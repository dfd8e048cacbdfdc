"""Quota tiers: what a user may spend a day, how many jobs may wait, their share of the GPU.

A leaf module (no imports from the bot): the settings and the core both read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    daily: float | None  # credits per quota day; None: unlimited
    max_waiting: int  # jobs this user may have waiting at once
    weight: float  # fair-share weight: 2.0 gets twice the GPU time of 1.0 when both wait


DEFAULT_TIERS = (
    Tier("free", 10.0, 10, 1.0),
    Tier("pro", 100.0, 20, 2.0),
    Tier("unlimited", None, 50, 4.0),
)


def parse_tiers(text: str) -> dict[str, Tier]:
    """'free=10/10/1,pro=100/20/2,staff=-/50/4' (daily/max waiting/weight; '-' unlimited)."""
    tiers: dict[str, Tier] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, spec = item.partition("=")
        fields = spec.split("/")
        if not sep or not name.strip() or len(fields) != 3:
            raise ValueError(f"tiers look like name=daily/max_waiting/weight, got {item!r}")
        daily_text, waiting_text, weight_text = (field.strip() for field in fields)
        try:
            daily = None if daily_text == "-" else float(daily_text)
            waiting, weight = int(waiting_text), float(weight_text)
        except ValueError:
            raise ValueError(
                f"tier {item!r}: daily and weight are numbers, waiting a whole number"
            ) from None
        if (daily is not None and daily < 0) or waiting < 1 or weight <= 0:
            raise ValueError(f"tier {item!r}: daily >= 0, max waiting >= 1, weight > 0")
        tiers[name.strip().lower()] = Tier(name.strip().lower(), daily, waiting, weight)
    if not tiers:
        raise ValueError("at least one tier is needed")
    return tiers
