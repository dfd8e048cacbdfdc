"""Telegram's side of the core's replies: how a job looks in a chat, and direct answers.

A job shows as (1) a reply to the user's message with its place in the queue, edited while the
line moves; (2) once drawing starts, one photo message whose picture and caption are edited with
previews; (3) that same message edited into the 2×2 grid with U1–U4, V1–V4 and 🔄. Its id is
stored through the core, so a job resumed or delivered after a restart edits the same message.

Previews are paced per chat, all its jobs together (`telegram_pace`: one message per
`group_every_s` in groups, `private_every_s` in private chats, acknowledgements and results
counted), and latest-wins: a preview that arrives while an edit is due or in flight replaces
the one waiting, so a slow chat shows fewer, newer previews and the core never waits on them.
The final edit waits for an edit in flight and then always goes out. Flood control
(RetryAfter) is honoured by PTB's AIORateLimiter, which holds every request for as long as
Telegram asks and then retries; if a preview edit still fails, this job stays quiet for the
time asked. "Message is not modified" means the chat shows that already (a job resumed or
delivered again after a restart): it counts as shown, never as a reason to send anew.

The core answers each update through its `TelegramResponder`: refusals of a button press become
an alert on the press, the rest a reply to the user's message (Telegram has no messages only one
member of a group can see); news of the jobs it made go to the sink's job views.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.adapters.telegram_format import (
    ALERT_LIMIT,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    PHOTO_BYTES,
    fit,
    keyboard,
    regions_keyboard,
    seconds,
)
from bot.adapters.telegram_moves import ChatMoves
from bot.adapters.telegram_pace import ChatPace
from bot.adapters.text_fit import CAPTION_TAIL
from bot.adapters.uploads import fit_upload
from bot.core.language import Lang
from bot.core.requests import Origin, Reply, ReplyKind, ReplyMessages, Undeliverable

log = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class _JobView:
    """What one chat shows of one job, and the newest state waiting to be shown."""

    origin: Origin
    job_id: str
    ack_id: int | None = None  # the acknowledgement (queue position) message
    photo_id: int | None = None  # the preview / result message
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
        self._views: dict[str, _JobView] = {}
        self._closed = False

    async def send(self, origin: Origin, reply: Reply) -> None:
        if self._closed:
            # Raising keeps the reply undelivered in the core: it is sent after the next start.
            raise ConnectionError("the Telegram adapter has stopped")
        origin = self.moves.follow(origin)
        try:
            with _refusals():
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
                view.ack_id = view.photo_id = None
                view.shown = ""

    async def _send(self, origin: Origin, reply: Reply) -> None:
        if reply.kind is ReplyKind.DELETED:
            await self.delete_shown(origin, reply.job_id)
        elif reply.job_id is None:
            await self.post(origin, reply.text)
        elif reply.kind is ReplyKind.ACK:
            await self._acknowledge(origin, reply)
        elif reply.kind is ReplyKind.PROGRESS:
            await self._progress(origin, reply)
        else:
            await self._finish(origin, reply)

    async def close(self) -> None:
        """Stop pending preview edits; later replies raise (and stay undelivered)."""
        self._closed = True
        tasks = [view.task for view in self._views.values() if view.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._views.clear()

    async def post(
        self, origin: Origin, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None
    ) -> Message:
        self.pace.spend(origin.chat_id)
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

    # a job's messages ----------------------------------------------------------------------
    async def _view(self, origin: Origin, job_id: str) -> _JobView:
        view = self._views.get(job_id)
        if view is None:
            view = self._views[job_id] = await self._new_view(origin, job_id)
        return view

    async def _new_view(self, origin: Origin, job_id: str) -> _JobView:
        view = _JobView(origin, job_id)
        # A job resumed (or a result delivered) after a restart edits the message it had.
        stored = await self.messages.reply_message(job_id)
        view.photo_id = int(stored) if stored and stored.lstrip("-").isdigit() else None
        return view

    def _every_s(self, chat_id: str) -> float:
        # Private chats have the user's (positive) id; groups and channels negative ones.
        return self.group_every_s if chat_id.startswith("-") else self.private_every_s

    async def _acknowledge(self, origin: Origin, reply: Reply) -> None:
        assert reply.job_id is not None
        view = await self._view(origin, reply.job_id)
        message = await self.post(origin, reply.text)
        view.ack_id, view.shown = message.message_id, reply.text

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
        chat = int(view.origin.chat_id)
        status, preview = view.status, view.preview
        view.dirty, view.preview = False, None
        caption = fit(status, CAPTION_LIMIT, tail=CAPTION_TAIL)
        try:
            if view.photo_id is None and preview is not None:
                message = await self.bot.send_photo(
                    chat,
                    preview,  # latent-sized previews are far below any upload limit
                    caption=caption,
                    filename="preview.png",
                    reply_parameters=_reply_to(view.origin),
                    has_spoiler=view.spoiler,
                )
                view.photo_id = message.message_id
                await self.messages.remember_reply_message(view.job_id, str(message.message_id))
            elif view.photo_id is not None and preview is not None:
                media = InputMediaPhoto(
                    preview, caption=caption, filename="preview.png", has_spoiler=view.spoiler
                )
                await self.bot.edit_message_media(media, chat, view.photo_id)
            elif view.photo_id is not None and caption != view.shown:
                await self.bot.edit_message_caption(chat, view.photo_id, caption=caption)
            elif view.photo_id is None and view.ack_id is not None and status != view.shown:
                await self.bot.edit_message_text(fit(status, MESSAGE_LIMIT), chat, view.ack_id)
        except RetryAfter as error:
            # The rate limiter's retries ran out: leave this job's messages alone as long as
            # Telegram asks; the newest state goes out after that (the final reply always).
            view.dirty = True
            view.next_at = time.monotonic() + seconds(error.retry_after)
            log.warning("Telegram flood control: job %s previews paused", view.job_id)
            return
        except ChatMigrated as error:  # the next preview goes to the supergroup
            await self.migrated(view.origin.chat_id, str(error.new_chat_id))
            view.dirty = True
            return
        except TelegramError as error:
            if not _not_modified(error):  # else the chat shows it already (after a restart)
                # A preview is disposable (message deleted, network blip): skip it. In a chat
                # lost to the bot no later one would get through: the final reply says so.
                view.closed = _chat_lost(error)
                log.info("preview for job %s not shown: %s", view.job_id, error)
                return
        view.shown = caption if view.photo_id is not None else status

    async def _finish(self, origin: Origin, reply: Reply) -> None:
        """The job's last reply (result, failure, cancellation) replaces whatever it showed."""
        assert reply.job_id is not None
        view = self._views.pop(reply.job_id, None) or await self._new_view(origin, reply.job_id)
        view.closed = True
        self.pace.spend(view.origin.chat_id)
        if view.task is not None and not view.editing:
            view.task.cancel()  # only a wait for the next edit: nothing half sent
        async with view.lock:  # after an edit in flight, never before it
            if reply.kind is ReplyKind.RESULT and reply.image_path is not None:
                await self._show_result(view, reply)
            else:
                await self._show_final_text(view, reply.text)

    async def _show_result(self, view: _JobView, reply: Reply) -> None:
        if view.photo_id is not None:
            upload = await asyncio.to_thread(fit_upload, reply.image_path, PHOTO_BYTES)
            media = InputMediaPhoto(
                upload.data,
                caption=fit(reply.text, CAPTION_LIMIT, tail=CAPTION_TAIL),
                filename=upload.filename,
                has_spoiler=reply.spoiler,
            )
            try:
                await self.bot.edit_message_media(
                    media,
                    int(view.origin.chat_id),
                    view.photo_id,
                    reply_markup=keyboard(reply.buttons),
                )
                return
            except BadRequest as error:
                # Deleted, or too old to edit: the result comes as a new message instead.
                log.info("job %s: result not edited in (%s); sending it anew", view.job_id, error)
        message = await self.send_result(view.origin, reply)
        await self.messages.remember_reply_message(view.job_id, str(message.message_id))

    async def send_result(self, origin: Origin, reply: Reply) -> Message:
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

    async def _show_final_text(self, view: _JobView, text: str) -> None:
        chat = int(view.origin.chat_id)
        try:
            if view.photo_id is not None:
                caption = fit(text, CAPTION_LIMIT, tail=CAPTION_TAIL)
                await self.bot.edit_message_caption(chat, view.photo_id, caption=caption)
                return
            if view.ack_id is not None:
                await self.bot.edit_message_text(fit(text, MESSAGE_LIMIT), chat, view.ack_id)
                return
        except BadRequest as error:
            if _not_modified(error):  # shown already: a redelivery after a restart
                return
            log.info("job %s: final text not edited in (%s); sending it anew", view.job_id, error)
        await self.post(view.origin, text)


