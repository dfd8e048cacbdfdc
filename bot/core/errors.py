"""Errors a user (or an owner) can act on.

Every message is written for the person who will read it: it names what to fix. It is a
`Message` (`t("...")`), shown in the user's language; `str(error)` is its English.

    MjError                      base: anything the core refuses, with a user-facing message
    ├── ParamError               the /mj text is malformed (unknown param, bad value, range, ...)
    ├── ImagePromptError         an image prompt could not be fetched or is not a usable image
    ├── JobNotFound              a job id that does not exist (or is not yours)
    ├── JobDeleted               its owner deleted the job's result (🗑): nothing is left to use
    ├── JobUnfinished            the job is still queued or running: it must end (or be cancelled)
    ├── LinkRefused              a signed link (the region page) is expired, altered or foreign
    ├── PromptBlocked            a banned term is in the prompt, or the user is paused
    ├── QuotaExceeded            not enough credits left today for this job
    ├── QueueFull                the queue (or this user's share of it) has no room now
    ├── EngineUnavailable        the drawing engine is not running; try again later
    └── NotPermitted             a moderator command from someone who may not use it
        └── UserBlocked          a moderator blocked this user from drawing

Engine and model-loading errors live in `engine.errors`, because the engine must not import the
bot; the core turns them into replies. A message quotes what the user sent through `excerpt`:
a 5,000-digit seed is answered in one line, not 5,000 characters.
"""

from __future__ import annotations

from i18n import Message, MessageError, t, verbatim

EXCERPT_CHARS = 40


def excerpt(value: str, limit: int = EXCERPT_CHARS, quote: str = "'") -> Message:
    """`value` in quotes, cut to its first `limit` characters (and its length) if longer."""
    if len(value) <= limit:
        return verbatim(f"{quote}{value}{quote}")
    return t(
        "{excerpt} ({length} characters)",
        excerpt=f"{quote}{value[:limit]}…{quote}",
        length=len(value),
    )


class MjError(MessageError):
    """Base class; `error.message` is what the user is shown, in their language."""


class ParamError(MjError, ValueError):
    """The /mj text cannot be turned into a request; the message says what to change."""


class ImagePromptError(MjError):
    """An image prompt (URL or attachment) was refused before anything was charged."""


class JobNotFound(MjError, LookupError):
    """No such job (or it belongs to someone else)."""


class JobDeleted(MjError):
    """The job's result was deleted by its owner (🗑); its row stays, its images are gone."""


class JobUnfinished(MjError):
    """The job is queued or running, and the action needs it finished (or cancelled)."""


class LinkRefused(MjError):
    """A signed link was expired, changed, or made for another user or image."""


class PromptBlocked(MjError):
    """The prompt names a banned term (or the user is paused after repeated blocks)."""

    def __init__(self, message: Message, terms: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.terms = terms


class QuotaExceeded(MjError):
    """The user's credits for today do not cover this job; nothing was charged or queued."""


class QueueFull(MjError):
    """The queue refused the job (full, or the user has their most jobs waiting); try later."""


class EngineUnavailable(MjError):
    """The drawing engine is not running (stopped, or its worker died); nothing was queued."""


class NotPermitted(MjError, PermissionError):
    """Only moderators (of this community) or the owner (for the global list) may do that."""


class UserBlocked(NotPermitted):
    """A moderator blocked this user from drawing."""
