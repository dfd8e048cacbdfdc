"""The local engine (MJ_ENGINE=local): one worker, the backend itself, on one thread.

The dispatcher gives this worker its own thread, and `draw` runs the pipeline right there:
one thread owns the pipeline, and the event loop only awaits the events it reports.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any

from engine.dispatcher import Engine
from engine.drawing import Backend, draw
from engine.executor import Assignment, Emit, Outcome, Worker, WorkerStatus

LOCAL = "local"


class LocalWorker:
    name = LOCAL

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def draw(self, jobs: Sequence[Assignment], emit: Emit) -> Outcome:
        draw(self.backend, jobs, emit)
        return Outcome.DONE

    def interrupt(self, job_id: str) -> None:
        """Nothing to forward: the draw on this process reads the job's own cancel flag."""

    def status(self) -> WorkerStatus:
        loaded = tuple(self.backend.loaded_models())
        device = self.backend.device or ""
        loras = tuple(self.backend.loaded_loras())
        return WorkerStatus(LOCAL, True, socket.gethostname(), device, loaded, loras=loras)


class LocalPool:
    """The one local worker, there from the start."""

    def __init__(self, backend: Backend) -> None:
        self._worker = LocalWorker(backend)

    def start(self, changed: Callable[[], None]) -> None:
        changed()

    def workers(self) -> list[Worker]:
        return [self._worker]

    def stop(self) -> None:
        """The worker's thread belongs to the dispatcher, which ends it."""


def local_engine(backend: Backend, **options: Any) -> Engine:
    """The engine drawing in this process (options: Engine's queue and batching settings)."""
    return Engine(LocalPool(backend), backend.profile, **options)
