"""Text for users, before it has a language: `Message`, made with `t` and `tn`.

A message is an English template with named placeholders and the values that fill them, so
the same message can be rendered in any UI language later (`i18n.render`), for example by a
reply delivered after a restart. Templates use `str.format` fields by name (`{job_id}`), never
positions, because translations put them in their own order; literal braces are doubled.

    t("Job {job_id} accepted: starting now.", job_id=job_id)
    tn("{count} term", "{count} terms", count, count=count)
    verbatim(prompt)       # the user's own words, a token or a path: never translated
    lines(messages)        # whole messages, one per line
    listed(items)          # items as one message: "a, b, c", "a、b、c"
    sentences(messages)    # whole sentences in a row

`t` and `tn` are the markers `pybabel extract` looks for (Makefile: `make messages`): the
template must be a string literal, written once where it is used.

Values are formatted for the language as they are rendered: numbers by Babel's rules, a
nested Message in the same language, and the wrappers below (`Duration`, `ClockTime`,
`Listing`, `Stamp`). A value to show exactly as it is (a seed, a job id) is a str.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    """An English template and its values (`i18n.render` shows it in a language)."""

    msgid: str
    args: tuple[tuple[str, Any], ...] = ()
    plural: str | None = None  # the English plural template (made by `tn`)
    count: int = 1  # chooses between singular and plural forms
    # False: the template is no text of its own, only placeholders ("{text}"), the same in
    # every language; it is not looked up in the catalogues.
    translate: bool = True

    def values(self) -> dict[str, Any]:
        return dict(self.args)

    def with_values(self, **args: Any) -> Message:
        """This template with these values: for templates chosen from a table, written
        (and extracted) where the table is."""
        return replace(self, args=tuple(args.items()))


def t(msgid: str, /, **args: Any) -> Message:
    """A message to translate: `msgid` is its English text (a literal, for extraction)."""
    return Message(msgid, tuple(args.items()))


def tn(singular: str, plural: str, count: int, /, **args: Any) -> Message:
    """A message with plural forms chosen by `count` (English has two; Chinese one)."""
    return Message(singular, tuple(args.items()), plural, int(count))


def verbatim(text: str) -> Message:
    """Text that is the same in every language: a user's prompt, a token, a path."""
    return Message("{text}", (("text", text),), translate=False)


def lines(messages: Iterable[Message]) -> Message:
    """Whole messages, one per line (a listing, a history)."""
    return Message("{lines}", (("lines", Listing(tuple(messages), "lines")),), translate=False)


def listed(items: Iterable[Any], style: str = "plain") -> Message:
    """Items as one message, listed in the language's way (`Listing`'s styles)."""
    return Message("{items}", (("items", Listing(tuple(items), style)),), translate=False)


def sentences(messages: Iterable[Message]) -> Message:
    """Whole sentences one after the other, spaced as the language spaces sentences."""
    items = Listing(tuple(messages), "sentences")
    return Message("{sentences}", (("sentences", items),), translate=False)


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time, shown in the language's units ("3.1 s", "3.1秒", "5 hr, 12 min");
    `length` "long" spells them out ("15 minutes", "15分钟")."""

    seconds: float
    length: str = "short"


@dataclass(frozen=True, slots=True)
class ClockTime:
    """A moment shown as its time of day and zone ("00:00 UTC"): a daily reset."""

    moment: datetime


@dataclass(frozen=True, slots=True)
class Stamp:
    """A moment shown as a short date and time in UTC (history, logs)."""

    moment: datetime


@dataclass(frozen=True, slots=True)
class Listing:
    """Items shown as a list in the language's way: "a, b, and c", "a、b和c".

    `style`: "standard" (and), "or", "plain" (no conjunction: "a, b, c", "a、b、c"),
    "semicolons" ("a; b", "a；b": items that hold commas), "lines" (one item per line) or
    "sentences" (a space between in English, none after Chinese full stops).
    """

    items: tuple[Any, ...]
    style: str = "standard"

    @classmethod
    def of(cls, items: Iterable[Any], style: str = "standard") -> Listing:
        return cls(tuple(items), style)
