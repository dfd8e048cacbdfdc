"""Reading one environment value: each parser turns a variable's text into a setting's value,
or raises ConfigError naming the variable and what it accepts (`bot.config_env` maps variables
onto settings with these)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.tiers import parse_tiers
from i18n import parse_tag


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable and what it accepts."""


# Parsers: (variable name, its non-empty value) -> the field's value, or ConfigError.
Parse = Callable[[str, str], Any]


def whole(low: int, high: int) -> Parse:
    return _within(int, "a whole number", low, high, str)


def number(low: float, high: float) -> Parse:
    return _within(float, "a number", low, high, lambda value: f"{value:g}")


def _within(
    kind: Callable[[str], float], noun: str, low: float, high: float, shown: Callable
) -> Parse:
    def parse(key: str, raw: str) -> float:
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{key} must be {noun}, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(
                f"{key} must be between {shown(low)} and {shown(high)}, got {shown(value)}"
            )
        return value

    return parse


def named_wholes(low: int, high: int) -> Parse:
    """`name=N,name=N` (MJ_CLIP_SKIP): a whole number per name."""
    check = whole(low, high)

    def parse(key: str, raw: str) -> dict[str, int]:
        values = {}
        for item in filter(None, (part.strip() for part in raw.split(","))):
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise ConfigError(f"{key} entries look like name={low}, got {item!r}")
            values[name.strip().lower()] = check(key, value.strip())
        return values

    return parse


def choice(*choices: str) -> Parse:
    def parse(key: str, raw: str) -> str:
        value = raw.lower()
        if value not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}, got {value!r}")
        return value

    return parse


def language(key: str, raw: str) -> str:
    """A UI language's tag, as the bot writes it: zh-Hans, zh-Hant or en (zh-CN, zh_TW.UTF-8
    and the like are read too)."""
    lang = parse_tag(raw)
    if lang is None:
        raise ConfigError(f"{key} must be zh-Hans, zh-Hant or en, got {raw!r}")
    return lang.value


def flag(key: str, raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key} must be true or false, got {raw!r}")


def text(key: str, raw: str) -> str:
    return raw


def path(key: str, raw: str) -> Path:
    return Path(raw)


def lowercase(key: str, raw: str) -> str:
    return raw.lower()


def url(key: str, raw: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", raw):
        raise ConfigError(f"{key} must be an http(s):// URL, got {raw!r}")
    return raw.rstrip("/")


def snowflakes(key: str, raw: str) -> frozenset[int]:
    """Discord ids (servers, roles), separated by commas."""
    ids = set()
    for item in filter(None, (part.strip() for part in raw.split(","))):
        if not item.isdigit():
            raise ConfigError(
                f"{key} takes Discord ids (digits) separated by commas, got {item!r}"
            )
        ids.add(int(item))
    return frozenset(ids)


def snowflake(key: str, raw: str) -> int | None:
    ids = [part for part in raw.split(",") if part.strip()]
    if len(ids) > 1:
        raise ConfigError(f"{key} takes one Discord id, got {len(ids)}")
    return next(iter(snowflakes(key, raw)), None)


def owner_ids(key: str, raw: str) -> frozenset[str]:
    owners = set()
    for item in filter(None, (part.strip() for part in raw.split(","))):
        platform, sep, user_id = item.partition(":")
        if not sep or not platform.strip() or not user_id.strip():
            raise ConfigError(f"{key} entries look like platform:user_id, got {item!r}")
        owners.add(f"{platform.strip().lower()}:{user_id.strip()}")
    return frozenset(owners)


def tiers(key: str, raw: str) -> dict:
    try:
        return parse_tiers(raw)
    except ValueError as error:
        raise ConfigError(f"{key}: {error}") from None


def timezone(key: str, raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key} must be a zone like UTC or Asia/Shanghai, got {raw!r}") from None
    return raw


def webhook_secret(key: str, raw: str) -> str:
    # Telegram accepts 1-256 characters from this set in X-Telegram-Bot-Api-Secret-Token.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError(f"{key} takes 1-256 of A-Z a-z 0-9 _ -")
    return raw
