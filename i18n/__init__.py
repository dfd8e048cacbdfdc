"""The bot's UI languages: messages written in English, rendered in English, Simplified or
Traditional Chinese from gettext catalogues, with Babel's formatting for each language.

    Message, t, tn, verbatim     text for users, before it has a language (`message`)
    MessageError                 an exception whose text users read (a Message)
    render(message, lang)        that text in one language (`render`)
    Lang, parse_tag, ...         the languages and the names platforms give them (`languages`)

A package of its own, below everything that talks to users: the core, the adapters, and the
engine's and filters' refusals all write their messages with it. See README, "Translating the
bot".
"""

from i18n.languages import Lang, from_accept_language, from_environment, parse_tag
from i18n.message import (
    ClockTime,
    Duration,
    Listing,
    Message,
    Stamp,
    lines,
    listed,
    sentences,
    t,
    tn,
    verbatim,
)
from i18n.render import MessageError, render

__all__ = [
    "ClockTime",
    "Duration",
    "Lang",
    "Listing",
    "Message",
    "MessageError",
    "Stamp",
    "from_accept_language",
    "from_environment",
    "lines",
    "listed",
    "parse_tag",
    "render",
    "sentences",
    "t",
    "tn",
    "verbatim",
]
