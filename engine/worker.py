"""The engine: one worker thread owns the pipeline; the event loop only awaits what it reports.

    submit(spec) -> JobHandle      (event-loop side, never blocks)
    handle.events() / result()     Queued* -> Started -> Progress* -> Finished | Failed | Cancelled
    cancel(job_id)                 waiting: removed at once; running: interrupted within a step

This narrow boundary is what a remote engine would implement too.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.errors import GenerationFailed, JobCancelled
from engine.failures import is_oom, user_message
from engine.fair_queue import FairQueue, QueueRefused
from engine.handle import JobHandle
from engine.job import (
    Cancelled,
    Failed,
    Finished,
    JobSpec,
    Progress,
    Queued,
    Started,
    batch_key,
)
from engine.pipeline_utils import free_memory
from engine.previews import preview_grid

log = logging.getLogger(__name__)

__all__ = ["Engine", "JobHandle", "QueueRefused"]


class Backend(Protocol):
    def generate(self, specs: list[JobSpec], on_step: Any, cancel: Any) -> list[list[Any]]: ...
    def profile(self, name: str) -> Any: ...


@dataclass(slots=True)
class _Ticket:
    spec: JobSpec
    handle: JobHandle
    preview_every_s: float | None  # None: no previews; 0: every step
    cancelled: threading.Event = field(default_factory=threading.Event)
    last_preview: float = float("-inf")  # so the first step always gets a preview


class Engine:
    def __init__(
        self,
        backend: Backend,
        *,
        max_waiting_per_user: int = 10,
        max_waiting: int = 1000,
        max_batch_jobs_per_user: int = 1,
        batching: bool = False,
        max_batch_images: int = 8,
    ) -> None:
        self.backend = backend
        self.batching = batching
        self.max_batch_images = max_batch_images
        self.max_batch_jobs_per_user = max_batch_jobs_per_user  # one user's jobs in one batch
        self._queue: FairQueue[_Ticket] = FairQueue(
            max_per_user=max_waiting_per_user, max_total=max_waiting
        )
        self._tickets: dict[str, _Ticket] = {}
        self._running: list[_Ticket] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.seconds_per_cost: float | None = None  # learnt from finished jobs, for estimates
        self._running_since = 0.0
        self._runs = itertools.count(1)  # engine run numbers, for task ids

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mjbot-engine", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 30) -> None:
        """Stop after interrupting the running job; waiting jobs stay persisted by the caller."""
        with self._cond:
            self._stopping = True
            for ticket in self._running:
                ticket.cancelled.set()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def is_alive(self) -> bool:
        """The worker thread is running (health checks report a dead engine as unavailable)."""
        return self._thread is not None and self._thread.is_alive() and not self._stopping

    # event-loop side ---------------------------------------------------------------------
    def profile(self, model: str) -> Any:
        """The model's ModelProfile (native size, defaults): what the parser sizes images by."""
        return self.backend.profile(model)

    def check_admission(self, user_key: str, max_waiting: int | None = None) -> None:
        """Raise QueueRefused now if `user_key` could not queue a job (before persisting it)."""
        with self._cond:
            self._queue.check_admission(user_key, max_waiting)

    def submit(
        self,
        spec: JobSpec,
        *,
        preview_every_s: float | None = None,
        force: bool = False,
        max_waiting: int | None = None,
    ) -> JobHandle:
        """Queue a job; raises QueueRefused with a reason for the user. Must run on the loop.

        `force` skips the queue limits: for jobs accepted before a restart. `max_waiting`
        is this user's own limit on waiting jobs (their tier's), if not the engine's default.
        """
        handle = JobHandle(spec.job_id, asyncio.get_running_loop())
        ticket = _Ticket(spec, handle, preview_every_s)
        with self._cond:
            if spec.job_id in self._tickets:
                raise ValueError(f"job {spec.job_id} is already in the engine")
            self._queue.push(
                spec.job_id,
                spec.user_key,
                ticket,
                spec.cost,
                spec.weight,
                force=force,
                max_waiting=max_waiting,
            )
            self._tickets[spec.job_id] = ticket
            # A newcomer can go ahead of others (fair share): everyone learns their new place.
            self._broadcast_positions()
            self._cond.notify()
        return handle

    def cancel(self, job_id: str) -> bool:
        """True if the job was waiting (now removed) or running (now interrupting)."""
        with self._cond:
            ticket = self._queue.remove(job_id)
            if ticket is not None:
                del self._tickets[job_id]
                ticket.handle.emit(Cancelled(job_id, while_running=False))
                self._broadcast_positions()
                return True
            for running in self._running:
                if running.spec.job_id == job_id:
                    running.cancelled.set()
                    return True
        return False

    def position(self, job_id: str) -> int | None:
        with self._cond:
            return self._queue.position(job_id)

    def waiting_count(self) -> int:
        with self._cond:
            return len(self._queue)

    def is_busy(self) -> bool:
        with self._cond:
            return bool(self._running) or len(self._queue) > 0

    async def wait_idle(self, poll_s: float = 0.02) -> None:
        """Drain mode for tests and one-shot commands: return once nothing waits or runs."""
        while self.is_busy():
            await asyncio.sleep(poll_s)

    # worker thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not len(self._queue) and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                batch = self._next_batch()
                self._running = batch
                self._running_since = time.monotonic()
                self._broadcast_positions()
            try:
                self._execute(batch)
            finally:
                with self._cond:
                    for ticket in batch:
                        self._tickets.pop(ticket.spec.job_id, None)
                    self._running = []

    def _next_batch(self) -> list[_Ticket]:
        if not self.batching:
            ticket = self._queue.pop()
            return [] if ticket is None else [ticket]
        jobs_per_user: dict[str, int] = {}
        images = [0]

        def fits(ticket: _Ticket) -> bool:
            """Companions stay within the image budget and the per-user share of a batch."""
            user, count = ticket.spec.user_key, ticket.spec.image_count
            if images[0] and images[0] + count > self.max_batch_images:
                return False
            if images[0] and jobs_per_user.get(user, 0) >= self.max_batch_jobs_per_user:
                return False
            jobs_per_user[user] = jobs_per_user.get(user, 0) + 1
            images[0] += count
            return True

        return self._queue.pop_batch(
            lambda ticket: batch_key(ticket.spec), float("inf"), limit=64, accept=fits
        )

    def _execute(self, batch: list[_Ticket]) -> None:
        run = next(self._runs)
        for ticket in batch:
            ticket.handle.emit(Started(ticket.spec.job_id, f"{ticket.spec.job_id}:{run}"))
        started = time.monotonic()
        try:
            results = self._generate_with_oom_retry(batch)
        except JobCancelled:
            for ticket in batch:
                ticket.handle.emit(Cancelled(ticket.spec.job_id, while_running=True))
            return
        except Exception as exc:
            message = user_message(exc)
            log.exception("job(s) %s failed", [t.spec.job_id for t in batch])
            for ticket in batch:
                ticket.handle.emit(Failed(ticket.spec.job_id, message))
            return
        elapsed = time.monotonic() - started
        self._learn(batch, elapsed)
        for ticket, images in zip(batch, results, strict=True):
            if ticket.cancelled.is_set():  # cancelled while its batch-mates kept it running
                ticket.handle.emit(Cancelled(ticket.spec.job_id, while_running=True))
            else:
                ticket.handle.emit(
                    Finished(ticket.spec.job_id, images, ticket.spec.seeds, elapsed)
                )

    def _generate_with_oom_retry(self, batch: list[_Ticket]) -> list[list[Any]]:
        try:
            return self._generate(batch)
        except Exception as exc:
            if not is_oom(exc):
                raise
            log.warning("out of GPU memory on %d job(s); retrying one at a time", len(batch))
            free_memory()
            try:
                return [self._generate([ticket])[0] for ticket in batch]
            except Exception as again:
                if is_oom(again):
                    raise GenerationFailed(
                        "Out of GPU memory, even one job at a time. Try a smaller size "
                        "(--ar closer to 1:1) or fewer images (MJ_IMAGES_PER_JOB)."
                    ) from again
                raise

    def _generate(self, batch: list[_Ticket]) -> list[list[Any]]:
        specs = [ticket.spec for ticket in batch]
        family = self.backend.profile(specs[0].model).family
        counts = [spec.image_count for spec in specs]

        def on_step(step: int, total: int, latents: Any) -> None:
            now = time.monotonic()
            offset = 0
            for ticket, count in zip(batch, counts, strict=True):
                preview = None
                every = ticket.preview_every_s
                if every is not None and (now - ticket.last_preview >= every or step == total):
                    preview = preview_grid(latents[offset : offset + count], family)
                    ticket.last_preview = now
                ticket.handle.emit(Progress(ticket.spec.job_id, step, total, preview))
                offset += count

        # A batch stops early only when every job in it was cancelled.
        def cancelled() -> bool:
            return self._stopping or all(t.cancelled.is_set() for t in batch)

        return self.backend.generate(specs, on_step, cancelled)

    def _learn(self, batch: list[_Ticket], elapsed: float) -> None:
        cost = sum(ticket.spec.cost for ticket in batch)
        if cost > 0:
            sample = elapsed / cost
            old = self.seconds_per_cost
            self.seconds_per_cost = sample if old is None else 0.7 * old + 0.3 * sample

    def _eta(self, ahead_cost: float) -> float | None:
        """Seconds until a job with `ahead_cost` of work before it starts, once timings exist."""
        if self.seconds_per_cost is None:
            return None
        running = sum(t.spec.cost for t in self._running) * self.seconds_per_cost
        remaining = max(0.0, running - (time.monotonic() - self._running_since))
        return remaining + ahead_cost * self.seconds_per_cost

    def _broadcast_positions(self) -> None:
        """Tell every waiting job its new place in line (caller holds the lock)."""
        ahead = 0.0
        for position, job_id in enumerate(self._queue.ordered(), start=1):
            ticket = self._tickets[job_id]
            ticket.handle.emit(Queued(job_id, position, self._eta(ahead)))
            ahead += ticket.spec.cost
