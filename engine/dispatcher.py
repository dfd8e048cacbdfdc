"""The engine: one fair queue in front of one or many workers; the event loop only awaits events.

    submit(spec) -> JobHandle      (event-loop side, never blocks)
    handle.events() / result()     Queued* -> Started -> Progress* -> Finished | Failed | Cancelled
    cancel(job_id)                 waiting: removed at once; running: interrupted within a step

The dispatcher owns everything about order: admission, the fair queue, positions, estimates,
cancel, batching, and which worker draws what. A job (or a batch of compatible jobs) goes to a
worker only when that worker is free, preferring one that has the job's model (and its LoRAs)
loaded, else the one idle longest, so no worker ever queues work behind the fair order. Each
worker has a thread here that hands it its batch and waits: the local engine's only worker
draws on that thread; a Ray worker's thread reads the events the actor streams back.

A worker lost mid-batch (its process killed, its node gone) puts its unfinished jobs back at
the front of the line; another worker draws them, and each is still finished exactly once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from engine.executor import Outcome, WorkerPool, WorkerStatus
from engine.fair_queue import FairQueue
from engine.handle import JobHandle
from engine.job import Cancelled, Failed, JobSpec, Queued
from engine.tickets import Run, Slot, Ticket, choose_slot, estimate_wait, take_batch
from i18n import t

log = logging.getLogger(__name__)

# A job whose worker died this many times while drawing it fails instead of trying again:
# it may be what kills them (a driver crash on one prompt), and the others must go on.
MAX_LOST_RUNS = 3


class Engine:
    def __init__(
        self,
        pool: WorkerPool,
        profile: Callable[[str], Any],
        *,
        max_waiting_per_user: int = 10,
        max_waiting: int = 1000,
        max_batch_jobs_per_user: int = 1,
        batching: bool = False,
        max_batch_images: int = 8,
    ) -> None:
        self.pool = pool
        self._profile = profile
        self.batching = batching
        self.max_batch_images = max_batch_images
        self.max_batch_jobs_per_user = max_batch_jobs_per_user  # one user's jobs in one batch
        self._queue: FairQueue[Ticket] = FairQueue(
            max_per_user=max_waiting_per_user, max_total=max_waiting
        )
        self._tickets: dict[str, Ticket] = {}
        self._slots: dict[str, Slot] = {}
        self._threads: list[threading.Thread] = []
        self._cond = threading.Condition()
        self._started = False
        self._stopping = False
        self._superseded = False
        self.seconds_per_cost: float | None = None  # learnt from finished jobs, for estimates
        self._runs = itertools.count(1)  # dispatch numbers, for task ids

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            self._started = True
            self.pool.start(self._workers_changed)

    def stop(self, timeout: float | None = 30) -> None:
        """Stop after interrupting running jobs; waiting jobs stay persisted by the caller."""
        with self._cond:
            self._stopping = True
            for slot in self._slots.values():
                for ticket in slot.batch:
                    ticket.cancelled.set()
            self._cond.notify_all()
        self.pool.stop()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def is_alive(self) -> bool:
        """Started and not stopped (health checks report a stopped engine as unavailable)."""
        return self._started and not self._stopping and not self._superseded

    def workers(self) -> list[WorkerStatus]:
        """Every worker as the dispatcher sees it: alive, what it draws, how much it drew."""
        with self._cond:
            return [
                dataclasses.replace(
                    slot.worker.status(),
                    current_jobs=tuple(t.spec.job_id for t in slot.batch),
                    jobs_done=slot.jobs_done,
                )
                for slot in self._slots.values()
            ]

    # event-loop side ---------------------------------------------------------------------
    def profile(self, model: str) -> Any:
        """The model's ModelProfile (native size, defaults): what the parser sizes images by."""
        return self._profile(model)

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
        ticket = Ticket(spec, handle, preview_every_s)
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
            # A newcomer can go ahead of others (fair share): everyone learns their new place,
            # the newcomer too (its acknowledgement), even when a free worker takes it at once.
            self._broadcast_positions()
            if self._assign():
                self._broadcast_positions()
        return handle

    def cancel(self, job_id: str) -> bool:
        """True if the job was waiting (now removed) or running (now interrupting): it will end
        Cancelled. False if unknown, or too late: every step ran, so it ends Finished."""
        with self._cond:
            ticket = self._queue.remove(job_id)
            if ticket is not None:
                del self._tickets[job_id]
                ticket.handle.emit(Cancelled(job_id, while_running=False))
                self._broadcast_positions()
                return True
            for slot in self._slots.values():
                for running in slot.batch:
                    if running.spec.job_id == job_id:
                        if running.too_late_to_cancel():
                            return False
                        running.cancel_asked = True
                        running.cancelled.set()
                        slot.worker.interrupt(job_id)
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
            return len(self._queue) > 0 or any(slot.batch for slot in self._slots.values())

    async def wait_idle(self, poll_s: float = 0.02) -> None:
        """Drain mode for tests and one-shot commands: return once nothing waits or runs."""
        while self.is_busy():
            await asyncio.sleep(poll_s)

    # dispatching (the caller holds the lock) ---------------------------------------------
    def _workers_changed(self) -> None:
        """The pool says a worker joined or came back: give it a thread, then work."""
        with self._cond:
            if self._stopping:
                return
            for worker in self.pool.workers():
                if worker.name not in self._slots:
                    slot = self._slots[worker.name] = Slot(worker)
                    thread = threading.Thread(
                        target=self._serve, args=(slot,), name=f"mjbot-{worker.name}", daemon=True
                    )
                    self._threads.append(thread)
                    thread.start()
            if self._assign():
                self._broadcast_positions()

    def _assign(self) -> bool:
        """Hand the next jobs in fair order to free workers, one batch per worker.

        True if any job left the line (the others moved up)."""
        assigned = False
        while len(self._queue) and not self._stopping and not self._superseded:
            free = [
                slot
                for slot in self._slots.values()
                if not slot.batch and slot.worker.status().alive
            ]
            head = self._queue.peek()
            if not free or head is None:
                break
            adapters = [lora.adapter for lora in head.spec.loras]
            slot = choose_slot(free, head.spec.model, adapters)
            slot.batch = take_batch(
                self._queue, self.batching, self.max_batch_images, self.max_batch_jobs_per_user
            )
            slot.since = time.monotonic()
            assigned = True
            self._cond.notify_all()
        return assigned

    # worker threads ----------------------------------------------------------------------
    def _serve(self, slot: Slot) -> None:
        """One worker's thread: wait for a batch, have it drawn, settle, repeat."""
        while True:
            with self._cond:
                while not slot.batch and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                batch = list(slot.batch)
                run_number = next(self._runs)
            run = Run(slot, batch, self._cond)
            try:
                outcome = slot.worker.draw(run.assignments(run_number, slot.worker.name), run.emit)
            except Exception:  # a bug in a worker must not take its thread down
                log.exception("worker %s failed outside a job", slot.worker.name)
                outcome = Outcome.DONE
            with self._cond:
                self._settle(slot, run, outcome)

    def _settle(self, slot: Slot, run: Run, outcome: Outcome) -> None:
        """After a batch: learn its speed, re-queue what a lost worker left, then go on."""
        if run.elapsed is not None:
            self._learn(sum(t.spec.cost for t in slot.batch), run.elapsed)
        for ticket in slot.batch:
            job_id = ticket.spec.job_id
            if job_id in run.ended:
                self._tickets.pop(job_id, None)
            elif outcome is Outcome.SUPERSEDED:
                self._tickets.pop(job_id, None)  # the dispatcher that claimed it will run it
            elif outcome is Outcome.LOST and not self._stopping:
                self._put_back(ticket, lost=job_id in run.started)
            elif not self._stopping:
                self._tickets.pop(job_id, None)
                stopped = t("The worker drawing this job stopped without a result.")
                run.emit(Failed(job_id, stopped))
        slot.batch = []
        slot.last_used = time.monotonic()
        if outcome is Outcome.SUPERSEDED and not self._stopping:
            self._superseded = True
            log.error(
                "another mjbot dispatcher took over worker %s; this one stops drawing",
                slot.worker.name,
            )
        self._assign()
        self._broadcast_positions()

    def _put_back(self, ticket: Ticket, lost: bool) -> None:
        """A lost worker's job runs again, first in line, unless it was cancelled meanwhile."""
        job_id = ticket.spec.job_id
        ticket.lost_runs += lost
        if ticket.cancelled.is_set():
            self._tickets.pop(job_id, None)
            ticket.handle.emit(Cancelled(job_id, while_running=True))
        elif ticket.lost_runs >= MAX_LOST_RUNS:
            self._tickets.pop(job_id, None)
            lost = t("The workers drawing this job stopped {count} times.", count=MAX_LOST_RUNS)
            ticket.handle.emit(Failed(job_id, lost))
        else:
            log.warning("job %s goes back to the front of the line: its worker was lost", job_id)
            self._queue.requeue(job_id, ticket.spec.user_key, ticket, ticket.spec.cost)

    def _learn(self, cost: float, elapsed: float) -> None:
        if cost > 0:
            sample = elapsed / cost
            old = self.seconds_per_cost
            self.seconds_per_cost = sample if old is None else 0.7 * old + 0.3 * sample

    def _broadcast_positions(self) -> None:
        """Tell every waiting job its new place in line (caller holds the lock)."""
        ahead = 0.0
        for position, job_id in enumerate(self._queue.ordered(), start=1):
            ticket = self._tickets[job_id]
            eta = estimate_wait(self._slots.values(), self.seconds_per_cost, ahead)
            ticket.handle.emit(Queued(job_id, position, eta))
            ahead += ticket.spec.cost
