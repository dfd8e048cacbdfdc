"""The dispatcher's bookkeeping: a job's ticket, a worker's slot, one batch's run, and the
pure decisions taken on them (which free worker gets the next job, which jobs share a batch)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from engine.executor import Assignment, Worker
from engine.fair_queue import FairQueue
from engine.handle import JobHandle
from engine.job import TERMINAL, Event, Finished, JobSpec, Progress, Started, batch_key


@dataclass(slots=True)
class Ticket:
    spec: JobSpec
    handle: JobHandle
    preview_every_s: float | None  # None: no previews; 0: every step
    cancelled: threading.Event = field(default_factory=threading.Event)
    lost_runs: int = 0  # runs that ended with their worker's death
    # What the dispatcher has heard of this run: a cancel once every step ran, or once the job
    # ended, is too late (the job is Finished and delivered), so `Engine.cancel` refuses it.
    steps_done: int = 0
    total_steps: int = 0
    ended: bool = False
    # Its user cancelled it while it ran (`cancelled` is also set when the engine stops): a
    # Finished after that came from a worker that heard too late, and says so.
    cancel_asked: bool = False

    def too_late_to_cancel(self) -> bool:
        return self.ended or (self.total_steps > 0 and self.steps_done >= self.total_steps)


@dataclass(slots=True)
class Slot:
    """One worker as the dispatcher tracks it."""

    worker: Worker
    batch: list[Ticket] = field(default_factory=list)  # what it draws now; empty: free
    since: float = 0.0  # when it started that batch
    last_used: float = 0.0  # when it last finished one (least recently used goes first)
    jobs_done: int = 0


class Run:
    """One batch on one worker: passes its events on, remembering what each job reached."""

    def __init__(self, slot: Slot, batch: list[Ticket], lock: threading.Condition) -> None:
        self.slot = slot  # whose count of finished jobs this run adds to
        self.lock = lock  # the dispatcher's, which `Engine.cancel` holds
        self.tickets = {ticket.spec.job_id: ticket for ticket in batch}
        self.started: set[str] = set()
        self.ended: set[str] = set()
        self.elapsed: float | None = None  # the worker's drawing time, from Finished

    def assignments(self, run_number: int, worker: str) -> list[Assignment]:
        """The batch as the worker gets it. Each job keeps its ticket's cancel flag, so a
        cancel or a stop reaches a local draw at once."""
        return [
            Assignment(
                ticket.spec,
                f"{job_id}:{run_number}:{worker}",
                ticket.preview_every_s,
                ticket.cancelled,
            )
            for job_id, ticket in self.tickets.items()
        ]

    def emit(self, event: Event) -> None:
        ticket = self.tickets.get(event.job_id)
        if ticket is None or event.job_id in self.ended:
            return  # not this batch's, or after its end: never delivered twice
        if isinstance(event, Started):
            self.started.add(event.job_id)
        elif isinstance(event, Progress):
            # Under the lock a cancel holds, and before the worker looks at the job's cancel
            # flag after its last step: a cancel either sees every step ran (refused, the job
            # ends Finished) or sets the flag in time (it ends Cancelled), never both.
            with self.lock:
                ticket.steps_done, ticket.total_steps = event.step, event.total
        elif isinstance(event, TERMINAL):
            with self.lock:
                ticket.ended = True
                if isinstance(event, Finished):
                    # Counted before the result goes out: whoever got it sees it counted.
                    self.slot.jobs_done += 1
                    self.elapsed = event.elapsed_s
                    if ticket.cancel_asked:
                        event = replace(event, cancel_came_late=True)
            self.ended.add(event.job_id)
        ticket.handle.emit(event)


def choose_slot(free: Sequence[Slot], model: str, loras: Sequence[str] = ()) -> Slot:
    """A free worker for a job on `model`: one that has it loaded (no load to wait for), and
    of those one with most of the job's LoRA adapters loaded; else the one idle longest, which
    spreads load and lets the busiest models stay where they are."""
    statuses = {id(slot): slot.worker.status() for slot in free}
    loaded = [slot for slot in free if model in statuses[id(slot)].loaded]

    def missing(slot: Slot) -> int:
        return len(set(loras) - set(statuses[id(slot)].loras))

    return min(loaded or free, key=lambda slot: (missing(slot), slot.last_used))


def take_batch(
    queue: FairQueue[Ticket], batching: bool, max_images: int, max_per_user: int
) -> list[Ticket]:
    """The next job in fair order, with the queued jobs that can share its forward pass."""
    if not batching:
        ticket = queue.pop()
        return [] if ticket is None else [ticket]
    jobs_per_user: dict[str, int] = {}
    images = [0]

    def fits(ticket: Ticket) -> bool:
        """Companions stay within the image budget and the per-user share of a batch."""
        user, count = ticket.spec.user_key, ticket.spec.image_count
        if images[0] and images[0] + count > max_images:
            return False
        if images[0] and jobs_per_user.get(user, 0) >= max_per_user:
            return False
        jobs_per_user[user] = jobs_per_user.get(user, 0) + 1
        images[0] += count
        return True

    return queue.pop_batch(
        lambda ticket: batch_key(ticket.spec), float("inf"), limit=64, accept=fits
    )


def estimate_wait(
    slots: Iterable[Slot], per_cost: float | None, ahead_cost: float
) -> float | None:
    """Seconds until a job with `ahead_cost` of work before it starts, once timings exist: the
    running batches' remaining work plus that cost, shared by the workers ready to draw."""
    if per_cost is None:
        return None
    now, running, ready = time.monotonic(), 0.0, 0
    for slot in slots:
        ready += slot.worker.status().alive
        cost = sum(ticket.spec.cost for ticket in slot.batch)
        running += max(0.0, cost * per_cost - (now - slot.since)) if slot.batch else 0.0
    return (running + ahead_cost * per_cost) / max(1, ready)
