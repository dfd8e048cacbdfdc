"""What the dispatcher hands work to: workers that draw, and the pool that supplies them.

The dispatcher (engine/dispatcher.py) keeps the fair queue and decides what runs where; a
worker only draws the batch it is given and reports events. Two kinds implement this:

    LocalWorker   (engine/worker.py)    the backend on a thread of the bot's own process
    RemoteWorker  (engine/ray_pool.py)  one Ray actor per GPU, its events streamed back
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from engine.job import Event, JobSpec

Emit = Callable[[Event], None]


@dataclass(slots=True)
class Assignment:
    """One job as a worker sees it: what to draw, under which task id, how often to preview."""

    spec: JobSpec
    task_id: str  # "{job id}:{dispatch number}:{worker}": unique per run of a job
    preview_every_s: float | None  # None: no previews; 0: every step
    cancelled: threading.Event = field(default_factory=threading.Event)


class Outcome(enum.Enum):
    """How a worker's `draw` ended."""

    DONE = "done"  # every job got its terminal event (Finished, Failed or Cancelled)
    LOST = "lost"  # the worker died mid-batch: jobs without a terminal event must run again
    SUPERSEDED = "superseded"  # another dispatcher claimed the worker; its events are not ours


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """One worker as `mjbot workers`, /metrics and /healthz show it."""

    name: str
    alive: bool  # answering and ready for work (False while Ray restarts it)
    node: str = ""  # the machine it runs on (host name and address)
    device: str = ""  # e.g. "cuda:0 NVIDIA L4" or "cpu, 1 thread"
    loaded: tuple[str, ...] = ()  # models loaded, least recently used first
    current_jobs: tuple[str, ...] = ()  # job ids it is drawing now
    jobs_done: int = 0  # jobs it finished (since it or the dispatcher started)
    pid: int | None = None  # its process, on its node
    note: str = ""  # why it is not ready, when it is not
    loras: tuple[str, ...] = ()  # LoRA adapters loaded (`LoraUse.adapter` names)

    @property
    def busy(self) -> bool:
        return bool(self.current_jobs)


class Worker(Protocol):
    name: str

    def draw(self, jobs: Sequence[Assignment], emit: Emit) -> Outcome:
        """Draw one batch (blocking), emitting Started, Progress and one terminal event per job."""
        ...

    def interrupt(self, job_id: str) -> None:
        """Forward a cancel to where the job runs (its Assignment.cancelled is already set)."""
        ...

    def status(self) -> WorkerStatus: ...


class WorkerPool(Protocol):
    def start(self, changed: Callable[[], None]) -> None:
        """Begin supplying workers; call `changed` whenever one joins or comes back."""
        ...

    def workers(self) -> list[Worker]: ...

    def stop(self) -> None: ...
