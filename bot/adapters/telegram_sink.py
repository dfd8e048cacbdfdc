"""Telegram's side of the core's replies: how a job looks in a chat, and direct answers.

A job is one message: (1) the acknowledgement, a reply to the user's message with the job's
place in the queue, edited while the line moves; (2) once drawing starts, its picture becomes
the latest preview (editMessageMedia adds a photo to a text message) with the status as its
caption; (3) finally the 2×2 grid with U1–U4, V1–V4 and 🔄. Its id is stored through the core,
so a job resumed or delivered after a restart edits the same message.

Telegram cannot look up a message whose send was answered with an error (or not at all), so a
message is only ever created where a second copy would do no harm, and everything else is an
edit, which may be repeated ("message is not modified" counts as done): a preview never
creates a message (a lost answer would leave it behind for good), and the final reply is an
edit of the job's message. A job without one (its acknowledgement did not get out, or the
message was deleted) gets it at the end: the outcome's text first, then the grid edited in.
Editing notifies nobody, so the core follows a final reply with a NOTICE: a short message
under the job's message, mentioning the user in groups; unless the final reply had to create
the message, which notified already.

Edits are paced per job (one per `group_every_s` in groups, `private_every_s` in private chats)
and latest-wins: a preview that arrives while an edit is due or in flight replaces the one
waiting, so a slow chat shows fewer, newer previews and the core never waits on them. The final
edit waits for an edit in flight and then always goes out. Flood control (RetryAfter) is
honoured by PTB's AIORateLimiter, which holds every request for as long as Telegram asks and
then retries; if a preview edit still fails, this job stays quiet for the time asked.

The core answers each update through a `TelegramResponder` (`telegram_responder`).
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.adapters.telegram_format import (
    CAPTION_LIMIT,
    CAPTION_TAIL,
    MESSAGE_LIMIT,
    PHOTO_BYTES,
    fit,
    keyboard,
    seconds,
)
from bot.adapters.uploads import fit_upload
from bot.core.requests import Origin, Reply, ReplyKind, ReplyMessages, Undeliverable

log = logging.getLogger(__name__)

# What Telegram says (BadRequest) when ...
_UNCHANGED = ("message is not modified",)  # an edit repeated: it was applied before
_GONE = ("message to edit not found", "message_id_invalid")  # the message was deleted
_NO_CAPTION = ("there is no caption in the message to edit",)  # a text message
_NO_CHAT = ("chat not found", "have no rights to send")  # the chat is gone for the bot


@dataclass(slots=True, eq=False)
class _JobView:
    """What one chat shows of one job, and the newest state waiting to be shown."""

    origin: Origin
    job_id: str
    pace_s: float
    message_id: int | None = None  # the job's one message
    photo: bool | None = None  # it shows a picture (None: not known, after a restart)
    status: str = ""  # newest status line
    shown: str = ""  # the status line the chat shows
    preview: bytes | None = None  # newest preview not shown yet
    spoiler: bool = False  # that preview goes behind a spoiler (the image safety check)
    dirty: bool = False
    next_at: float = 0.0  # monotonic time before which this job's message is left alone
    closed: bool = False  # the final reply took over
    editing: bool = False
    task: asyncio.Task | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class TelegramSink:
    """The core's ReplySink for platform "telegram"."""

    def __init__(
        self,
        bot: Bot,
        messages: ReplyMessages,
        *,
        group_every_s: float = 3.0,
        private_every_s: float = 1.0,
    ) -> None:
        self.bot = bot
        self.messages = messages
        self.group_every_s = group_every_s
        self.private_every_s = private_every_s
        self._views: dict[str, _JobView] = {}
        self._announced: set[str] = set()  # jobs whose final reply came as a new message
        self._closed = False

    async def send(self, origin: Origin, reply: Reply) -> None:
        if self._closed:
            # Raising keeps the reply owed in the core: it is sent after the next start.
            raise ConnectionError("the Telegram adapter has stopped")
        try:
            if reply.kind is ReplyKind.DELETED:
                await self.delete_shown(origin, reply.job_id)
            elif reply.job_id is None:
                await self.post(origin, reply.text)
            elif reply.kind is ReplyKind.ACK:
                await self._acknowledge(origin, reply)
            elif reply.kind is ReplyKind.PROGRESS:
                await self._progress(origin, reply)
            elif reply.kind is ReplyKind.NOTICE:
                await self._notify(origin, reply)
            else:
                await self._finish(origin, reply)
        except Forbidden as error:  # blocked by the user, removed from the group
            raise Undeliverable(error.message) from error
        except BadRequest as error:
            if _says(error, _NO_CHAT):
                raise Undeliverable(error.message) from error
            raise

    async def close(self) -> None:
        """Stop pending preview edits; later replies raise (and stay owed)."""
        self._closed = True
        tasks = [view.task for view in self._views.values() if view.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._views.clear()

    async def post(
        self, origin: Origin, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None
    ) -> Message:
        return await self.bot.send_message(
            int(origin.chat_id),
            fit(text, MESSAGE_LIMIT),
            reply_parameters=_reply_to(origin),
            reply_markup=markup,
        )

    async def delete_shown(
        self, origin: Origin, job_id: str | None, query: CallbackQuery | None = None
    ) -> None:
        """🗑: remove the message that shows the job (the one pressed, else its stored one)."""
        message = query.message if query is not None else None
        stored = None if job_id is None else await self.messages.reply_message(job_id)
        message_id = message.message_id if message is not None else stored
        if message_id is None or not str(message_id).lstrip("-").isdigit():
            return
        try:
            await self.bot.delete_message(int(origin.chat_id), int(message_id))
        except TelegramError as error:  # gone already, or too old to delete (48 h)
            log.info("could not delete the message of job %s: %s", job_id, error)

    # a job's message -----------------------------------------------------------------------
    async def _view(self, origin: Origin, job_id: str) -> _JobView:
        view = self._views.get(job_id)
        if view is None:
            view = self._views[job_id] = await self._new_view(origin, job_id)
        return view

    async def _new_view(self, origin: Origin, job_id: str) -> _JobView:
        view = _JobView(origin, job_id, self._pace(origin))
        # A job resumed (or a result delivered) after a restart edits the message it had.
        stored = await self.messages.reply_message(job_id)
        view.message_id = int(stored) if stored and stored.lstrip("-").isdigit() else None
        return view

    async def _adopt(self, view: _JobView, message: Message) -> None:
        """`message` is the job's message from now on, also after a restart."""
        view.message_id, view.photo = message.message_id, bool(message.photo)
        await self.messages.remember_reply_message(view.job_id, str(message.message_id))

    def _pace(self, origin: Origin) -> float:
        # Private chats have the user's (positive) id; groups and channels negative ones.
        private = not origin.chat_id.startswith("-")
        return self.private_every_s if private else self.group_every_s

    async def _acknowledge(self, origin: Origin, reply: Reply) -> None:
        assert reply.job_id is not None
        view = await self._view(origin, reply.job_id)
        if view.message_id is not None:  # resumed after a restart: its message says so
            await self._progress(origin, reply)
            return
        await self._adopt(view, await self.post(origin, reply.text))
        view.shown = reply.text
        view.next_at = time.monotonic() + view.pace_s

    async def _progress(self, origin: Origin, reply: Reply) -> None:
        """Record the newest state and make sure an edit is scheduled; never waits for it."""
        assert reply.job_id is not None
        view = await self._view(origin, reply.job_id)
        view.status = reply.text
        if reply.image_png is not None:
            view.preview, view.spoiler = reply.image_png, reply.spoiler
        view.dirty = True
        if view.task is None or view.task.done():
            view.task = asyncio.create_task(self._flush(view), name=f"tg-edit-{view.job_id}")

    async def _flush(self, view: _JobView) -> None:
        while view.dirty and not view.closed:
            delay = view.next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            async with view.lock:
                if view.closed:
                    return
                view.editing = True
                try:
                    await self._show_progress(view)
                except Exception:  # a bug here must not end the job's delivery
                    log.exception("showing progress of job %s failed", view.job_id)
                    return
                finally:
                    view.editing = False

    async def _show_progress(self, view: _JobView) -> None:
        status, preview = view.status, view.preview
        view.dirty, view.preview = False, None
        if view.message_id is None:
            return  # the acknowledgement did not get out: nothing to edit, and nothing created
        try:
            if preview is not None:
                caption = fit(status, CAPTION_LIMIT, tail=CAPTION_TAIL)
                media = InputMediaPhoto(
                    preview, caption=caption, filename="preview.png", has_spoiler=view.spoiler
                )
                await self.bot.edit_message_media(media, int(view.origin.chat_id), view.message_id)
                view.photo = True
            elif status != view.shown:
                await self._edit_status(view, status)
            view.shown = status
        except RetryAfter as error:
            # The rate limiter's retries ran out: leave this job's message alone as long as
            # Telegram asks; the newest state goes out after that (the final reply always).
            view.dirty = True
            view.next_at = time.monotonic() + seconds(error.retry_after)
            log.warning("Telegram flood control: job %s previews paused", view.job_id)
            return
        except TelegramError as error:
            # A preview is disposable (message deleted, network blip): skip it.
            log.info("preview for job %s not shown: %s", view.job_id, error)
        view.next_at = time.monotonic() + view.pace_s

    async def _edit_status(self, view: _JobView, text: str) -> None:
        """The job's message shows `text` (and no buttons): as its caption once it has a
        picture, else as its text."""
        assert view.message_id is not None
        chat = int(view.origin.chat_id)
        if view.photo is not False:
            caption = fit(text, CAPTION_LIMIT, tail=CAPTION_TAIL)
            try:
                await _unless_unchanged(
                    self.bot.edit_message_caption(chat, view.message_id, caption=caption)
                )
                view.photo = True
                return
            except BadRequest as error:
                if view.photo or not _says(error, _NO_CAPTION):
                    raise
        await _unless_unchanged(
            self.bot.edit_message_text(fit(text, MESSAGE_LIMIT), chat, view.message_id)
        )
        view.photo = False

    async def _finish(self, origin: Origin, reply: Reply) -> None:
        """The job's last reply (result, failure, cancellation) replaces whatever it showed."""
        assert reply.job_id is not None
        view = self._views.pop(reply.job_id, None) or await self._new_view(origin, reply.job_id)
        view.closed = True
        if view.task is not None and not view.editing:
            view.task.cancel()  # only a wait for the next edit: nothing half sent
        async with view.lock:  # after an edit in flight, never before it
            try:
                await self._show_final(view, reply)
            except BadRequest as error:
                if not _says(error, _GONE):
                    raise
                log.info("job %s: its message is gone; the outcome gets a new one", view.job_id)
                view.message_id = view.photo = None
                await self._show_final(view, reply)

    async def _show_final(self, view: _JobView, reply: Reply) -> None:
        if view.message_id is None:
            # Created with the outcome's own text: a second copy (after a lost answer) says
            # nothing untrue, and it notifies the user, so no notice is needed.
            await self._adopt(view, await self.post(view.origin, reply.text))
            self._announced.add(view.job_id)
            if reply.kind is not ReplyKind.RESULT:
                return
        if reply.kind is ReplyKind.RESULT and reply.image_path is not None:
            upload = await asyncio.to_thread(fit_upload, reply.image_path, PHOTO_BYTES)
            caption = fit(reply.text, CAPTION_LIMIT, tail=CAPTION_TAIL)
            media = InputMediaPhoto(
                upload.data, caption=caption, filename=upload.filename, has_spoiler=reply.spoiler
            )
            chat, markup = int(view.origin.chat_id), keyboard(reply.buttons)
            await _unless_unchanged(
                self.bot.edit_message_media(media, chat, view.message_id, reply_markup=markup)
            )
            view.photo = True
        else:
            await self._edit_status(view, reply.text)

    async def _notify(self, origin: Origin, reply: Reply) -> None:
        """A short new message under the job's message; in groups it mentions the user."""
        assert reply.job_id is not None
        if reply.job_id in self._announced:
            self._announced.discard(reply.job_id)
            return
        stored = await self.messages.reply_message(reply.job_id)
        under = _reply_to(origin)
        if stored and stored.isdigit():
            under = ReplyParameters(int(stored), allow_sending_without_reply=True)
        text = html.escape(fit(reply.text, MESSAGE_LIMIT - 100))
        bell = "🔔"
        if origin.chat_id.startswith("-") and origin.user_id.isdigit():  # a group: mention
            bell = f'<a href="tg://user?id={origin.user_id}">🔔</a>'
        await self.bot.send_message(
            int(origin.chat_id),
            f"{bell} {text}",
            parse_mode=ParseMode.HTML,
            reply_parameters=under,
        )

    async def send_result(self, origin: Origin, reply: Reply) -> Message:
        """A past result posted again (/show), as a new message with its buttons."""
        assert reply.image_path is not None
        upload = await asyncio.to_thread(fit_upload, reply.image_path, PHOTO_BYTES)
        return await self.bot.send_photo(
            int(origin.chat_id),
            upload.data,
            caption=fit(reply.text, CAPTION_LIMIT, tail=CAPTION_TAIL),
            filename=upload.filename,
            reply_markup=keyboard(reply.buttons),
            reply_parameters=_reply_to(origin),
            has_spoiler=reply.spoiler,
        )


def _says(error: TelegramError, phrases: tuple[str, ...]) -> bool:
    return any(phrase in error.message.lower() for phrase in phrases)


async def _unless_unchanged(edit: Awaitable[Any]) -> None:
    """An edit that Telegram finds already applied (an earlier try got through) is done."""
    try:
        await edit
    except BadRequest as error:
        if not _says(error, _UNCHANGED):
            raise


def _reply_to(origin: Origin) -> ReplyParameters | None:
    """Answer under the user's message (in its forum topic too); still send if it is gone."""
    handle = origin.reply_handle  # the message that asked (or the grid a button is under)
    if handle is None or not handle.isdigit():
        return None
    return ReplyParameters(int(handle), allow_sending_without_reply=True)
