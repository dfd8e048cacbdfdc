"""Where the core's replies land in Discord: the ReplySink, and each job's message.

A job's replies (acknowledgement, progress, outcome) go to one message that is posted once and
then edited. While the interaction that asked is alive, its `InteractionResponder`
(`discord_responder`) answers through the interaction's webhook: the deferred response, or a
followup. Interaction tokens die after 15 minutes, and a restart forgets every interaction;
then `DiscordSink` edits the same message through the channel (a bot may edit its public
interaction responses there).
Without a live interaction, where the bot may no longer post in the channel (its permissions
were taken away) the reply goes to the user's direct messages, saying so; where neither is
allowed it is Undeliverable (the core settles it and never retries; `/show` posts a result
again). Only ids are kept across restarts (`MjService.remember_reply_message`).

The outcome may be sent again (a failed try, or one whose answer was lost): it is always an
edit of the job's message, or, where that message is gone or unknown, a channel message whose
nonce Discord enforces (a second send within minutes returns the first message). An edit
notifies nobody, so the core follows it with a NOTICE: a short channel message that mentions
the user and replies to the job's message (also under an enforced nonce).
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
from bot.core.language import Lang, render, t
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
        self.announced: set[str] = set()  # jobs whose outcome came as a new message

    async def send(self, origin: Origin, reply: Reply) -> None:
        if reply.kind is ReplyKind.DELETED:
            await self.delete_shown(origin, reply.job_id)
            return
        job = self.jobs.get(reply.job_id or "")
        if reply.kind is ReplyKind.PROGRESS:
            if job is not None and job.through is None and job.message_id and self.due(job):
                channel = await self._channel(origin)
                await self.edit_progress(job, reply, channel.get_partial_message(job.message_id))
            return
        try:
            if reply.kind is ReplyKind.NOTICE:
                await self._notify(origin, reply)
            elif reply.job_id is not None and reply.kind in FINAL:
                if job is not None and job.through is not None and job.through.alive:
                    await job.through.report(reply)  # its webhook, while the token lives
                else:
                    await self.finish_in_channel(origin, reply)
            elif reply.job_id is not None:
                await self._acknowledge(origin, reply)
            else:
                await self.post(origin, reply)
        except discord.Forbidden as error:  # neither the channel nor the user's DMs: never
            raise Undeliverable(error.text) from error

    async def post(self, origin: Origin, reply: Reply) -> None:
        """A request's answer once its interaction is gone: a channel message."""
        if reply.ephemeral:
            # Only immediate answers are private, and they come while the interaction lives;
            # posting one publicly instead would show it to everyone.
            log.warning("dropped a private reply with no live interaction: %s", reply.text)
            return
        await self._in_channel(origin, reply)

    # shared with the responders ------------------------------------------------------------
    def due(self, job: JobMessage) -> bool:
        """A progress edit may go out now (at most one per `edit_every_s`)."""
        return self.monotonic() - job.last_edit >= self.edit_every_s

    async def edit_progress(self, job: JobMessage, reply: Reply, target: Any) -> None:
        """Edit the job's message (`target`: a partial message or a webhook one). Updates in
        between are dropped: the next one, or the outcome, shows the newer state. The core
        sends a job's news in order and awaits each, so no edit can land after the outcome."""
        job.last_edit = self.monotonic()
        fields: dict[str, Any] = {"content": clip(reply.text)}
        if reply.image_png is not None:
            fields["attachments"] = [_file(reply.image_png, "preview.png", reply)]
        try:
            await target.edit(**fields)
        except Exception as error:  # refused, rate limited, or the connection dropped
            # A lost progress edit costs nothing; the job and its result go on.
            log.warning("progress edit for job %s failed: %r", reply.job_id, error)

    async def record(
        self, reply: Reply, message_id: int | None, through: InteractionResponder | None
    ) -> None:
        """Keep (and persist) which message shows a job, until its final reply."""
        if reply.job_id is None:
            return
        job = self.jobs.get(reply.job_id)
        if reply.kind in FINAL:
            if message_id is not None:
                await self.messages.remember_reply_message(reply.job_id, str(message_id))
            # A final reply to another interaction (a /cancel of a job the engine had lost)
            # does not end what the job's own message shows.
            if job is not None and (through is None or through is job.through):
                del self.jobs[reply.job_id]
            return
        if job is not None and job.message_id in (None, message_id):
            job.message_id, job.last_edit = message_id, self.monotonic()
        else:
            self.jobs[reply.job_id] = JobMessage(message_id, through, self.monotonic())
        if message_id is not None:
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

    async def finish_in_channel(self, origin: Origin, reply: Reply) -> None:
        """The outcome edited into the job's message through the channel; a new message (under
        an enforced nonce) if that one is gone or was never known."""
        assert reply.job_id is not None
        channel = await self._channel(origin)
        earlier = await self._earlier_message(reply.job_id)
        fields = {
            "content": clip(reply.text),
            "attachments": await self.files(reply, UPLOAD_BYTES),
            "view": result_view(reply.buttons) if reply.buttons else None,
        }
        nonce = f"r{reply.job_id}"
        message_id = None
        if earlier is not None:
            try:
                edited = await channel.get_partial_message(earlier).edit(**fields)
            except (discord.NotFound, discord.Forbidden) as error:
                if not _locked_out(origin, error):
                    # Deleted, or not ours to edit (an ephemeral response): post it anew.
                    log.info("job %s: its message not edited (%s)", reply.job_id, error)
                else:  # posting there would fail the same way
                    message_id = await self._via_dm(origin, reply, nonce, error)
            else:
                await self.record(reply, edited.id, None)
                return
        if message_id is None:
            message_id = await self._in_channel(origin, reply, nonce)
        self.announced.add(reply.job_id)  # it mentioned the user: no notice needed
        await self.record(reply, message_id, None)

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
    async def _acknowledge(self, origin: Origin, reply: Reply) -> None:
        """A job's news without a live interaction (resumed after a restart): its message
        edited, if it has one, else a new one (under an enforced nonce)."""
        assert reply.job_id is not None
        earlier = await self._earlier_message(reply.job_id)
        if earlier is not None:
            channel = await self._channel(origin)
            try:
                edited = await channel.get_partial_message(earlier).edit(
                    content=clip(reply.text), attachments=[]
                )
            except (discord.NotFound, discord.Forbidden) as error:
                log.info("job %s: its message not edited (%s)", reply.job_id, error)
            else:
                await self.record(reply, edited.id, None)
                return
        await self.record(reply, await self._in_channel(origin, reply, f"a{reply.job_id}"), None)

    async def _in_channel(self, origin: Origin, reply: Reply, nonce: str | None = None) -> int:
        """A new channel message that mentions the user and replies to the job's last one;
        in the user's DMs if the bot may no longer post in the channel."""
        channel = await self._channel(origin)
        fields: dict[str, Any] = {
            "content": clip(f"<@{origin.user_id}> {reply.text}"),
            # Only this user is pinged, whatever the prompt says (@everyone, roles).
            "allowed_mentions": discord.AllowedMentions(users=[discord.Object(origin.user_id)]),
            "files": await self.files(reply, UPLOAD_BYTES),
            # Discord enforces a nonce for a few minutes: a repeated send returns the first.
            "nonce": nonce,
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
            if not _locked_out(origin, error):
                raise
            return await self._via_dm(origin, reply, nonce, error)
        return message.id

    async def _via_dm(
        self, origin: Origin, reply: Reply, nonce: str | None, refused: discord.Forbidden
    ) -> int:
        """The reply in the user's DMs, saying why it is not in the channel (under the same
        enforced nonce, so a repeated try is still one message)."""
        log.warning(
            "job %s: the bot may not post in channel %s (%s; it needs View Channel, Send "
            "Messages, Attach Files and Read Message History there): sending it to user %s's "
            "direct messages instead",
            reply.job_id,
            origin.chat_id,
            refused.text,
            origin.user_id,
        )
        dm = await self.client.create_dm(discord.Object(int(origin.user_id)))
        channel = f"<#{origin.chat_id}>"
        note = t("I can no longer post in {channel}, so here it is: {reply}")
        if reply.kind is ReplyKind.NOTICE:  # the outcome is in the job's message there
            note = t("I can no longer post in {channel}, so I am telling you here: {reply}")
        text = render(
            note.with_values(channel=channel, reply=reply.message), reply.lang or Lang.EN
        )
        fields: dict[str, Any] = {
            "content": clip(text),
            "files": await self.files(reply, UPLOAD_BYTES),
            "nonce": nonce,
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

    async def _notify(self, origin: Origin, reply: Reply) -> None:
        """The notice after an outcome edited in: a mention under the job's message."""
        assert reply.job_id is not None
        if reply.job_id in self.announced:
            self.announced.discard(reply.job_id)
            return
        await self._in_channel(origin, reply, nonce=f"n{reply.job_id}")

    async def _earlier_message(self, job_id: str | None) -> int | None:
        if job_id is None:
            return None
        job = self.jobs.get(job_id)
        if job is not None and job.message_id is not None:
            return job.message_id
        stored = await self.messages.reply_message(job_id)  # also from before a restart
        return int(stored) if stored and stored.isdigit() else None

    async def _channel(self, origin: Origin) -> discord.PartialMessageable | discord.DMChannel:
        if origin.chat_id.isdigit():
            guild_id = int(origin.scope_id) if origin.scope_id else None
            return self.client.get_partial_messageable(int(origin.chat_id), guild_id=guild_id)
        return await self.client.create_dm(discord.Object(int(origin.user_id)))


def _locked_out(origin: Origin, error: discord.HTTPException) -> bool:
    """The bot may no longer post in the server's channel (its permissions were taken)."""
    forbidden = isinstance(error, discord.Forbidden) and error.code in _NO_ENTRY
    return forbidden and origin.scope_id is not None