PLACEHOLDER_LIMIT = 64  # Telegram's input_field_placeholder


def _chat_lost(error: TelegramError) -> bool:
    """Blocked by the user, removed from the group, or the chat is gone: for good."""
    lost = isinstance(error, BadRequest) and "chat not found" in error.message.lower()
    return lost or isinstance(error, Forbidden)


@contextmanager
def _refusals() -> Iterator[None]:
    """What Telegram will never take is Undeliverable to the core (which stops retrying)."""
    try:
        yield
    except TelegramError as error:
        if _chat_lost(error):
            raise Undeliverable(error.message) from error
        raise


def _not_modified(error: TelegramError) -> bool:
    """Telegram's "message is not modified": the message shows exactly this already."""
    return isinstance(error, BadRequest) and "not modified" in error.message.lower()


def _reply_to(origin: Origin) -> ReplyParameters | None:
    """Answer under the user's message (in its forum topic too); still send if it is gone."""
    handle = origin.reply_handle  # the message that asked (or the grid a button is under)
    if handle is None or not handle.isdigit():
        return None
    return ReplyParameters(int(handle), allow_sending_without_reply=True)


class TelegramResponder:
    """One update the core answers: a command or photo message, or a button press (`query`,
    answered once: an alert for a refusal, else a plain answer that stops the spinner)."""

    def __init__(
        self, sink: TelegramSink, origin: Origin, query: CallbackQuery | None = None
    ) -> None:
        self.sink = sink
        self.origin = origin
        self.query = query
        self.answered = False
        self._lock = asyncio.Lock()

    async def answer(self, reply: Reply) -> None:
        with _refusals():
            await self._answer(reply)

    async def _answer(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.RESULT and reply.image_path is not None:
            await self.sink.send_result(self.origin, reply)  # a past result shown again (/show)
            return
        if reply.kind is ReplyKind.DELETED:
            await self.sink.delete_shown(self.origin, reply.job_id, self.query)
            await self.answer_query(reply.text)
            return
        if reply.pick_regions and reply.job_id is not None:
            await self.sink.post(
                self.origin, reply.text, regions_keyboard(reply.job_id, reply.lang or Lang.EN)
            )
            await self.answer_query()
            return
        if reply.question is not None:  # Remix: the answer is a reply to this message
            await self.ask(reply)
            return
        if reply.buttons:  # a link (the Vary (Region) page): a message with its button
            await self.sink.post(self.origin, reply.text, keyboard(reply.buttons))
            await self.answer_query()
            return
        if reply.ephemeral and self.query is not None:
            try:
                if await self.answer_query(reply.text, alert=True):
                    return
            except TelegramError as error:  # e.g. "query is too old": say it in the chat
                log.info("could not answer a button press (%s); replying instead", error)
        await self.sink.post(self.origin, reply.text)

    async def report(self, reply: Reply) -> None:
        await self.sink.send(self.origin, reply)

    async def ask(self, reply: Reply) -> None:
        """A question as a ForceReply: the user's reply to it is the answer (found again by
        this message's id, across restarts too)."""
        assert reply.question is not None
        question = reply.question
        text = (
            f"{reply.text}\n\nOr reply to this message with the prompt; as it stands:\n"
            f"{question.prefill}"
        )
        placeholder = fit(question.prefill, PLACEHOLDER_LIMIT)
        asked = await self.sink.post(
            self.origin, text, ForceReply(selective=True, input_field_placeholder=placeholder)
        )
        await self.sink.messages.asked_in(question.id, str(asked.message_id))
        await self.answer_query()

    async def answer_query(self, text: str | None = None, *, alert: bool = False) -> bool:
        """Answer the button press (stops the client's spinner); False if that was done."""
        async with self._lock:
            if self.query is None or self.answered:
                return False
            self.answered = True
            await self.query.answer(fit(text, ALERT_LIMIT) if text else None, show_alert=alert)
            return True
