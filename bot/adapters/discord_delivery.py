"""Where the core's replies land in Discord: the adapter's `ReplySink`.

A job's replies (acknowledgement, progress, result) go to one message that is posted once and
then edited. While the interaction that asked is alive, that message belongs to the
interaction's webhook: the deferred response, or a followup. Interaction tokens die after 15
minutes, and a restart forgets every interaction, so without a live one the sink falls back to
ordinary channel messages that mention the user and reply to the job's earlier message. Only
ids are kept across restarts (`MjService.remember_reply_message`); live interactions stay in
memory and are dropped when they expire.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.adapters.discord_views import result_view
from bot.core.media import DISCORD_UPLOAD_BYTES, fit_upload
from bot.core.requests import Origin, Reply, ReplyKind
from bot.core.service import MjService

log = logging.getLogger(__name__)

MAX_CONTENT = 2000  # characters in one Discord message
# Stop using a token a little before it dies, so a request in flight does not meet its end.
EXPIRY_MARGIN = timedelta(seconds=30)
# Webhook errors that mean the interaction's token no longer works.
_TOKEN_GONE = (10015, 50027)  # Unknown Webhook, Invalid Webhook Token
_UNKNOWN_MESSAGE = 10008
_FINAL = (ReplyKind.RESULT, ReplyKind.ERROR, ReplyKind.TEXT)


@dataclass(slots=True)
class Live:
    """An interaction whose token still works."""

    interaction: discord.Interaction[Any]
    public: bool  # deferred visibly to the channel (slash commands that show results)
    original_free: bool  # the deferred "thinking…" response still waits for its text
    # One answer at a time: with --repeat, two jobs' acknowledgements race, and a followup
    # that reached Discord before the deferred response was filled would fill it instead.
    # (discord.py happens to queue requests per webhook too, but does not promise to.)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(slots=True)
class JobMessage:
    """The message that shows one job, and how it may be edited."""

    message_id: int
    interaction_id: str | None  # posted through this interaction's webhook; None: a channel post
    last_edit: float  # monotonic time of the last post or edit


class TokenGone(Exception):
    """The interaction can no longer answer: deliver through the channel instead."""


def clip(text: str, limit: int = MAX_CONTENT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DiscordSink:
    def __init__(
        self,
        client: discord.Client,
        service: MjService,
        *,
        edit_every_s: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = discord.utils.utcnow,
    ) -> None:
        self.client = client
        self.service = service
        self.edit_every_s = edit_every_s
        self.monotonic = monotonic  # paces progress edits
        self.now = now  # tells expired tokens
        self._live: dict[str, Live] = {}  # interaction id -> interaction
        self._jobs: dict[str, JobMessage] = {}  # job id -> its message, until its final reply

    # interactions the adapter has deferred -----------------------------------------------------
    def track(self, interaction: discord.Interaction[Any], *, public: bool, fill: bool) -> None:
        """Remember a deferred interaction; `fill`: its deferred response awaits a text."""
        for key, live in list(self._live.items()):
            if self._expired(live):
                del self._live[key]
        self._live[str(interaction.id)] = Live(interaction, public, fill)

    async def settle(self, interaction: discord.Interaction[Any]) -> None:
        """Remove a "thinking…" response the core had nothing to say to (e.g. /cancel, whose
        outcome shows on the job's own message)."""
        live = self._live.get(str(interaction.id))
        if live is None:
            return
        async with live.lock:
            if live.original_free:
                live.original_free = False
                await interaction.delete_original_response()

    # the ReplySink ---------------------------------------------------------------------------
    async def send(self, origin: Origin, reply: Reply) -> None:
        live = self._live_for(origin)
        if reply.kind is ReplyKind.PROGRESS:
            await self._progress(origin, reply, live)
            return
        if reply.ephemeral:
            if live is None:
                # Only immediate answers are private, and they come while the interaction
                # lives; posting one publicly instead would show it to everyone.
                log.warning("dropped a private reply with no live interaction: %s", reply.text)
                return
            async with live.lock:
                await self._ephemeral(live, reply)
            return
        if live is not None:
            try:
                async with live.lock:
                    message_id = await self._via_interaction(live, origin, reply)
            except TokenGone:
                self._live.pop(str(live.interaction.id), None)
            else:
                await self._record(reply, message_id, str(live.interaction.id))
                return
        await self._record(reply, await self._via_channel(origin, reply), None)

    # paths -----------------------------------------------------------------------------------
    async def _ephemeral(self, live: Live, reply: Reply) -> None:
        interaction = live.interaction
        if live.original_free:
            live.original_free = False
            if not live.public:
                await interaction.edit_original_response(content=clip(reply.text))
                return
            # The first followup would fill a public "thinking…" response and so show this
            # to everyone: remove that response first, then answer privately.
            await interaction.delete_original_response()
        await interaction.followup.send(clip(reply.text), ephemeral=True, wait=True)

    async def _via_interaction(self, live: Live, origin: Origin, reply: Reply) -> int:
        """Edit the job's message, fill the deferred response, or post a followup."""
        interaction = live.interaction
        limit = min(DISCORD_UPLOAD_BYTES, interaction.filesize_limit)
        fields: dict[str, Any] = {"content": clip(reply.text)}
        if reply.kind in _FINAL:
            fields["view"] = result_view(reply.buttons) if reply.buttons else None
        job = self._jobs.get(reply.job_id or "")
        try:
            if job is not None and job.interaction_id == origin.message_id:
                try:
                    edited = await interaction.followup.edit_message(
                        job.message_id, attachments=await self._files(reply, limit), **fields
                    )
                    return edited.id
                except discord.NotFound as error:
                    if error.code != _UNKNOWN_MESSAGE:
                        raise
                    # Someone deleted the job's message: post a new one instead.
            if live.original_free:
                live.original_free = False
                filled = await interaction.edit_original_response(
                    attachments=await self._files(reply, limit), **fields
                )
                return filled.id
            if fields.get("view", ...) is None:
                del fields["view"]  # `view=None` only means "remove the buttons" in an edit
            posted = await interaction.followup.send(
                files=await self._files(reply, limit), wait=True, **fields
            )
            return posted.id
        except discord.HTTPException as error:
            if error.status == 401 or error.code in _TOKEN_GONE:
                raise TokenGone from error
            raise

    async def _via_channel(self, origin: Origin, reply: Reply) -> int:
        """A new channel message that mentions the user and replies to the job's last one."""
        channel = await self._channel(origin)
        fields: dict[str, Any] = {
            "content": clip(f"<@{origin.user_id}> {reply.text}"),
            # Only this user is pinged, whatever the prompt says (@everyone, roles).
            "allowed_mentions": discord.AllowedMentions(users=[discord.Object(origin.user_id)]),
            "files": await self._files(reply, DISCORD_UPLOAD_BYTES),
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

    async def _progress(self, origin: Origin, reply: Reply, live: Live | None) -> None:
        """Edit the job's message, no more often than `edit_every_s`. Updates in between are
        dropped: the next one, or the result, shows the newer state."""
        job = self._jobs.get(reply.job_id or "")
        if job is None or self.monotonic() - job.last_edit < self.edit_every_s:
            return
        if job.interaction_id is not None and live is None:
            return  # its token is gone: the result will come as a channel message
        job.last_edit = self.monotonic()
        fields: dict[str, Any] = {"content": clip(reply.text)}
        if reply.image_png is not None:
            fields["attachments"] = [discord.File(io.BytesIO(reply.image_png), "preview.png")]
        try:
            if live is not None and job.interaction_id is not None:
                await live.interaction.followup.edit_message(job.message_id, **fields)
            else:
                channel = await self._channel(origin)
                await channel.get_partial_message(job.message_id).edit(**fields)
        except discord.HTTPException as error:
            # A lost progress edit costs nothing; the job and its result go on.
            log.warning("progress edit for job %s failed: %s", reply.job_id, error)

    # helpers ---------------------------------------------------------------------------------
    async def _record(self, reply: Reply, message_id: int, through: str | None) -> None:
        """Keep (and persist) which message shows a job, until its final reply.

        `through`: the interaction whose webhook posted `message_id`; None for the channel.
        """
        if reply.job_id is None:
            return
        job = self._jobs.get(reply.job_id)
        if reply.kind in _FINAL:
            # A final reply to another interaction (a /cancel of a job the engine had lost)
            # does not end what the job's own message shows.
            if job is not None and (through is None or through == job.interaction_id):
                del self._jobs[reply.job_id]
            return
        if job is not None and job.message_id == message_id:
            job.last_edit = self.monotonic()
            return
        self._jobs[reply.job_id] = JobMessage(message_id, through, self.monotonic())
        await self.service.remember_reply_message(reply.job_id, str(message_id))

    async def _earlier_message(self, job_id: str | None) -> int | None:
        if job_id is None:
            return None
        job = self._jobs.get(job_id)
        if job is not None:
            return job.message_id
        stored = await self.service.reply_message(job_id)  # also from before a restart
        return int(stored) if stored and stored.isdigit() else None

    async def _channel(self, origin: Origin) -> discord.PartialMessageable | discord.DMChannel:
        if origin.chat_id.isdigit():
            guild_id = int(origin.guild_id) if origin.guild_id else None
            return self.client.get_partial_messageable(int(origin.chat_id), guild_id=guild_id)
        return await self.client.create_dm(discord.Object(int(origin.user_id)))

    async def _files(self, reply: Reply, limit: int) -> list[discord.File]:
        """Fresh file objects per request (a sent File is consumed)."""
        if reply.image_path is not None:
            # Re-encoding a large grid takes a moment of CPU: off the event loop.
            upload = await asyncio.to_thread(fit_upload, reply.image_path, limit)
            return [discord.File(io.BytesIO(upload.data), upload.filename)]
        if reply.image_png is not None:
            return [discord.File(io.BytesIO(reply.image_png), "preview.png")]
        return []

    def _live_for(self, origin: Origin) -> Live | None:
        key = origin.message_id or ""
        live = self._live.get(key)
        if live is not None and self._expired(live):
            del self._live[key]
            return None
        return live

    def _expired(self, live: Live) -> bool:
        return self.now() >= live.interaction.expires_at - EXPIRY_MARGIN
