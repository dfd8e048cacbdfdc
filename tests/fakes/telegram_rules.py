"""What the Telegram Bot API refuses, with the descriptions it answers (`"ok": false`).

Limits from core.telegram.org/bots/api: message text 1-4,096 characters and captions 0-1,024
"after entities parsing" (counted in UTF-16 code units, as Telegram counts entity offsets);
InlineKeyboardButton callback_data 1-64 bytes; sendPhoto "at most 10 MB ... width and height
must not exceed 10000 in total ... ratio must be at most 20"; getFile downloads "up to 20 MB";
ResponseParameters `migrate_to_chat_id` (the group became a supergroup) and `retry_after`
(flood control). Flood control from core.telegram.org/bots/faq ("My bot is hitting limits"):
about one message a second in one chat, "short bursts" allowed; no more than 20 messages a
minute in one group; about 30 messages a second overall. Telegram publishes no burst size: the
fake allows PRIVATE_BURST messages in a row in a private chat, 20 in a group, 30 overall, each
refilled at the published rate. Nor does it publish how long a callback query may be answered:
its users report seconds; the fake allows QUERY_WINDOW_S.

The descriptions are the Bot API's own (as its users quote them: "Bad Request: message is not
modified: ...", "Forbidden: bot was blocked by the user"); where the Bot API passes on an
MTProto error it is the error's name (PHOTO_INVALID_DIMENSIONS, PHOTO_SAVE_FILE_INVALID,
BUTTON_DATA_INVALID, MESSAGE_TOO_LONG, MEDIA_CAPTION_TOO_LONG).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.fakes.clock import FakeClock

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
PHOTO_BYTES = 10 * 1000 * 1000
PHOTO_SIDES = 10_000  # width + height
PHOTO_RATIO = 20
DOWNLOAD_BYTES = 20 * 1000 * 1000
PRIVATE_BURST = 10
QUERY_WINDOW_S = 10.0
SENDING = {
    "sendMessage",
    "sendPhoto",
    "sendMediaGroup",
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
}


class Refused(Exception):
    """An answer with `"ok": false`."""

    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad(description: str, **parameters: Any) -> Refused:
    return Refused(400, f"Bad Request: {description}", **parameters)


NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
NO_TEXT = "there is no text in the message to edit"  # a text edit of a photo
NO_CAPTION = "there is no caption in the message to edit"  # a caption edit of a text
STALE_QUERY = "query is too old and response timeout expired or query ID is invalid"
BLOCKED = Refused(403, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = bad("chat not found")


def migrated(to: int) -> Refused:
    return bad("group chat was upgraded to a supergroup chat", migrate_to_chat_id=to)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str | None, *, editing: bool) -> None:
    if not (text or "").strip():
        raise bad("message text is empty")
    if utf16_len(text or "") > TEXT_LIMIT:
        raise bad("MESSAGE_TOO_LONG" if editing else "message is too long")


def check_caption(caption: str | None, *, media_edit: bool = False) -> None:
    if utf16_len(caption or "") > CAPTION_LIMIT:
        raise bad("MEDIA_CAPTION_TOO_LONG" if media_edit else "message caption is too long")


def check_keyboard(markup: dict[str, Any] | None) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_BYTES:
                raise bad("BUTTON_DATA_INVALID")


def check_photo(data: bytes) -> tuple[int, int]:
    """The photo's size, if Telegram takes it as a photo."""
    if len(data) > PHOTO_BYTES:
        raise bad("PHOTO_SAVE_FILE_INVALID")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except OSError:
        raise bad("IMAGE_PROCESS_FAILED") from None
    if width + height > PHOTO_SIDES or max(width, height) > PHOTO_RATIO * min(width, height):
        raise bad("PHOTO_INVALID_DIMENSIONS")
    return width, height


def photo_sizes(files: dict[str, bytes], reference: str) -> list[dict]:
    """A sent photo as Telegram describes it; the upload itself is kept for assertions."""
    name = reference.removeprefix("attach://")
    if name not in files:
        raise bad("there is no photo in the request")
    data = files[name]
    width, height = check_photo(data)
    size = {"file_id": f"f{len(data)}", "file_unique_id": f"u{len(data)}", "width": width}
    return [size | {"height": height, "file_size": len(data), "_bytes": data}]


@dataclass
class _Bucket:
    capacity: float
    per_s: float
    level: float
    at: float

    def wait(self, now: float) -> float:
        """Seconds until one more message may go (0: now)."""
        self.level = min(self.capacity, self.level + (now - self.at) * self.per_s)
        self.at = now
        return 0.0 if self.level >= 1 else (1 - self.level) / self.per_s


@dataclass
class FloodControl:
    """Token buckets per chat (stricter in groups) and for the bot overall."""

    clock: FakeClock
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _overall: _Bucket | None = None

    def take(self, chat_id: int) -> None:
        """Count one message to `chat_id`, or refuse it with 429 and its `retry_after`."""
        now = self.clock.monotonic()
        if self._overall is None:
            self._overall = _Bucket(30, 30, 30, now)
        chat = self._chats.get(chat_id)
        if chat is None:
            group = chat_id < 0
            capacity, per_s = (20, 20 / 60) if group else (PRIVATE_BURST, 1.0)
            chat = self._chats[chat_id] = _Bucket(capacity, per_s, capacity, now)
        wait = max(chat.wait(now), self._overall.wait(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise Refused(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        chat.level -= 1
        self._overall.level -= 1

    def clear(self) -> None:
        self._chats.clear()
        self._overall = None
