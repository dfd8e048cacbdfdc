"""Following jobs to the end: engine events become SQLite updates and replies, delivered once.

The service hands each accepted job's engine handle to `Delivery.follow`; from there every
event is recorded and turned into a Reply for the Responder of the request that made the job
(or, for jobs resumed after a restart, its platform's ReplySink). A job ends exactly one way:
done, failed or cancelled is written in one transaction with its refund and the final reply
it owes (whichever comes first wins). That final reply, and the notice after it, go through
the outbox (`bot.core.outbox`), which retries them until the platform takes them.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from typing import Any

from bot.core import render
from bot.core.buttons import (
    JobKind,
    can_upscale,
    can_upscale_4x,
    final_buttons,
    find,
    result_buttons,
    upscale_buttons,
)
from bot.core.endings import Endings
from bot.core.outbox import FINAL, NOTICE, Item, Outbox
from bot.core.quota import refund_fraction
from bot.core.requests import Origin, Reply, ReplyKind, ReplySink, Responder, Undeliverable
from bot.core.safety import result_note
from bot.core.settings import CoreSettings
from engine.handle import JobHandle
from engine.job import Cancelled, Failed, Finished, Progress, Queued, Started
from filters.safety_policy import Action, SafetyPolicy
from i18n import Lang, Message, lines, parse_tag, verbatim
from i18n.stored import from_json
from storage.store import AsyncStore, JobStatus

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Sink:
    sink: ReplySink
    preview_every_s: float | None
    notices: bool  # final replies are edits there, which notify nobody: send a notice too


class Delivery:
    def __init__(
        self,
        settings: CoreSettings,
        store: AsyncStore,
        endings: Endings,
        gan_upscaler: bool = False,
    ) -> None:
        self.settings = settings.actions
        self.gan_upscaler = gan_upscaler  # Upscale 4x is offered under upscaled images
        self.store = store
        self.endings = endings  # how each job ends: written once, with its refund
        self.images = endings.images
        self.safety = endings.safety
        self.described = endings.described  # a describe's prompts, where a drawing has images
        self.outbox = Outbox(
            settings.delivery, store, self._send_owed, self.connected, self._settle
        )
        self._sinks: dict[str, _Sink] = {}
        self._tracking: dict[str, asyncio.Task] = {}  # job id -> task following its events
        self._settled: dict[str, asyncio.Future[dict[str, Any]]] = {}
        # Jobs taken before `start` (a front end answers as soon as it listens, while the core
        # still starts): start must neither resume them nor owe their replies again. Kept
        # only until start, so it does not grow with the bot's lifetime.
        self._taken_before_start: set[str] | None = set()

    def register_sink(
        self,
        platform: str,
        sink: ReplySink,
        preview_every_s: float | None = None,
        *,
        notices: bool = False,
    ) -> None:
        self._sinks[platform] = _Sink(sink, preview_every_s, notices)
        self.outbox.connect(platform)

    def connected(self, platform: str) -> bool:
        return platform in self._sinks

    def pending_job_ids(self) -> list[str]:
        return list(self._tracking)

    def following(self, job_id: str) -> bool:
        """This process follows the job: queued, running, or being settled and delivered."""
        return job_id in self._tracking

    def taken_before_start(self, job_id: str) -> bool:
        """This process took the job before `start`: it is this run's, not a previous one's."""
        return self._taken_before_start is not None and job_id in self._taken_before_start

    async def start(self) -> None:
        """Deliver what a previous run still owed (results, failures, notices)."""
        await self.outbox.load(skip=self._taken_before_start or frozenset())
        self._taken_before_start = None

    async def close(self) -> None:
        tasks = list(self._tracking.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.outbox.close()
        for job_id in list(self._settled):
            await self._settle(job_id)

    async def wait(self, job_id: str) -> dict[str, Any]:
        """Until the job ended and what it owes was delivered (or its front end is not
        connected); returns its row. Futures exist only while someone waits."""
        future = self._settled.get(job_id)
        if future is None:
            future = self._settled[job_id] = asyncio.get_running_loop().create_future()
            row = await self.store.run(lambda s: s.jobs.get(job_id))
            ended = row is not None and JobStatus(row["status"]).finished
            if ended and not self.following(job_id) and not self.outbox.owes(job_id):
                self._settled.pop(job_id, None)
                return row
        return await future

    async def _settle(self, job_id: str) -> None:
        future = self._settled.pop(job_id, None)
        if future is not None and not future.done():
            future.set_result(await self.store.run(lambda s: s.jobs.get(job_id)))

    def follow(
        self,
        origin: Origin,
        handle: JobHandle,
        respond: Responder | None = None,
        *,
        resumed: bool = False,
    ) -> None:
        """Follow a job's events; `respond`: the request that made it (None: the sink)."""
        job_id = handle.job_id
        if self._taken_before_start is not None and not resumed:
            self._taken_before_start.add(job_id)
        task = asyncio.create_task(
            self._track(origin, handle, respond, resumed), name=f"job-{job_id}"
        )
        self._tracking[job_id] = task
        task.add_done_callback(lambda _: self._tracking.pop(job_id, None))

    async def _track(
        self, origin: Origin, handle: JobHandle, respond: Responder | None, resumed: bool
    ) -> None:
        """Turn one job's engine events into SQLite updates and replies, in order."""
        job_id = handle.job_id
        acked, last_position = False, None
        started, steps_done, total_steps = False, 0, 0
        ended = False  # this job's outcome was written here (not by a cancel that came first)
        elapsed = None
        policy: SafetyPolicy | None = None  # for this job's previews: looked up once
        async for event in handle.events():
            if isinstance(event, Queued | Started) and not acked:
                # The first event is the acknowledgement: the job is already in SQLite.
                position = event.position if isinstance(event, Queued) else 0
                eta = event.eta_s if isinstance(event, Queued) else None
                text = render.ack_text(job_id, position, eta, resumed=resumed)
                ack = Reply(ReplyKind.ACK, text, job_id, position=position)
                await self.report(origin, respond, ack)
                acked, last_position = True, position
            if isinstance(event, Queued):
                if event.position != last_position:
                    text = render.queue_text(job_id, event.position, event.eta_s)
                    reply = Reply(ReplyKind.PROGRESS, text, job_id, position=event.position)
                    await self.report(origin, respond, reply)
                    last_position = event.position
            elif isinstance(event, Started):
                started = True
                await self.store.run(lambda s, e=event: s.jobs.mark_running(job_id, e.task_id))
            elif isinstance(event, Progress):
                steps_done, total_steps = event.step, event.total
                preview, spoiler = event.preview, False
                if preview is not None:  # shown only as the safety policy allows
                    policy = policy or await self.safety.policy(origin)
                    preview, spoiler = await self.safety.preview(origin, policy, preview)
                await self.report(
                    origin,
                    respond,
                    Reply(
                        ReplyKind.PROGRESS,
                        render.progress_text(job_id, event.percent, event.step, event.total),
                        job_id,
                        image_png=_png(preview),
                        percent=event.percent,
                        spoiler=spoiler,
                    ),
                )
            elif isinstance(event, Finished) and event.prompts is not None:
                ended = await self.endings.describe(origin, job_id, event.prompts)
                elapsed = event.elapsed_s
            elif isinstance(event, Finished):
                ended = await self.endings.result(origin, job_id, event)
                elapsed = event.elapsed_s
            elif isinstance(event, Failed):
                error, detail = event.error, event.detail or None  # detail: the operator's
                ended = await self.endings.end(
                    job_id, JobStatus.FAILED, 1.0, error=error, detail=detail
                )
            elif isinstance(event, Cancelled):
                # Cancelled while running: pay for the steps that ran, get the rest back.
                share = refund_fraction(steps_done, total_steps, started and event.while_running)
                ended = await self.endings.end(job_id, JobStatus.CANCELLED, share)
        if ended:
            await self.outbox.deliver(Item(job_id, FINAL, origin.platform, elapsed), respond)

    async def cancel_unheld(self, job: dict[str, Any]) -> bool:
        """Cancel a job this process's engine does not hold (accepted before a restart, not
        resumed yet): a full refund, and its final reply. False if it had ended already."""
        if not await self.endings.end(job["id"], JobStatus.CANCELLED, 1.0):
            return False
        await self.outbox.deliver(Item(job["id"], FINAL, job["platform"]))
        return True

    async def _send_owed(self, item: Item, respond: Responder | None) -> str | None:
        """The outbox's sender: one final reply or notice, raising if it did not get out.
        Returns NOTICE after a final reply that a sink with notices edited in silently."""
        job_id = item.job_id
        row, (charged, refunded) = await self.store.run(
            lambda s: (s.jobs.get(job_id), s.credits.of_job(job_id))
        )
        origin, status = origin_of(row), JobStatus(row["status"])
        if item.kind == NOTICE:
            await self._through(
                origin, respond, Reply(ReplyKind.NOTICE, render.notice_text(row), job_id)
            )
            return None
        if status is JobStatus.DONE:
            reply = await self.result_reply(row, item.elapsed_s)
        elif status is JobStatus.FAILED:
            text = render.failed_text(job_id, failure_reason(row), charged, refunded)
            reply = Reply(ReplyKind.ERROR, text, job_id)
        else:
            reply = Reply(ReplyKind.TEXT, render.cancelled_text(job_id, charged, refunded), job_id)
        await self._through(origin, respond, reply)
        notify = self._sinks[origin.platform].notices and status is not JobStatus.CANCELLED
        return NOTICE if notify else None

    async def _through(self, origin: Origin, respond: Responder | None, reply: Reply) -> None:
        """`reply`, in the job's language, through the request's Responder or the sink."""
        reply = localized(reply, origin.lang)
        if respond is not None:
            await respond.report(reply)
        else:
            await self._sinks[origin.platform].sink.send(origin, reply)

    async def result_reply(self, row: dict[str, Any], elapsed: float | None) -> Reply:
        """The grid as users may see it: images the safety check hid have no buttons. (A
        describe's result is its prompts.)"""
        if row["action"] == JobKind.DESCRIBE:
            return await self.described.reply(row, elapsed)
        shown = await self.safety.shown(row["id"])
        hidden = {image.image_index for image in shown if image.hidden}
        if row["action"] == JobKind.UPSCALE:
            size = (row["width"], row["height"])
            again = can_upscale(*size, self.settings)
            four = self.gan_upscaler and can_upscale_4x(*size, self.settings)
            buttons = upscale_buttons(row["id"], again, size[0] == size[1], four)
        elif row["action"] == JobKind.UPSCALE_4X:
            buttons = final_buttons(row["id"])
        else:
            buttons = result_buttons(row["id"], row["image_count"])
        usable = tuple(b for b in buttons if getattr(find(b.action), "image", 0) not in hidden)
        caption = render.result_caption(row, row["display_name"], elapsed)
        notes = [note for note in (result_note(shown), render.late_cancel_note(row)) if note]
        return Reply(
            ReplyKind.RESULT,
            lines([caption, *notes]) if notes else caption,
            row["id"],
            image_path=self.images.absolute(row["grid_path"]),
            buttons=usable,
            percent=100,
            spoiler=any(image.action is Action.SPOILER for image in shown),
        )

    async def answer(self, respond: Responder, reply: Reply, lang: Lang) -> None:
        """A request's own answer, in `lang` unless it chose its own; a failure to send it is
        logged, not raised."""
        try:
            await respond.answer(localized(reply, lang))
        except Undeliverable as refused:
            log.warning("answer abandoned: %s", refused)
        except Exception:
            log.exception("answering a request failed: %s", reply.text)

    async def report(self, origin: Origin, respond: Responder | None, reply: Reply) -> None:
        """News of a job (acknowledgement, queue, progress): the next one supersedes it, so a
        failure to send it is logged, not retried."""
        if respond is None and not self.connected(origin.platform):
            return  # its front end is not running here: the final reply waits in the outbox
        try:
            await self._through(origin, respond, reply)
        except Undeliverable as refused:
            _abandoned(reply, refused)
        except Exception:
            log.exception("reporting on job %s failed", reply.job_id)

    async def send(self, origin: Origin, reply: Reply) -> bool:
        """A reply outside a job's course (a released image's new grid) through the origin's
        sink; False if its front end is not running here or the platform failed."""
        if not self.connected(origin.platform):
            return False
        try:
            await self._through(origin, None, reply)
        except Undeliverable as refused:
            _abandoned(reply, refused)
        except Exception:
            log.exception("delivering a reply to %s failed", origin.platform)
            return False
        return True

    def pace(self, origin: Origin) -> float | None:
        entry = self._sinks.get(origin.platform)
        return entry.preview_every_s if entry else None


def _abandoned(reply: Reply, refused: Undeliverable) -> None:
    """The platform will never take it: it counts as delivered, so nothing retries it."""
    log.warning("job %s: %s reply abandoned: %s", reply.job_id, reply.kind, refused)


def origin_of(row: dict[str, Any]) -> Origin:
    return Origin(
        row["platform"],
        row["chat_id"],
        row["platform_user_id"],
        row["reply_handle"],
        row["scope_id"],
        bool(row.get("nsfw_chat")),
        parse_tag(row.get("lang")) or Lang.EN,  # jobs from before languages: English
    )


def failure_reason(row: dict[str, Any]) -> Message:
    """Why a job failed, as a message for any language (jobs failed before languages were
    stored have only the English text)."""
    if row.get("error_message"):
        return from_json(row["error_message"])
    return verbatim(row.get("error") or "")


def localized(reply: Reply, lang: Lang) -> Reply:
    """`reply` in `lang`, unless the core already chose its language (/settings lang answers
    in the language just chosen)."""
    return reply if reply.lang is not None else reply.in_language(lang)


def _png(image: Any) -> bytes | None:
    if image is None:
        return None
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
