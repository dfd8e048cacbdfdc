"""Secrets never reach the log or the terminal: a logging filter that redacts them.

Every entry point installs one filter on the root logger's handlers (`install`), so the records
of every logger pass through it: httpx's request lines (Telegram's Bot API URLs carry the
token), library exceptions with their tracebacks, our own messages. Two nets catch a secret:
- by value: the configured tokens and secrets, and any registered later (a webhook secret
  drawn at start has no recognisable shape);
- by shape: Telegram and Discord bot tokens and our API keys, so a mistyped token, another
  bot's token or a key a client sent is caught although it is not ours.
Messages the CLI prints from exceptions go through `redact` as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
_SHAPES = re.compile(
    "|".join(
        (
            r"(?<![0-9])[0-9]{5,16}:[A-Za-z0-9_-]{30,}",  # Telegram: bot id, ':', 35 characters
            r"[A-Za-z0-9_-]{23,}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}",  # Discord: 3 parts
            r"mjk_[A-Za-z0-9_-]{16,}",  # our API keys (bot.storage api_keys.PREFIX)
        )
    )
)


class SecretFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack with every secret redacted."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        # Longest first, so a secret that contains another is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return _SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it, as without us
            return True
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_installed = SecretFilter()


def install(secrets: Iterable[str | None]) -> SecretFilter:
    """Redact `secrets` (and token shapes) in every handler the root logger has now, and in
    logging's last resort (what prints when nothing was configured).

    Call once the secrets are known and again once logging is configured: each call adds
    its secrets to the one filter and puts the filter on handlers that lack it.
    """
    for secret in secrets:
        _installed.add(secret)
    for handler in [*logging.getLogger().handlers, logging.lastResort]:
        if handler is not None and _installed not in handler.filters:
            handler.addFilter(_installed)
    return _installed


def redact(text: str) -> str:
    """`text` with the installed secrets and every token shape redacted (for CLI messages)."""
    return _installed.redact(text)
