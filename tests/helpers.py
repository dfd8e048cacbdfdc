"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.config import Settings


def tweak(settings: Settings, group: str, **changes: Any) -> Settings:
    """`settings` with fields of one group changed: tweak(s, "discord", edit_every_s=0)."""
    return replace(settings, **{group: replace(getattr(settings, group), **changes)})
