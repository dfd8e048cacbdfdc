"""Discord's limits on what the bot sends, applied to the core's replies. Pure.

Sources (discord/discord-api-docs): resources/message.mdx (content is at most 2,000
characters), reference.mdx "Uploading Files" (10 MiB per file by default; a boosted server
allows more, never less).
"""

from __future__ import annotations

from bot.adapters.text_fit import CAPTION_TAIL, fit
from bot.core.requests import ReplyKind

MAX_CONTENT = 2000  # characters in one Discord message
UPLOAD_BYTES = 10 * 1024 * 1024  # per file, wherever the bot posts
FINAL = (ReplyKind.RESULT, ReplyKind.ERROR, ReplyKind.TEXT)  # replies that end a job's news


def clip(text: str) -> str:
    """`text` within a message; a long caption keeps its end (parameters, seed, job id)."""
    return fit(text, MAX_CONTENT, tail=CAPTION_TAIL)
