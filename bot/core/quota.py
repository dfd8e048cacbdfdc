"""Credits: what a job costs, which quota day it falls on, and the tiers. Pure functions.

A default /mj (four images at the model's native size and default steps) costs 1.0 credit;
anything else costs in proportion to images × steps × pixels, so an upscale or a --steps 50
job costs what it really uses. Allowances are per quota day, which starts at a configured
hour in a configured time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from engine.job import JobSpec
from engine.profiles import ModelProfile

REFERENCE_IMAGES = 4


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


def job_credits(spec: JobSpec, profile: ModelProfile) -> float:
    """Credits for `spec`: 1.0 for four native-size images at the model's default steps."""
    reference = REFERENCE_IMAGES * profile.steps * profile.native**2
    steps = spec.run_steps  # img2img: only the steps that run are paid for
    steps = steps if spec.stop is None else max(1, -(-steps * spec.stop // 100))
    used = spec.image_count * steps * spec.width * spec.height
    return round(used / reference, 4)


def quota_day(now: datetime, zone: tzinfo, reset_hour: int = 0) -> str:
    """The quota day `now` belongs to, as an ISO date in `zone` (days start at reset_hour)."""
    local = now.astimezone(zone) - timedelta(hours=reset_hour)
    return local.date().isoformat()


def next_reset(now: datetime, zone: tzinfo, reset_hour: int = 0) -> datetime:
    """When the current quota day ends (an aware datetime in `zone`)."""
    local = now.astimezone(zone)
    today_reset = datetime.combine(local.date(), time(reset_hour), tzinfo=zone)
    if local >= today_reset:
        today_reset = datetime.combine(
            local.date() + timedelta(days=1), time(reset_hour), tzinfo=zone
        )
    return today_reset


def refund_fraction(steps_done: int, total_steps: int, started: bool) -> float:
    """Share of a cancelled job's credits given back: all if it never ran, else what didn't run."""
    if not started or total_steps <= 0:
        return 1.0
    return max(0.0, 1.0 - steps_done / total_steps)
