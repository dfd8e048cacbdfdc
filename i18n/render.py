"""Rendering a Message in a UI language: its catalogue's template, its values formatted by
Babel for that language (numbers, durations, times, lists), nested messages likewise.

A message missing from a catalogue falls back to English rather than failing in front of a
user; tests/test_catalogues.py makes sure none is missing.
"""

from __future__ import annotations

import functools
from datetime import UTC
from typing import Any

from babel import Locale
from babel.dates import format_datetime, format_time
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit

from i18n.catalogues import catalogue
from i18n.languages import Lang
from i18n.message import ClockTime, Duration, Listing, Message, Stamp, t


@functools.cache
def locale(lang: Lang) -> Locale:
    return Locale.parse(lang.locale_id)


def render(message: Message, lang: Lang = Lang.EN) -> str:
    """`message` in `lang`: the one way any text a user reads is made."""
    translations = catalogue(lang)
    if not message.translate:
        template = message.msgid
    elif message.plural is None:
        template = translations.gettext(message.msgid)
    else:
        template = translations.ngettext(message.msgid, message.plural, message.count)
    values = {name: _value(value, lang) for name, value in message.args}
    return template.format_map(values)


def _value(value: Any, lang: Lang) -> str:
    if isinstance(value, Message):
        return render(value, lang)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("a message value cannot be a bool: pass the words for it instead")
    if isinstance(value, int | float):
        return format_decimal(value, locale=locale(lang))
    if isinstance(value, Duration):
        return duration(value.seconds, lang, value.length)
    if isinstance(value, ClockTime):
        moment = value.moment
        shown = format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale(lang))
        return f"{shown} {moment.tzname() or 'UTC'}"
    if isinstance(value, Stamp):
        return format_datetime(value.moment, "short", tzinfo=UTC, locale=locale(lang)) + " UTC"
    if isinstance(value, Listing):
        return listing([_value(item, lang) for item in value.items], value.style, lang)
    raise TypeError(f"cannot show a {type(value).__name__} in a message: {value!r}")


def listing(items: list[str], style: str, lang: Lang) -> str:
    """CLDR's list patterns; "plain" joins every item the way "standard" joins the middle
    ones ("a, b, c", "a、b、c"): for tokens such as commands, where "and" would not fit."""
    if not items:
        return ""
    if style == "lines":
        return "\n".join(items)
    if style == "semicolons":  # items that may hold commas themselves
        return ("；" if locale(lang).language == "zh" else "; ").join(items)
    if style == "sentences":
        # Chinese ends a sentence with a full-width stop, which carries its own space.
        return ("" if locale(lang).language == "zh" else " ").join(items)
    if style != "plain":
        return format_list(items, style=style, locale=locale(lang))
    middle = locale(lang).list_patterns["standard"]["middle"]
    text = items[0]
    for item in items[1:]:
        text = middle.format(text, item)
    return text


def duration(seconds: float, lang: Lang, length: str = "short") -> str:
    """3.1 s; 42 s; 5 min; 5 hr, 12 min, in the language's own units (CLDR's, through Babel).
    Under a second is its own message."""
    where = locale(lang)

    def unit(value: float, name: str) -> str:
        return format_unit(value, f"duration-{name}", length=length, locale=where)

    if seconds < 1:
        return render(t("under a second"), lang)
    if seconds < 10:
        return unit(round(seconds, 1), "second")
    if seconds < 90:
        return unit(round(seconds), "second")
    hours, minutes = divmod(round(seconds / 60), 60)
    parts = [unit(hours, "hour")] if hours else []
    if minutes or not hours:
        parts.append(unit(minutes, "minute"))
    return format_list(parts, style="unit", locale=where)


class MessageError(Exception):
    """An error whose text a user reads: it carries a Message (`.message`), rendered in the
    user's language where it is shown; `str(error)` is the English, for logs."""

    def __init__(self, message: Message) -> None:
        if not isinstance(message, Message):
            raise TypeError(
                f"{type(self).__name__} takes a Message, not {type(message).__name__}: write "
                "t('...') so it can be translated (README: Translating the bot)"
            )
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return render(self.message)
