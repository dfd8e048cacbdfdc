"""Where the core's replies land in Discord: the ReplySink, and the job messages it tracks.

A job's replies (acknowledgement, progress, result) go to one message that is posted once and
then edited. While the interaction that asked is alive, its `InteractionResponder`
(`discord_responder`) answers through the interaction's webhook. Interaction tokens die after
15 minutes, and a restart forgets every interaction, so without a live one replies go through
`DiscordSink`: ordinary channel messages that mention the user and reply to the job's earlier
message, or, where the bot may no longer post (its permissions were taken away), a direct
message to the user that says so; where neither is allowed the reply is Undeliverable (the
core settles it and never retries; `/show` posts a result again). Only ids are kept across
restarts (`MjService.remember_reply_message`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import discord

from bot.adapters.discord_limits import FINAL, UPLOAD_BYTES, clip
from bot.adapters.discord_responder import InteractionResponder, JobMessage
from bot.adapters.discord_views import result_view
from bot.adapters.uploads import fit_upload
from bot.core.requests import Origin, Reply, ReplyKind, ReplyMessages, Undeliverable

log = logging.getLogger(__name__)

# The bot may not post in a channel: Missing Access (it cannot see it), Missing Permissions.
_NO_ENTRY = (50001, 50013)
_NO_DMS = 50007  # Cannot send messages to this user


def _file(data: bytes, name: str, reply: Reply) -> discord.File:
    """An upload; behind a spoiler when the image safety check says so."""
    return discord.File(io.BytesIO(data), name, spoiler=reply.spoiler)


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
                await self.edit_progress(job, reply, channel.get_partial_message(job.message_id))
            return
        if reply.ephemeral:
            # Only immediate answers are private, and they come while the interaction lives;
            # posting one publicly instead would show it to everyone.
            log.warning("dropped a private reply with no live interaction: %s", reply.text)
            return
        try:
            message_id = await self._via_channel(origin, reply)
        except discord.Forbidden as error:  # neither the channel nor the user's DMs: never
            raise Undeliverable(error.text) from error
        await self.record(reply, message_id, None)

    # shared with the responders ------------------------------------------------------------
    def due(self, job: JobMessage) -> bool:
        """A progress edit may go out now (at most one per `edit_every_s`)."""
        return self.monotonic() - job.last_edit >= self.edit_every_s

    async def edit_progress(self, job: JobMessage, reply: Reply, target: Any) -> None:
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
        if reply.kind in FINAL:
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
        """A new channel message that mentions the user and replies to the job's last one;
        in the user's DMs if the bot may no longer post in the channel."""
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
        try:
            message = await channel.send(**fields)
        except discord.Forbidden as error:
            if error.code not in _NO_ENTRY or origin.scope_id is None:
                raise
            log.warning(
                "job %s: the bot may not post in channel %s (%s; it needs View Channel, Send "
                "Messages, Attach Files and Read Message History there): sending it to user "
                "%s's direct messages instead",
                reply.job_id,
                origin.chat_id,
                error.text,
                origin.user_id,
            )
            return await self._via_dm(origin, reply)
        return message.id

    async def _via_dm(self, origin: Origin, reply: Reply) -> int:
        """The reply in the user's DMs, saying why it is not in the channel."""
        dm = await self.client.create_dm(discord.Object(int(origin.user_id)))
        note = f"I can no longer post in <#{origin.chat_id}>, so here it is. "
        fields: dict[str, Any] = {
            "content": clip(note + reply.text),
            "files": await self.files(reply, UPLOAD_BYTES),
        }
        if reply.buttons:
            fields["view"] = result_view(reply.buttons)
        try:
            message = await dm.send(**fields)
        except discord.Forbidden as error:
            if error.code == _NO_DMS:
                log.warning(
                    "job %s: user %s does not accept direct messages from the bot either; the "
                    "result is kept (/show %s posts it again)",
                    reply.job_id,
                    origin.user_id,
                    reply.job_id,
                )
            raise
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
