"""A Responder per Discord interaction: answers and job news through its webhook.

A slash command is deferred with "thinking…"; its first reply fills that deferred response,
which is then the job's message (`JobMessage`), edited with progress and the
outcome through the interaction's webhook while its token lives. Once it does not (15
minutes, or a restart), replies go through `DiscordSink`'s channel path instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import discord

from bot.adapters.discord_limits import FINAL, UPLOAD_BYTES, clip
from bot.adapters.discord_views import ASK, region_view, result_view
from bot.core.language import Lang, t
from bot.core.requests import Button, Origin, Reply, ReplyKind

log = logging.getLogger(__name__)

EDIT_PROMPT = t("✏️ Edit the prompt")  # opens a Remix question's form

# Stop using a token a little before it dies, so a request in flight does not meet its end.
EXPIRY_MARGIN = timedelta(seconds=30)
# Webhook errors that mean the interaction's token no longer works.
_TOKEN_GONE = (10015, 50027)  # Unknown Webhook, Invalid Webhook Token
_UNKNOWN_MESSAGE = 10008


class TokenGone(Exception):
    """The interaction can no longer answer: deliver through the channel instead."""


@dataclass(slots=True)
class JobMessage:
    """The message that shows one job, and how it may be edited."""

    message_id: int | None  # None: the interaction's deferred response, id not learnt yet
    through: InteractionResponder | None  # posted through its webhook; None: a channel post
    last_edit: float  # monotonic time of the last post or edit


class Sink(Protocol):
    """What a responder needs of the sink (`discord_delivery.DiscordSink`): the job messages,
    their pace, the channel path once the interaction is gone."""

    jobs: dict[str, JobMessage]
    now: Callable[[], datetime]
    monotonic: Callable[[], float]

    def due(self, job: JobMessage) -> bool: ...

    async def edit_progress(self, job: JobMessage, reply: Reply, target: Any) -> None: ...

    async def send(self, origin: Origin, reply: Reply) -> None: ...

    async def post(self, origin: Origin, reply: Reply) -> None: ...

    async def finish_in_channel(self, origin: Origin, reply: Reply) -> None: ...

    async def record(
        self, reply: Reply, message_id: int | None, through: InteractionResponder | None
    ) -> None: ...

    async def files(self, reply: Reply, limit: int) -> list[discord.File]: ...

    async def delete_shown(self, origin: Origin, job_id: str | None) -> None: ...


class InteractionResponder:
    """One deferred interaction: answers and job news through its webhook while its token
    lives, then through the sink's channel messages."""

    def __init__(
        self,
        sink: Sink,
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
        """The request's own answer: a refusal, help, a past result (/show), 🗑's."""
        if reply.kind is ReplyKind.DELETED:
            await self._delete(reply)
            return
        if self.alive:
            try:
                async with self.lock:
                    if reply.ephemeral:
                        await self._ephemeral(reply)
                    else:
                        await self._post(reply, for_job=False)
                return
            except TokenGone:
                self.gone = True
        await self.sink.post(self.origin, reply)

    async def report(self, reply: Reply) -> None:
        """News of a job this request made: acknowledgement, progress, outcome, notice."""
        if reply.kind is ReplyKind.DELETED:
            await self._delete(reply)
            return
        job = self.sink.jobs.get(reply.job_id or "")
        if reply.kind is ReplyKind.PROGRESS:
            if job is not None and job.through is self and self.alive and self.sink.due(job):
                target = _WebhookMessage(self.interaction, job.message_id)
                await self.sink.edit_progress(job, reply, target)
            elif job is not None and job.through is None:
                await self.sink.send(self.origin, reply)
            return
        final = reply.kind in FINAL
        ours = job is not None and job.through is self
        if not self.alive or reply.kind is ReplyKind.NOTICE or (final and not ours):
            await self.sink.send(self.origin, reply)  # the channel path knows the message
            return
        try:
            if final:
                assert job is not None
                message_id = await self._edit_job_message(reply, job)
            else:
                async with self.lock:
                    message_id = await self._post(reply, for_job=True)
        except TokenGone:
            self.gone = True
            await self.sink.send(self.origin, reply)
        except discord.NotFound as error:
            if error.code != _UNKNOWN_MESSAGE:
                raise
            # Someone deleted the job's message: the outcome is posted anew.
            await self.sink.finish_in_channel(self.origin, reply)
        else:
            await self.sink.record(reply, message_id, self)

    async def settle(self) -> None:
        """Remove a "thinking…" response the core had nothing to say to (e.g. /cancel, whose
        outcome shows on the job's own message)."""
        async with self.lock:
            if self.original_free and self.alive:
                self.original_free = False
                await self.interaction.delete_original_response()

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

    async def _post(self, reply: Reply, *, for_job: bool) -> int:
        """The deferred response if it still waits, else a followup. `for_job`: a job's first
        message, so the deferred response is that job's from now on, even if this try fails
        (later edits retry its address)."""
        interaction = self.interaction
        limit = min(UPLOAD_BYTES, interaction.filesize_limit)
        fields: dict[str, Any] = {"content": clip(reply.text)}
        if reply.buttons:
            fields["view"] = result_view(reply.buttons)
        files = await self.sink.files(reply, limit)
        if self.original_free:
            self.original_free = False
            if for_job and reply.job_id is not None:
                self.sink.jobs[reply.job_id] = JobMessage(None, self, self.sink.monotonic())
            filled = await _webhook(
                interaction.edit_original_response(attachments=files, **fields)
            )
            return filled.id
        posted = await _webhook(interaction.followup.send(files=files, wait=True, **fields))
        return posted.id

    async def _edit_job_message(self, reply: Reply, job: JobMessage) -> int:
        """The outcome edited into the job's message through this interaction's webhook."""
        limit = min(UPLOAD_BYTES, self.interaction.filesize_limit)
        target = _WebhookMessage(self.interaction, job.message_id)
        edited = await _webhook(
            target.edit(
                content=clip(reply.text),
                attachments=await self.sink.files(reply, limit),
                view=result_view(reply.buttons) if reply.buttons else None,
            )
        )
        return edited.id


async def _webhook(call: Any) -> Any:
    """A webhook request; TokenGone when the interaction's token no longer works."""
    try:
        return await call
    except discord.HTTPException as error:
        if error.status == 401 or error.code in _TOKEN_GONE:
            raise TokenGone from error
        raise


@dataclass(frozen=True, slots=True)
class _WebhookMessage:
    """A message posted through an interaction's webhook (None: its deferred response),
    edited the way a channel one is."""

    interaction: discord.Interaction[Any]
    message_id: int | None

    async def edit(self, **fields: Any) -> Any:
        if self.message_id is None:
            return await self.interaction.edit_original_response(**fields)
        return await self.interaction.followup.edit_message(self.message_id, **fields)
