"""Engine errors.

EngineError                  base
├── EngineUnavailable        the engine cannot start (Ray missing, cluster unreachable); says why
├── ModelUnavailable         the model is neither on disk nor downloadable; says how to fix
├── GenerationFailed         the pipeline raised or produced garbage (NaN) for one job
└── JobCancelled             the job was cancelled before or while it ran

Two readers, two texts: `str(error)` is for the bot's operator (the log, the terminal): what
went wrong and how to fix it, with paths, settings and commands, in English. `error.public`
is what the job's user reads in the chat, in their language (a Message): no paths, no
settings, no commands to run, and a pointer to the owner where only the owner can help.
"""

from __future__ import annotations

from i18n import Message, t


class EngineError(Exception):
    """Base class for everything the engine raises on purpose."""

    PUBLIC = t("This job could not be drawn; the bot's owner can find the details in the log.")

    def __init__(self, message: str = "", *, public: Message | None = None) -> None:
        super().__init__(message)
        self.public = public or self.PUBLIC


class EngineUnavailable(EngineError):
    """The engine cannot start: Ray is not installed, or its cluster cannot be reached."""


class ModelUnavailable(EngineError):
    """The configured model cannot be loaded; the message says how to get it."""

    PUBLIC = t(
        "This model is not available on this bot right now; the bot's owner can find out why "
        "in the log."
    )


class GenerationFailed(EngineError):
    """One job failed; the worker goes on with the next."""


class JobCancelled(EngineError):
    """Raised inside the worker when a running job is interrupted."""
