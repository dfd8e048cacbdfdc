"""Credits: what a job costs, which quota day it falls on, and the tiers. Pure functions.

A default /mj (four images at the model's native size and default steps) costs 1.0 credit;
anything else costs in proportion to images × steps × pixels, so an upscale or a --steps 50
job costs what it really uses. A /describe costs its GPU work (`JobSpec.cost`, measured in
the same unit) against the same reference. Allowances are per quota day, which starts at a
configured hour in a configured time zone. The tiers themselves are in `bot.core.tiers`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from engine.job import JobSpec
from engine.profiles import ModelProfile

REFERENCE_IMAGES = 4


def job_credits(spec: JobSpec, profile: ModelProfile) -> float:
    """Credits for `spec`: 1.0 for four native-size images at the model's default steps."""
    reference = REFERENCE_IMAGES * profile.steps * profile.native**2
    if spec.describe is not None:  # no pixels drawn: its cost in 512², one-step images
        return round(spec.cost * 512 * 512 / reference, 4)
    steps = spec.run_steps  # img2img: only the steps that run are paid for
    steps = steps if spec.stop is None else max(1, -(-steps * spec.stop // 100))
    used = spec.image_count * steps * spec.work_pixels
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
