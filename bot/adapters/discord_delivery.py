"""Where the core's replies land in Discord: a Responder per interaction, and the ReplySink.

A job's replies (acknowledgement, progress, result) go to one message that is posted once and
then edited. While the interaction that asked is alive, its `InteractionResponder` answers
through the interaction's webhook: the deferred response, or a followup. Interaction tokens
die after 15 minutes, and a restart forgets every interaction, so without a live one replies
go through `DiscordSink`: ordinary channel messages that mention the user and reply to the
job's earlier message. Only ids are kept across restarts (`MjService.remember_reply_message`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.adapters.discord_views import ASK, region_view, result_view
from bot.adapters.uploads import fit_upload
from bot.core.language import Lang, t
from bot.core.requests import Button, Origin, Reply, ReplyKind, ReplyMessages

log = logging.getLogger(__name__)

EDIT_PROMPT = t("✏️ Edit the prompt")  # opens a Remix question's form

MAX_CONTENT = 2000  # characters in one Discord message
UPLOAD_BYTES = 10 * 1024 * 1024  # per file, unless the server allows more (or less)
# Stop using a token a little before it dies, so a request in flight does not meet its end.
EXPIRY_MARGIN = timedelta(seconds=30)
# Webhook errors that mean the interaction's token no longer works.
_TOKEN_GONE = (10015, 50027)  # Unknown Webhook, Invalid Webhook Token
_UNKNOWN_MESSAGE = 10008
_FINAL = (ReplyKind.RESULT, ReplyKind.ERROR, ReplyKind.TEXT)


@dataclass(slots=True)
class JobMessage:
    """The message that shows one job, and how it may be edited."""

    message_id: int
    through: InteractionResponder | None  # posted through its webhook; None: a channel post
    last_edit: float  # monotonic time of the last post or edit


def _file(data: bytes, name: str, reply: Reply) -> discord.File:
    """An upload; behind a spoiler when the image safety check says so."""
    return discord.File(io.BytesIO(data), name, spoiler=reply.spoiler)


class TokenGone(Exception):
    """The interaction can no longer answer: deliver through the channel instead."""


def clip(text: str, limit: int = MAX_CONTENT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DiscordSink:
    """The core's ReplySink for platform "discord": channel messages, from plain data."""

    def __init__(
        self,
        client: discord.Client,
        messages: ReplyMessages,
        *,
        edit_every_s: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = discord.utils.utcnow,
    ) -> None:
        self.client = client
        self.messages = messages
        self.edit_every_s = edit_every_s
        self.monotonic = monotonic  # paces progress edits
        self.now = now  # tells expired tokens
        self.jobs: dict[str, JobMessage] = {}  # job id -> its message, until its final reply

    def responder(
        self, interaction: discord.Interaction[Any], origin: Origin, *, public: bool, fill: bool
    ) -> InteractionResponder:
        """A deferred interaction's Responder; `fill`: its deferred response awaits a text."""
        return InteractionResponder(self, interaction, origin, public, fill)

    async def send(self, origin: Origin, reply: Reply) -> None:
        if reply.kind is ReplyKind.DELETED:
            await self.delete_shown(origin, reply.job_id)
            return
        if reply.kind is ReplyKind.PROGRESS:
            job = self.jobs.get(reply.job_id or "")
            if job is not None and job.through is None and self.due(job):
                channel = await self._channel(origin)
                await self._edit_progress(job, reply, channel.get_partial_message(job.message_id))
            return
        if reply.ephemeral:
            # Only immediate answers are private, and they come while the interaction lives;
            # posting one publicly instead would show it to everyone.
            log.warning("dropped a private reply with no live interaction: %s", reply.text)
            return
        await self.record(reply, await self._via_channel(origin, reply), None)

    # shared with the responders ------------------------------------------------------------
    def due(self, job: JobMessage) -> bool:
        """A progress edit may go out now (at most one per `edit_every_s`)."""
        return self.monotonic() - job.last_edit >= self.edit_every_s

    async def _edit_progress(self, job: JobMessage, reply: Reply, target: Any) -> None:
        """Edit the job's message (`target`: a partial message or a webhook). Updates in
        between are dropped: the next one, or the result, shows the newer state."""
        job.last_edit = self.monotonic()
        fields: dict[str, Any] = {"content": clip(reply.text)}
        if reply.image_png is not None:
            fields["attachments"] = [_file(reply.image_png, "preview.png", reply)]
        try:
            await target.edit(**fields)
        except discord.HTTPException as error:
            # A lost progress edit costs nothing; the job and its result go on.
            log.warning("progress edit for job %s failed: %s", reply.job_id, error)

    async def record(
        self, reply: Reply, message_id: int, through: InteractionResponder | None
    ) -> None:
        """Keep (and persist) which message shows a job, until its final reply."""
        if reply.job_id is None:
            return
        job = self.jobs.get(reply.job_id)
        if reply.kind in _FINAL:
            # A final reply to another interaction (a /cancel of a job the engine had lost)
            # does not end what the job's own message shows.
            if job is not None and (through is None or through is job.through):
                del self.jobs[reply.job_id]
            return
        if job is not None and job.message_id == message_id:
            job.last_edit = self.monotonic()
            return
        self.jobs[reply.job_id] = JobMessage(message_id, through, self.monotonic())
        await self.messages.remember_reply_message(reply.job_id, str(message_id))

    async def files(self, reply: Reply, limit: int) -> list[discord.File]:
        """Fresh file objects per request (a sent File is consumed)."""
        if reply.image_path is not None:
            # Re-encoding a large grid takes a moment of CPU: off the event loop.
            upload = await asyncio.to_thread(fit_upload, reply.image_path, limit)
            return [_file(upload.data, upload.filename, reply)]
        if reply.image_png is not None:
            return [_file(reply.image_png, "preview.png", reply)]
        return []

    async def delete_shown(self, origin: Origin, job_id: str | None) -> None:
        """🗑: remove the message that shows the job (the core removed its files)."""
        message_id = await self._earlier_message(job_id)
        if message_id is None:
            return
        channel = await self._channel(origin)
        try:
            await channel.get_partial_message(message_id).delete()
        except discord.HTTPException as error:  # gone already, or not ours to delete
            log.info("could not delete the message of job %s: %s", job_id, error)

    # the channel path ----------------------------------------------------------------------
    async def _via_channel(self, origin: Origin, reply: Reply) -> int:
        """A new channel message that mentions the user and replies to the job's last one."""
        channel = await self._channel(origin)
        fields: dict[str, Any] = {
            "content": clip(f"<@{origin.user_id}> {reply.text}"),
            # Only this user is pinged, whatever the prompt says (@everyone, roles).
            "allowed_mentions": discord.AllowedMentions(users=[discord.Object(origin.user_id)]),
            "files": await self.files(reply, UPLOAD_BYTES),
        }
        if reply.buttons:
            fields["view"] = result_view(reply.buttons)
        earlier = await self._earlier_message(reply.job_id)
        if earlier is not None:
            fields["reference"] = discord.MessageReference(
                message_id=earlier, channel_id=channel.id, fail_if_not_exists=False
            )
        message = await channel.send(**fields)
        return message.id

    async def _earlier_message(self, job_id: str | None) -> int | None:
        if job_id is None:
            return None
        job = self.jobs.get(job_id)
        if job is not None:
            return job.message_id
        stored = await self.messages.reply_message(job_id)  # also from before a restart
        return int(stored) if stored and stored.isdigit() else None

    async def _channel(self, origin: Origin) -> discord.PartialMessageable | discord.DMChannel:
        if origin.chat_id.isdigit():
            guild_id = int(origin.scope_id) if origin.scope_id else None
            return self.client.get_partial_messageable(int(origin.chat_id), guild_id=guild_id)
        return await self.client.create_dm(discord.Object(int(origin.user_id)))


