"""Following jobs to the end: engine events become SQLite updates and replies, delivered once.

The service hands each accepted job's engine handle to `Delivery.follow`; from there every
event is recorded (running, done with its images, failed or cancelled with a refund) and
turned into a Reply, reported to the Responder of the request that made the job (or, for jobs
resumed after a restart, to its platform's ReplySink), and the final reply is marked
delivered so a restart neither loses nor repeats it.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from typing import Any

from bot.core import render
from bot.core.accounts import Accounts
from bot.core.buttons import (
    JobKind,
    can_upscale,
    can_upscale_4x,
    final_buttons,
    find,
    result_buttons,
    upscale_buttons,
)
from bot.core.describe_results import DescribeResults
from bot.core.quota import refund_fraction
from bot.core.requests import Origin, Reply, ReplyKind, ReplySink, Responder, Undeliverable
from bot.core.safety import ImageSafety, SafetyUnavailable, result_note
from bot.core.settings import ActionSettings
from engine.handle import JobHandle
from engine.job import Cancelled, Failed, Finished, Progress, Queued, Started
from filters.safety_policy import Action, SafetyPolicy
from i18n import Lang, Message, lines, parse_tag, t, verbatim
from i18n.stored import english_and_json, from_json
from storage.images import ImageStore
from storage.store import AsyncStore, JobStatus, Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Sink:
    sink: ReplySink
    preview_every_s: float | None


class Delivery:
    def __init__(
        self,
        settings: ActionSettings,
        store: AsyncStore,
        images: ImageStore,
        accounts: Accounts,
        safety: ImageSafety,
        described: DescribeResults,
        gan_upscaler: bool = False,
    ) -> None:
        self.settings = settings
        self.gan_upscaler = gan_upscaler  # Upscale 4x is offered under upscaled images
        self.store = store
        self.images = images
        self.accounts = accounts
        self.safety = safety
        self.described = described  # a describe's prompts, where a drawing has its images
        self._sinks: dict[str, _Sink] = {}
        self._tracking: dict[str, asyncio.Task] = {}  # job id -> task following its events
        self._settled: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def register_sink(
        self, platform: str, sink: ReplySink, preview_every_s: float | None = None
    ) -> None:
        self._sinks[platform] = _Sink(sink, preview_every_s)

    def connected(self, platform: str) -> bool:
        return platform in self._sinks

    def pending_job_ids(self) -> list[str]:
        return list(self._tracking)

    async def close(self) -> None:
        tasks = list(self._tracking.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait(self, job_id: str) -> dict[str, Any]:
        """Until the job's outcome has been delivered; returns its row (for one-shot commands).

        Futures exist only while someone waits, so a long-running bot keeps none per job.
        """
        future = self._settled.get(job_id)
        if future is None:
            future = self._settled[job_id] = asyncio.get_running_loop().create_future()
            row = await self.store.run(lambda s: s.jobs.get(job_id))
            settled = row is not None and JobStatus(row["status"]).finished
            if settled and job_id not in self._tracking:  # nothing more will happen to it
                self._settled.pop(job_id, None)
                return row
        return await future

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
                    await self.report(
                        origin,
                        respond,
                        Reply(
                            ReplyKind.PROGRESS,
                            render.queue_text(job_id, event.position, event.eta_s),
                            job_id,
                            position=event.position,
                        ),
                    )
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
                await self.described.finish(origin, job_id, event.prompts)
            elif isinstance(event, Finished):
                await self._store_result(origin, job_id, event)
            elif isinstance(event, Failed):
                # The operator's detail beside the users' reason (mjbot status, the describe CLI).
                why = (*english_and_json(event.error), event.detail or None)
                await self.store.run(lambda s, why=why: s.jobs.mark_failed(job_id, *why))
                await self.accounts.refund(job_id, 1.0, "job failed")
            elif isinstance(event, Cancelled):
                await self.store.run(lambda s: s.jobs.mark_cancelled(job_id))
                # Cancelled while running: pay for the steps that ran, get the rest back.
                share = refund_fraction(steps_done, total_steps, started and event.while_running)
                await self.accounts.refund(job_id, share, "job cancelled")
        outcome = handle.outcome.result()
        row = await self.store.run(lambda s: s.jobs.get(job_id))
        elapsed = outcome.elapsed_s if isinstance(outcome, Finished) else None
        await self.deliver_final(row, elapsed, respond)

    async def _store_result(self, origin: Origin, job_id: str, event: Finished) -> None:
        """Judge the images, then store them with what users may see; refund withheld ones.
        Nothing unchecked goes out: if the check fails, the job fails (and is refunded)."""
        row = await self.store.run(lambda s: s.jobs.get(job_id)) or {}
        name = row.get("display_name") or origin.user_id
        try:
            judged = await self.safety.judge(origin, name, job_id, event.images)
        except SafetyUnavailable as error:
            reason = t("{reason} The images were not shown.", reason=error.message)
            await self.store.run(lambda s: s.jobs.mark_failed(job_id, *english_and_json(reason)))
            await self.accounts.refund(job_id, 1.0, "image safety check unavailable")
            return
        saved = self.safety.save_result
        grid, rows, decisions = await asyncio.to_thread(saved, judged, event.images, event.seeds)

        def record(s: Store) -> None:
            with s.transaction():
                s.jobs.mark_done(job_id, grid, rows)
                s.safety.record(decisions)

        await self.store.run(record)
        if judged.blocked_share:
            reason = "images withheld by the safety check"
            await self.accounts.refund(job_id, judged.blocked_share, reason)

    async def deliver_final(
        self,
        row: dict[str, Any],
        elapsed: float | None = None,
        respond: Responder | None = None,
    ) -> None:
        origin = origin_of(row)
        job_id, status = row["id"], JobStatus(row["status"])
        if status is JobStatus.DONE:
            reply = await self.result_reply(row, elapsed)
        elif status is JobStatus.FAILED:
            failed = t(
                "Job {job_id} failed: {reason} Your credits for it are refunded.",
                job_id=job_id,
                reason=failure_reason(row),
            )
            reply = Reply(ReplyKind.ERROR, failed, job_id)
        else:
            reply = Reply(ReplyKind.TEXT, t("Job {job_id} cancelled.", job_id=job_id), job_id)
        if await self.report(origin, respond, reply):
            await self.store.run(lambda s: s.jobs.mark_delivered(job_id))
        final = await self.store.run(lambda s: s.jobs.get(job_id))
        future = self._settled.pop(job_id, None)
        if future is not None and not future.done():
            future.set_result(final)

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
        note = result_note(shown)
        return Reply(
            ReplyKind.RESULT,
            caption if note is None else lines([caption, note]),
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

    async def report(self, origin: Origin, respond: Responder | None, reply: Reply) -> bool:
        """A job's news to the request that made it, else through the origin's sink; False
        if it could not be sent (it is then delivered after the next start)."""
        if respond is None:
            return await self.send(origin, reply)
        try:
            await respond.report(localized(reply, origin.lang))
        except Undeliverable as refused:
            _abandoned(reply, refused)
        except Exception:
            log.exception("reporting on job %s failed", reply.job_id)
            return False
        return True

    async def send(self, origin: Origin, reply: Reply) -> bool:
        """Deliver through the origin's adapter; False if it is not connected or failed."""
        entry = self._sinks.get(origin.platform)
        if entry is None:
            log.warning("no adapter for %s; reply kept for later: %s", origin.platform, reply.text)
            return False
        try:
            await entry.sink.send(origin, localized(reply, origin.lang))
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
