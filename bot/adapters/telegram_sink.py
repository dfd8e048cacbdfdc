"""Telegram's side of the core's replies: how a job looks in a chat.

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

Previews are paced per chat, all its jobs together (`telegram_pace`: one message per
`group_every_s` in groups, `private_every_s` in private chats, acknowledgements and results
counted), and latest-wins: a preview that arrives while an edit is due or in flight replaces
the one waiting, so a slow chat shows fewer, newer previews and the core never waits on them.
The final edit waits for an edit in flight and then always goes out. Flood control
(RetryAfter) is honoured by PTB's AIORateLimiter, which holds every request for as long as
Telegram asks and then retries; if a preview edit still fails, this job stays quiet for the
time asked. A group upgraded to a supergroup is followed there (`telegram_moves`): its jobs'
replies go on in the supergroup as new messages. What Telegram's refusals mean (done already,
or never) is `telegram_errors`.

New messages (answers, a result posted again, notices, 🗑) are `telegram_posts`'; the core
answers each update through a `TelegramResponder` (`telegram_responder`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from telegram import Bot, InputMediaPhoto, Message
from telegram.error import BadRequest, ChatMigrated, RetryAfter, TelegramError

from bot.adapters.telegram_errors import (
    GONE,
    NO_CAPTION,
    chat_lost,
    not_modified,
    refusals,
    says,
    unless_unchanged,
)
from bot.adapters.telegram_format import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    PHOTO_BYTES,
    fit,
    keyboard,
    seconds,
)
from bot.adapters.telegram_moves import ChatMoves
from bot.adapters.telegram_pace import ChatPace
from bot.adapters.telegram_posts import ChatPosts
from bot.adapters.text_fit import CAPTION_TAIL
from bot.adapters.uploads import fit_upload
from bot.core.requests import Origin, Reply, ReplyKind, ReplyMessages

log = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class _JobView:
    """What one chat shows of one job, and the newest state waiting to be shown."""

    origin: Origin
    job_id: str
    message_id: int | None = None  # the job's one message
    photo: bool | None = None  # it shows a picture (None: not known, after a restart)
    status: str = ""  # newest status line
    shown: str = ""  # the status line the chat shows
    preview: bytes | None = None  # newest preview not shown yet
    spoiler: bool = False  # that preview goes behind a spoiler (the image safety check)
    dirty: bool = False
    next_at: float = 0.0  # monotonic time before which flood control keeps this job quiet
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
        moves: ChatMoves,
        group_every_s: float = 3.0,
        private_every_s: float = 1.0,
    ) -> None:
        self.bot = bot
        self.messages = messages
        self.group_every_s = group_every_s
        self.private_every_s = private_every_s
        self.moves = moves
        self.pace = ChatPace(self._every_s)
        self.posts = ChatPosts(bot, messages, self.pace)  # new messages; the views edit theirs
        self._views: dict[str, _JobView] = {}
        self._announced: set[str] = set()  # jobs whose final reply came as a new message
        self._closed = False

    async def send(self, origin: Origin, reply: Reply) -> None:
        if self._closed:
            # Raising keeps the reply owed in the core: it is sent after the next start.
            raise ConnectionError("the Telegram adapter has stopped")
        origin = self.moves.follow(origin)
        try:
            with refusals():  # blocked by the user, removed from the group: never
                await self._send(origin, reply)
        except ChatMigrated as error:
            await self.migrated(origin.chat_id, str(error.new_chat_id))
            await self.send(origin, reply)  # once more: to the supergroup

    async def migrated(self, old: str, new: str) -> None:
        """The group `old` is the supergroup `new` now: jobs shown there start anew in it."""
        await self.moves.moved(old, new)
        for view in self._views.values():
            if view.origin.chat_id == old:
                view.origin = self.moves.follow(view.origin)
                view.message_id = view.photo = None
                view.shown = ""

    async def _send(self, origin: Origin, reply: Reply) -> None:
        if reply.kind is ReplyKind.DELETED:
            await self.posts.delete_shown(origin, reply.job_id)
        elif reply.job_id is None:
            await self.posts.post(origin, reply.text)
        elif reply.kind is ReplyKind.ACK:
            await self._acknowledge(origin, reply)
        elif reply.kind is ReplyKind.PROGRESS:
            await self._progress(origin, reply)
        elif reply.kind is ReplyKind.NOTICE:
            await self._notify(origin, reply)
        else:
            await self._finish(origin, reply)

    async def close(self) -> None:
        """Stop pending preview edits; later replies raise (and stay owed)."""
        self._closed = True
        tasks = [view.task for view in self._views.values() if view.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._views.clear()

    # a job's message -----------------------------------------------------------------------
    async def _view(self, origin: Origin, job_id: str) -> _JobView:
        view = self._views.get(job_id)
        if view is None:
            view = self._views[job_id] = await self._new_view(origin, job_id)
        return view

    async def _new_view(self, origin: Origin, job_id: str) -> _JobView:
        view = _JobView(origin, job_id)
        # A job resumed (or a result delivered) after a restart edits the message it had.
        stored = await self.messages.reply_message(job_id)
        view.message_id = int(stored) if stored and stored.lstrip("-").isdigit() else None
        return view

    async def _adopt(self, view: _JobView, message: Message) -> None:
        """`message` is the job's message from now on, also after a restart."""
        view.message_id, view.photo = message.message_id, bool(message.photo)
        await self.messages.remember_reply_message(view.job_id, str(message.message_id))

    def _every_s(self, chat_id: str) -> float:
        # Private chats have the user's (positive) id; groups and channels negative ones.
        return self.group_every_s if chat_id.startswith("-") else self.private_every_s

    async def _acknowledge(self, origin: Origin, reply: Reply) -> None:
        assert reply.job_id is not None
        view = await self._view(origin, reply.job_id)
        if view.message_id is not None:  # resumed after a restart: its message says so
            await self._progress(origin, reply)
            return
        await self._adopt(view, await self.posts.post(origin, reply.text))
        view.shown = reply.text

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
        """Show the newest state when the job and its chat may have one more message."""
        while view.dirty and not view.closed:
            chat = view.origin.chat_id
            delay = max(view.next_at - time.monotonic(), self.pace.wait_s(chat))
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            async with view.lock:
                if view.closed:
                    return
                if self.pace.wait_s(chat) > 0:  # another job of the chat went first
                    continue
                self.pace.spend(chat)
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
        except ChatMigrated as error:  # the next preview goes to the supergroup
            await self.migrated(view.origin.chat_id, str(error.new_chat_id))
            view.dirty = True
        except TelegramError as error:
            if not_modified(error):  # the chat shows it already (after a restart)
                view.shown = status
            else:
                # A preview is disposable (message deleted, network blip): skip it. In a chat
                # lost to the bot no later one gets through: the final reply tells the core.
                # (Never reopened here: the final reply may have closed the view meanwhile.)
                view.closed = view.closed or chat_lost(error)
                log.info("preview for job %s not shown: %s", view.job_id, error)

    async def _edit_status(self, view: _JobView, text: str) -> None:
        """The job's message shows `text` (and no buttons): as its caption once it has a
        picture, else as its text."""
        assert view.message_id is not None
        chat = int(view.origin.chat_id)
        if view.photo is not False:
            caption = fit(text, CAPTION_LIMIT, tail=CAPTION_TAIL)
            try:
                await unless_unchanged(
                    self.bot.edit_message_caption(chat, view.message_id, caption=caption)
                )
                view.photo = True
                return
            except BadRequest as error:
                if view.photo or not says(error, NO_CAPTION):
                    raise
        await unless_unchanged(
            self.bot.edit_message_text(fit(text, MESSAGE_LIMIT), chat, view.message_id)
        )
        view.photo = False

    async def _finish(self, origin: Origin, reply: Reply) -> None:
        """The job's last reply (result, failure, cancellation) replaces whatever it showed."""
        assert reply.job_id is not None
        view = self._views.pop(reply.job_id, None) or await self._new_view(origin, reply.job_id)
        view.closed = True
        self.pace.spend(view.origin.chat_id)
        if view.task is not None and not view.editing:
            view.task.cancel()  # only a wait for the next edit: nothing half sent
        async with view.lock:  # after an edit in flight, never before it
            try:
                await self._show_final(view, reply)
            except BadRequest as error:
                if not says(error, GONE):
                    raise
                log.info("job %s: its message is gone; the outcome gets a new one", view.job_id)
                view.message_id = view.photo = None
                await self._show_final(view, reply)

    async def _show_final(self, view: _JobView, reply: Reply) -> None:
        if view.message_id is None:
            # Created with the outcome's own text: a second copy (after a lost answer) says
            # nothing untrue, and it notifies the user, so no notice is needed.
            await self._adopt(view, await self.posts.post(view.origin, reply.text))
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
            await unless_unchanged(
                self.bot.edit_message_media(media, chat, view.message_id, reply_markup=markup)
            )
            view.photo = True
        else:
            await self._edit_status(view, reply.text)

    async def _notify(self, origin: Origin, reply: Reply) -> None:
        assert reply.job_id is not None
        if reply.job_id in self._announced:  # its final reply came as a new message
            self._announced.discard(reply.job_id)
            return
        await self.posts.notice(origin, reply)
