"""The neutral message model every adapter speaks: Origin, Incoming in, Reply out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from and where its answers go. Plain data: it lives in SQLite."""

    platform: str  # "console", "discord", "telegram", "api"
    chat_id: str  # channel / chat / "local"
    user_id: str  # the platform's user id
    message_id: str | None = None  # the message that asked, if the platform has one
    guild_id: str | None = None  # the Discord server (None in DMs and on other platforms)

    @property
    def user_key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ButtonPress:
    action: str  # "U1".."U4", "V1".."V4", "reroll"; under an upscale "VS", "VX", "U2X"
    job_id: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: a command text or a button press."""

    origin: Origin
    user_name: str
    text: str | None = None
    button: ButtonPress | None = None
    # Set by the adapter: may this user manage this community's banned terms? (Discord:
    # Manage Server or a configured role; Telegram: a group administrator.)
    is_moderator: bool = False
    # An image sent with the command (a Telegram photo), already downloaded by the adapter:
    # the image prompt. The core checks it like a downloaded URL before using it.
    image: bytes | None = field(default=None, repr=False)


class ReplyKind(StrEnum):
    TEXT = "text"  # plain information (help, cancelled, ...)
    ACK = "ack"  # a job was accepted: carries its id and queue position
    PROGRESS = "progress"  # queue position or generation progress, maybe with a preview
    RESULT = "result"  # the finished grid, with its buttons
    ERROR = "error"  # something the user should fix or know; shown only to them if possible


@dataclass(frozen=True, slots=True)
class Button:
    label: str  # "U1", "V3", "🔄"
    action: str  # what a press sends back (ButtonPress.action)
    job_id: str


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    text: str
    job_id: str | None = None
    image_path: Path | None = None  # a stored file (results)
    image_png: bytes | None = field(default=None, repr=False)  # in-memory image (previews)
    buttons: tuple[Button, ...] = ()
    percent: int | None = None  # generation progress, 0..100
    position: int | None = None  # place in the queue, 1 = next
    ephemeral: bool = False  # only the asking user should see it


class ReplySink(Protocol):
    """Implemented by each adapter: deliver one reply to the chat an Origin names."""

    async def send(self, origin: Origin, reply: Reply) -> None: ...
