"""The neutral message model every adapter speaks: Origin, Incoming in, Reply out.

Each request comes with its `Responder`, bound by the adapter to that request (a slash
command, a message, a button press): the core answers it there, and reports there on the jobs
it made, for as long as the process lives. What must survive a restart is plain data in the
`Origin`, from which a `ReplySink` delivers without any live object.

Replies carry their text as a `Message` (English template and values) and the language to
show it in: the core sets that language (`Reply.in_language`) before a reply leaves it, and
adapters read `reply.text` and each button's `label`, already in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from i18n import Lang, Message, render


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from and where its answers go. Plain data: it lives in SQLite."""

    platform: str  # "console", "discord", "telegram", "api"
    chat_id: str  # channel / chat / "local"
    user_id: str  # the platform's user id
    # What the adapter answers under, opaque to the core (Telegram: the message that asked).
    reply_handle: str | None = None
    # The community: a Discord server, a Telegram group; None in DMs and the console. Banned
    # terms are kept per community (or per chat without one).
    scope_id: str | None = None
    # The chat is marked for adult content (a Discord channel marked NSFW): where the
    # community's image safety policy allows it, its laxer mode applies there.
    nsfw: bool = False
    # The language answers are written in: chosen by the core for each request
    # (`bot.core.language`) and kept with its jobs. Adapters leave it.
    lang: Lang = Lang.EN

    @property
    def user_key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class RequestKey:
    """A retry key (the HTTP API's Idempotency-Key): a request sent again with the same key
    gets the first one's jobs (`bot.core.retries`)."""

    key: str  # as the client sent it
    fingerprint: str  # the request it came with: a retry must be the same request


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
    # More images sent with it (the rest of a Telegram album): a /blend's other images.
    images: tuple[bytes, ...] = field(default=(), repr=False)
    # The language the platform says the user reads (Discord's interaction locale, Telegram's
    # language_code, the console's MJ_LANG or locale, HTTP's Accept-Language); None: unknown
    # or one the bot does not speak. One signal among several (`bot.core.language`).
    locale: Lang | None = None
    # Set by the HTTP API from an Idempotency-Key: kept on the jobs this request makes.
    key: RequestKey | None = None


class ReplyKind(StrEnum):
    TEXT = "text"  # plain information (help, cancelled, ...)
    ACK = "ack"  # a job was accepted: carries its id and queue position
    PROGRESS = "progress"  # queue position or generation progress, maybe with a preview
    RESULT = "result"  # the finished grid, with its buttons
    ERROR = "error"  # something the user should fix or know; shown only to them if possible
    # A short new message after a job's final reply was edited into its message (an edit does
    # not notify): it mentions the user and points at that message. Only for sinks that ask.
    NOTICE = "notice"
    DELETED = "deleted"  # 🗑: the job's result is gone; remove the message that shows it


@dataclass(frozen=True, slots=True)
class Button:
    caption: Message  # "U1", "V3", "🔄" (tokens), "Vary (Subtle)" (words, translated)
    action: str  # what a press sends back (ButtonPress.action)
    job_id: str
    url: str | None = None  # a link to open instead (the Vary (Region) page); no press
    lang: Lang | None = None  # set with its reply's (`Reply.in_language`)

    @property
    def label(self) -> str:
        return render(self.caption, self.lang or Lang.EN)


@dataclass(frozen=True, slots=True)
class Question:
    """The core asks the user to complete a command (Remix: the prompt for a variation).
    Adapters show it their way (Telegram: a ForceReply; Discord: a form) and send back
    `f"{command} {answer}"` as the user's text; the console and others just show the text."""

    id: str  # for the adapter to find it again (a form's button, the message replied to)
    command: str  # "/remix k7x2m9pq4a V2"
    prefill: str  # the answer as it stands: the job's prompt and parameters
    caption: Message  # what is asked: "Prompt"
    lang: Lang | None = None  # set with its reply's (`Reply.in_language`)

    @property
    def label(self) -> str:
        return render(self.caption, self.lang or Lang.EN)


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    message: Message
    job_id: str | None = None
    image_path: Path | None = None  # a stored file (results)
    image_png: bytes | None = field(default=None, repr=False)  # in-memory image (previews)
    buttons: tuple[Button, ...] = ()
    percent: int | None = None  # generation progress, 0..100
    position: int | None = None  # place in the queue, 1 = next
    ephemeral: bool = False  # only the asking user should see it
    question: Question | None = None  # an answer the user is asked for
    # Vary (Region) without the web page: the adapter may offer the nine thirds of job_id's
    # image as a picker (several at once), sending back `/region JOB_ID CELLS`.
    pick_regions: bool = False
    # The image was flagged by the safety check and the policy says spoiler: show it hidden
    # until the viewer opens it (Discord spoiler, Telegram has_spoiler); others mark it.
    spoiler: bool = False
    # Set by the core as the reply leaves it (`in_language`); None: not chosen yet (English).
    lang: Lang | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.message, Message):
            raise TypeError(
                "a Reply's text is a Message: write t('...') so it can be translated "
                "(README: Translating the bot)"
            )

    @property
    def text(self) -> str:
        """What the user reads, in the reply's language."""
        return render(self.message, self.lang or Lang.EN)

    def in_language(self, lang: Lang) -> Reply:
        """This reply, with its buttons' and question's labels, to be shown in `lang`."""
        buttons = tuple(replace(button, lang=lang) for button in self.buttons)
        question = None if self.question is None else replace(self.question, lang=lang)
        return replace(self, lang=lang, buttons=buttons, question=question)


class ReplySink(Protocol):
    """Implemented by each adapter: deliver one reply to the chat an Origin names, from plain
    data alone (jobs resumed or delivered after a restart, and requests without a Responder).

    A job's final reply and its notice may be sent again when an earlier try failed, or its
    answer was lost: a sink shows them idempotently (it edits the job's own message). Raising
    means "try again later"; raising `Undeliverable` means never."""

    async def send(self, origin: Origin, reply: Reply) -> None: ...


class Undeliverable(Exception):
    """A sink says the platform will never take this reply (the chat is gone, the bot was
    blocked or lacks access there): the core stops retrying it."""


class ReplyMessages(Protocol):
    """Where the core keeps the message that shows each job (MjService implements it)."""

    async def remember_reply_message(self, job_id: str, message_id: str) -> None: ...

    async def reply_message(self, job_id: str) -> str | None: ...

    async def asked_in(self, question_id: str, message_id: str) -> None:
        """The message that asks a question (a Telegram ForceReply), to find it again by."""


class Responder(Protocol):
    """Bound by an adapter to one request: where its answers go."""

    async def answer(self, reply: Reply) -> None:
        """The request's own answer: a refusal, help, /quota, a past result for /show."""

    async def report(self, reply: Reply) -> None:
        """News of a job the request made: acknowledgement, progress, the final result."""


@dataclass(frozen=True, slots=True)
class SinkResponder:
    """A Responder for front ends that need no live object (the console, one-shot commands):
    everything goes to the platform's sink."""

    sink: ReplySink
    origin: Origin

    async def answer(self, reply: Reply) -> None:
        await self.sink.send(self.origin, reply)

    async def report(self, reply: Reply) -> None:
        await self.sink.send(self.origin, reply)
