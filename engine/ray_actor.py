"""One GPU of the Ray cluster (or a share of a CPU node's cores): a Ray actor that draws.

It builds the same backend as the local engine, keeps its pipelines loaded between jobs, and
draws only the batch the dispatcher hands it (it keeps no queue of its own), streaming events
back as it goes: `draw` is a Ray streaming generator. It runs in a Ray worker process, on any
node with mjbot installed; Ray itself is only imported to describe where it runs.

A worker belongs to one dispatcher at a time, the one that claimed it last. A dispatcher that
restarts claims its workers again: whatever they were drawing for the previous one is
interrupted and its remaining events are dropped, so a job re-run after the restart is never
delivered twice. Control calls (claim, cancel, info) are answered while a batch draws: the
actor runs several threads (max_concurrency) and one batch at a time.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.drawing import draw
from engine.errors import ModelUnavailable
from engine.executor import Assignment, WorkerStatus
from engine.job import Failed, Finished
from engine.models import classify
from engine.wire import Report, Superseded, WireJob, WorkerConfig, to_wire

log = logging.getLogger(__name__)

_END = object()  # the drawing thread is done


class DrawingWorker:
    def __init__(self, name: str, config: WorkerConfig) -> None:
        self.name = name
        self._owner: str | None = None
        self._config: WorkerConfig | None = None
        self._backend: Any = None
        self._unavailable: dict[str, str] = {}  # models this node cannot load, and why
        self._drawing = threading.Lock()  # one batch at a time
        self._state = threading.Lock()  # owner and current jobs
        self._current: dict[str, Assignment] = {}
        self._jobs_done = 0
        # Start images of the batch being drawn (deleted after it): no disk is shared.
        self._scratch = Path(tempfile.mkdtemp(prefix="mjbot-worker-"))
        self._configure(config)

    # control: answered while a batch draws -----------------------------------------------
    def claim(self, owner: str, config: WorkerConfig) -> WorkerStatus:
        """Work for `owner` from now on; interrupt anything drawn for anyone before."""
        with self._state:
            self._owner = owner
            for job in self._current.values():
                job.cancelled.set()
        if config != self._config:
            with self._drawing:  # the interrupted batch ends within a step
                self._configure(config)
        return self.info()

    def release(self, owner: str) -> None:
        """`owner` stops: interrupt its batch (its jobs stay queued in its database)."""
        with self._state:
            if self._owner == owner:
                self._owner = None
                for job in self._current.values():
                    job.cancelled.set()

    def cancel(self, job_ids: list[str]) -> None:
        with self._state:
            for job_id in job_ids:
                if job_id in self._current:
                    self._current[job_id].cancelled.set()

    def info(self) -> WorkerStatus:
        import ray

        with self._state:
            current = tuple(self._current)
        loaded = tuple(self._backend.loaded_models()) if self._backend is not None else ()
        loras = tuple(self._backend.loaded_loras()) if self._backend is not None else ()
        host = socket.gethostname()
        return WorkerStatus(
            self.name,
            alive=True,
            node=f"{host} ({ray.util.get_node_ip_address()})",
            device=self._device(),
            loaded=loaded,
            loras=loras,
            current_jobs=current,
            jobs_done=self._jobs_done,
            pid=os.getpid(),
            note="; ".join(self._unavailable.values()),
        )

    # drawing ------------------------------------------------------------------------------
    def draw(self, owner: str, jobs: list[WireJob]) -> Iterator[Any]:
        """Draw one batch for `owner`, yielding its events as they happen (Ray streams them)."""
        with self._drawing:
            if owner != self._owner:
                yield Superseded()
                return
            assignments = self._unpack(jobs)
            with self._state:
                self._current = {job.spec.job_id: job for job in assignments}
            events: queue.Queue[Any] = queue.Queue()
            thread = threading.Thread(target=self._run, args=(assignments, events), daemon=True)
            thread.start()
            superseded = False
            try:
                while (event := events.get()) is not _END:
                    superseded = superseded or owner != self._owner
                    if not superseded:
                        yield to_wire(event)
            finally:  # also when Ray closes the stream: stop drawing for nobody
                for job in assignments:
                    job.cancelled.set()
                thread.join()
                with self._state:
                    self._current = {}
                for job in jobs:
                    if job.spec.init_image is not None:
                        (self._scratch / job.spec.init_image).unlink(missing_ok=True)
            yield Superseded() if superseded else Report(self.info())

    def _run(self, jobs: list[Assignment], events: queue.Queue[Any]) -> None:
        try:
            first = jobs[0].spec
            unavailable = None if first.upscaler else self._unavailable.get(first.model)
            if self._backend is None or unavailable:
                # The reasons, with paths and what to run, went to the log at start.
                for job in jobs:
                    events.put(Failed(job.spec.job_id, ModelUnavailable.PUBLIC))
                return

            def emit(event: Any) -> None:
                self._jobs_done += isinstance(event, Finished)
                events.put(event)

            draw(self._backend, jobs, emit, f" on worker {self.name} ({socket.gethostname()})")
        finally:
            events.put(_END)

    def _unpack(self, jobs: list[WireJob]) -> list[Assignment]:
        """Assignments with their source images written where the backend reads them."""
        for job in jobs:
            for name, data in job.files.items():
                (self._scratch / name).write_bytes(data)
        return [Assignment(job.spec, job.task_id, job.preview_every_s) for job in jobs]

    def _configure(self, config: WorkerConfig) -> None:
        """(Re)build the backend. A model this node cannot load (a folder missing here) fails
        its own jobs with the reason; the worker keeps drawing the others."""
        self._config, self._unavailable = config, {}
        if config.torch_threads:
            import torch

            torch.set_num_threads(config.torch_threads)
        usable = {}
        for name, ref in config.models.items():
            try:
                classify(name, ref)
                usable[name] = ref
            except ModelUnavailable as exc:
                self._unavailable[name] = f"Model {name!r} cannot be loaded on {self.name}: {exc}"
                log.error("%s", self._unavailable[name])
        self._backend = None
        if usable:
            self._backend = replace(config, models=usable).build_backend(self._scratch)
        if self._backend is not None and config.preload in usable:
            try:
                self._backend.load(config.preload)
            except Exception:  # reported with the first job that needs it
                log.exception("worker %s could not preload %s", self.name, config.preload)

    def _device(self) -> str:
        if self._config is None:
            return ""
        device = (self._backend and self._backend.device) or self._config.device
        if device.startswith("cuda"):
            import torch

            return f"{device} {torch.cuda.get_device_name()}"
        return f"{device}, {self._config.torch_threads or os.cpu_count()} thread(s)"
