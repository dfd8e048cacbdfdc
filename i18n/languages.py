"""The bot's UI languages and how each platform names them. Pure.

Three languages, each a BCP 47 tag: English, Simplified Chinese and Traditional Chinese
(Taiwan usage). Platforms name them many ways: Discord's locales (`zh-CN`, `zh-TW`),
Telegram's language codes (`zh-hans`, `zh-hk`), POSIX locales (`zh_TW.UTF-8`), HTTP's
Accept-Language (`zh-Hant-TW;q=0.9, en;q=0.5`), a terminal's LANG. `parse_tag` reads any
one tag; a language the bot does not speak (`fr`) is None, so the next signal decides
(`bot.core.language`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum


class Lang(StrEnum):
    EN = "en"  # the source language: every message is written in English first
    ZH_HANS = "zh-Hans"  # Simplified Chinese: the mainland, Singapore, Malaysia
    ZH_HANT = "zh-Hant"  # Traditional Chinese as written in Taiwan (Hong Kong, Macau read it)

    @property
    def locale_id(self) -> str:
        """The catalogue's folder and Babel's locale (`zh_Hans`): number and date rules."""
        return self.value.replace("-", "_")


# Regions that write Traditional characters; any other Chinese without a script is Simplified.
_TRADITIONAL_REGIONS = {"tw", "hk", "mo"}
_TRADITIONAL_SCRIPT = {"hant"}
_SIMPLIFIED_SCRIPT = {"hans"}


def parse_tag(tag: str | None) -> Lang | None:
    """One language tag, in any platform's spelling, as a UI language; None if it is empty
    or a language the bot does not speak.

    'zh-CN', 'zh-hans', 'zh_SG.UTF-8', 'zh' -> zh-Hans; 'zh-TW', 'zh-hant-hk', 'zh_HK' ->
    zh-Hant; 'en-US', 'en_GB.UTF-8' -> en. POSIX's 'C' and 'POSIX' say nothing.
    """
    if not tag:
        return None
    # POSIX adds .encoding and @modifier (zh_TW.Big5, de_DE@euro); tags may use _ for -.
    base = re.split(r"[.@]", tag.strip(), maxsplit=1)[0].replace("_", "-").lower()
    subtags = [part for part in base.split("-") if part]
    if not subtags:
        return None
    language, rest = subtags[0], set(subtags[1:])
    if language == "en":
        return Lang.EN
    if language not in ("zh", "cmn", "yue"):
        return None
    if rest & _TRADITIONAL_SCRIPT:
        return Lang.ZH_HANT
    if rest & _SIMPLIFIED_SCRIPT:
        return Lang.ZH_HANS
    if rest & _TRADITIONAL_REGIONS or language == "yue":
        return Lang.ZH_HANT
    return Lang.ZH_HANS


_QUALITY = re.compile(r"^q=([0-9](?:\.[0-9]{0,3})?)$", re.IGNORECASE)


def from_accept_language(header: str | None) -> Lang | None:
    """The language an HTTP client prefers among the bot's (RFC 9110 12.5.4): the tag of the
    highest quality that the bot speaks, the first listed among equals; None if none."""
    best: tuple[float, int, Lang] | None = None
    for position, item in enumerate((header or "").split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            match = _QUALITY.match(param)
            if match:
                quality = float(match[1])
        lang = parse_tag(tag) if tag != "*" else None
        if lang is None or quality <= 0:
            continue
        if best is None or (quality, -position) > (best[0], -best[1]):
            best = (quality, position, lang)
    return None if best is None else best[2]


# gettext's order: LANGUAGE (a list, GNU), then LC_ALL, LC_MESSAGES, LANG.
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def from_environment(environ: Mapping[str, str]) -> Lang | None:
    """The language a terminal's locale names (`LANG=zh_TW.UTF-8`), read as gettext reads it;
    None when it names none the bot speaks."""
    for variable in _LOCALE_VARIABLES:
        for tag in environ.get(variable, "").split(":"):
            lang = parse_tag(tag)
            if lang is not None:
                return lang
    return None