class InteractionResponder:
    """One deferred interaction: answers and job news through its webhook while its token
    lives, then through the sink's channel messages."""

    def __init__(
        self,
        sink: DiscordSink,
        interaction: discord.Interaction[Any],
        origin: Origin,
        public: bool,
        original_free: bool,
    ) -> None:
        self.sink = sink
        self.interaction = interaction
        self.origin = origin
        self.public = public  # deferred visibly to the channel (slash commands that show results)
        self.original_free = original_free  # the deferred "thinking…" still waits for its text
        self.gone = False  # the token stopped working
        # One answer at a time: with --repeat, two jobs' acknowledgements race, and a followup
        # that reached Discord before the deferred response was filled would fill it instead.
        self.lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return not self.gone and self.sink.now() < self.interaction.expires_at - EXPIRY_MARGIN

    async def answer(self, reply: Reply) -> None:
        await self._send(reply)

    async def report(self, reply: Reply) -> None:
        await self._send(reply)

    async def settle(self) -> None:
        """Remove a "thinking…" response the core had nothing to say to (e.g. /cancel, whose
        outcome shows on the job's own message)."""
        async with self.lock:
            if self.original_free and self.alive:
                self.original_free = False
                await self.interaction.delete_original_response()

    async def _send(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.DELETED:
            await self._delete(reply)
            return
        if reply.kind is ReplyKind.PROGRESS:
            job = self.sink.jobs.get(reply.job_id or "")
            if job is not None and job.through is self and self.alive and self.sink.due(job):
                webhook_message = _WebhookMessage(self.interaction, job.message_id)
                await self.sink._edit_progress(job, reply, webhook_message)
            elif job is not None and job.through is None:
                await self.sink.send(self.origin, reply)
            return
        if not self.alive:
            await self.sink.send(self.origin, reply)
            return
        if reply.ephemeral:
            async with self.lock:
                await self._ephemeral(reply)
            return
        try:
            async with self.lock:
                message_id = await self._via_interaction(reply)
        except TokenGone:
            self.gone = True
            await self.sink.send(self.origin, reply)
        else:
            await self.sink.record(reply, message_id, self)

    async def _delete(self, reply: Reply) -> None:
        """🗑 pressed: remove the message the button is on, then say so privately."""
        message = self.interaction.message
        try:
            if message is not None:
                await message.delete()
            else:
                await self.sink.delete_shown(self.origin, reply.job_id)
        except discord.HTTPException as error:
            log.info("could not delete the message of job %s: %s", reply.job_id, error)
        if self.alive:
            async with self.lock:
                await self._ephemeral(reply)

    async def _ephemeral(self, reply: Reply) -> None:
        interaction = self.interaction
        # A link (the Vary (Region) page) comes as a button, and so does a question's form.
        buttons = reply.buttons
        if reply.question is not None:
            edit = Button(EDIT_PROMPT, ASK, reply.question.id, lang=reply.lang)
            buttons = (*buttons, edit)
        extra: dict[str, Any] = {"view": result_view(buttons)} if buttons else {}
        if reply.pick_regions and reply.job_id is not None:
            extra = {"view": region_view(reply.job_id, reply.lang or Lang.EN)}
        if self.original_free:
            self.original_free = False
            if not self.public:
                await interaction.edit_original_response(content=clip(reply.text), **extra)
                return
            # The first followup would fill a public "thinking…" response and so show this
            # to everyone: remove that response first, then answer privately.
            await interaction.delete_original_response()
        await interaction.followup.send(clip(reply.text), ephemeral=True, wait=True, **extra)

    async def _via_interaction(self, reply: Reply) -> int:
        """Edit the job's message, fill the deferred response, or post a followup."""
        interaction = self.interaction
        limit = min(UPLOAD_BYTES, interaction.filesize_limit)
        fields: dict[str, Any] = {"content": clip(reply.text)}
        if reply.kind in _FINAL:
            fields["view"] = result_view(reply.buttons) if reply.buttons else None
        job = self.sink.jobs.get(reply.job_id or "")
        try:
            if job is not None and job.through is self:
                try:
                    edited = await interaction.followup.edit_message(
                        job.message_id, attachments=await self.sink.files(reply, limit), **fields
                    )
                    return edited.id
                except discord.NotFound as error:
                    if error.code != _UNKNOWN_MESSAGE:
                        raise
                    # Someone deleted the job's message: post a new one instead.
            if self.original_free:
                self.original_free = False
                filled = await interaction.edit_original_response(
                    attachments=await self.sink.files(reply, limit), **fields
                )
                return filled.id
            if fields.get("view", ...) is None:
                del fields["view"]  # `view=None` only means "remove the buttons" in an edit
            posted = await interaction.followup.send(
                files=await self.sink.files(reply, limit), wait=True, **fields
            )
            return posted.id
        except discord.HTTPException as error:
            if error.status == 401 or error.code in _TOKEN_GONE:
                raise TokenGone from error
            raise


@dataclass(frozen=True, slots=True)
class _WebhookMessage:
    """A message posted through an interaction's webhook, edited the way a channel one is."""

    interaction: discord.Interaction[Any]
    message_id: int

    async def edit(self, **fields: Any) -> None:
        await self.interaction.followup.edit_message(self.message_id, **fields)
