"""What Telegram's refusals mean for a reply: done already, try another way, or never.

Telegram answers with a description, not a code (PTB raises it as BadRequest, Forbidden, ...):
the phrases below are the Bot API's own. Pure, apart from awaiting the request it is given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.core.requests import Undeliverable

# What Telegram says (BadRequest) when ...
GONE = ("message to edit not found", "message_id_invalid")  # the message was deleted
NO_CAPTION = ("there is no caption in the message to edit",)  # a text message
_UNCHANGED = ("message is not modified",)  # an edit repeated: it was applied before
_NO_CHAT = ("chat not found", "have no rights to send")  # the chat is gone for the bot


def says(error: TelegramError, phrases: tuple[str, ...]) -> bool:
    return any(phrase in error.message.lower() for phrase in phrases)


def not_modified(error: TelegramError) -> bool:
    """Telegram's "message is not modified": the message shows exactly this already (an
    earlier try got through, or a job delivered again after a restart)."""
    return isinstance(error, BadRequest) and says(error, _UNCHANGED)


def chat_lost(error: TelegramError) -> bool:
    """Blocked by the user, removed from the group, or the chat is gone: for good."""
    lost = isinstance(error, BadRequest) and says(error, _NO_CHAT)
    return lost or isinstance(error, Forbidden)


async def unless_unchanged(edit: Awaitable[Any]) -> None:
    """An edit that Telegram finds already applied is done."""
    try:
        await edit
    except BadRequest as error:
        if not not_modified(error):
            raise


@contextmanager
def refusals() -> Iterator[None]:
    """What Telegram will never take is Undeliverable to the core (which stops retrying)."""
    try:
        yield
    except TelegramError as error:
        if chat_lost(error):
            raise Undeliverable(error.message) from error
        raise
