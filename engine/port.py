"""The engine as the core sees it: one narrow interface, whatever runs the jobs.

`engine.dispatcher.Engine` implements it, whoever draws: the local worker thread
(`engine.worker.local_engine`) or one Ray actor per GPU (`engine.ray_pool.ray_engine`); the
core types against `EnginePort` only. Jobs go in as plain
`JobSpec`s; what happens to each comes back as events on its `JobHandle`.

    submit(spec) -> JobHandle      handle.events(): Queued* -> Started -> Progress* -> one of
                                   Finished | Failed | Cancelled
    cancel(job_id) -> bool         waiting: removed at once; running: interrupted within a step
"""

from __future__ import annotations

from typing import Protocol

from engine.executor import WorkerStatus
from engine.fair_queue import QueueRefused
from engine.handle import JobHandle
from engine.job import JobSpec
from engine.profiles import ModelProfile

__all__ = ["EnginePort", "JobHandle", "QueueRefused"]


class EnginePort(Protocol):
    def start(self) -> None:
        """Start running jobs (idempotent)."""

    def stop(self, timeout: float | None = 30) -> None:
        """Interrupt what runs and stop; waiting jobs stay persisted by the caller."""

    def is_alive(self) -> bool:
        """Running and able to take jobs (health checks report a dead engine)."""

    def profile(self, model: str) -> ModelProfile:
        """A configured model's profile (native size, default steps): sizes and prices."""

    def check_admission(self, user_key: str, max_waiting: int | None = None) -> None:
        """Raise QueueRefused now if `user_key` could not queue a job (before persisting it)."""

    def submit(
        self,
        spec: JobSpec,
        *,
        preview_every_s: float | None = None,
        force: bool = False,
        max_waiting: int | None = None,
    ) -> JobHandle:
        """Queue a job (on the event loop); QueueRefused with a reason for the user.

        `force`: skip the queue limits (jobs accepted before a restart); `max_waiting`: this
        user's own limit on waiting jobs; `preview_every_s`: None for no previews."""

    def cancel(self, job_id: str) -> bool:
        """True if the job was waiting (now removed) or running (now interrupting)."""

    def position(self, job_id: str) -> int | None:
        """The job's place in the queue (1: next), None once it runs or if unknown."""

    def waiting_count(self) -> int:
        """Jobs waiting to run."""

    def workers(self) -> list[WorkerStatus]:
        """Who draws (the local worker, or one per Ray GPU): alive, busy, models, jobs done."""

    async def wait_idle(self, poll_s: float = 0.02) -> None:
        """Drain mode (tests, one-shot commands): return once nothing waits or runs."""
