"""The Ray engine's workers as the dispatcher sees them (MJ_ENGINE=ray).

`RayPool` keeps one DrawingWorker actor per GPU (or MJ_RAY_WORKERS CPU workers) and watches
the cluster: it creates workers as GPUs join, claims each for this dispatcher once it answers,
and claims it again after Ray has restarted it. `RemoteWorker` hands its actor one batch at a
time and passes on the events the actor streams back. The fair queue stays in the dispatcher:
an actor only ever holds the batch it is drawing, so Ray never queues work behind its order.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.dispatcher import Engine
from engine.executor import Assignment, Emit, Outcome, Worker, WorkerStatus
from engine.ray_cluster import WORKER_PREFIX, ClusterConfig, connect, gpu_count, import_ray
from engine.wire import Report, Superseded, WorkerConfig, from_wire, job_to_wire

log = logging.getLogger(__name__)


class RemoteWorker:
    def __init__(self, name: str, actor: Any, pool: RayPool) -> None:
        self.name = name
        self.actor = actor
        self._pool = pool
        self._lock = threading.Lock()
        self._status = WorkerStatus(name, alive=False, note="starting")
        self.claim: Any = None  # the claim call in flight, if any

    def status(self) -> WorkerStatus:
        with self._lock:
            return self._status

    def draw(self, jobs: Sequence[Assignment], emit: Emit) -> Outcome:
        ray = import_ray()
        payload = [job_to_wire(job, self._pool.images_dir) for job in jobs]
        try:
            for ref in self.actor.draw.remote(self._pool.owner, payload):
                item = ray.get(ref)
                if isinstance(item, Superseded):
                    self._set(alive=False, note="claimed by another dispatcher")
                    self._pool.superseded.set()  # never claim back: the newest one wins
                    return Outcome.SUPERSEDED
                if isinstance(item, Report):
                    self._set_status(item.status)
                else:
                    emit(from_wire(item))
        except ray.exceptions.RayActorError as exc:  # its process or node is gone
            log.warning("worker %s was lost mid-batch: %s", self.name, str(exc).splitlines()[0])
            self._set(alive=False, note="lost; waiting for Ray to restart it")
            return Outcome.LOST
        return Outcome.DONE

    def interrupt(self, job_id: str) -> None:
        self.actor.cancel.remote([job_id])

    def poll_claim(self) -> bool:
        """Claim the worker if it is not ready yet; True the moment it is (watcher thread)."""
        ray = import_ray()
        with self._lock:
            if self._status.alive:
                return False
            if self.claim is None:
                self.claim = self.actor.claim.remote(self._pool.owner, self._pool.config)
            claim = self.claim
        if not ray.wait([claim], timeout=0)[0]:
            return False
        self.claim = None
        try:
            status = ray.get(claim)
        except ray.exceptions.ActorDiedError:
            log.warning("worker %s died for good; starting a new one", self.name)
            self.actor = self._pool.create(self.name)
            return False
        except ray.exceptions.RayError as exc:  # restarting: try again next round
            self._set(alive=False, note=str(exc).splitlines()[0][:200])
            return False
        self._set_status(status)
        log.info("worker %s ready on %s (%s)", self.name, status.node, status.device)
        return True

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def _set_status(self, status: WorkerStatus) -> None:
        with self._lock:
            self._status = status


class RayPool:
    def __init__(
        self,
        cluster: ClusterConfig,
        config: WorkerConfig,
        images_dir: Path,
        *,
        poll_s: float = 1.0,
    ) -> None:
        import_ray(single_machine=cluster.address is None)  # no Ray: say so before starting
        self.cluster = cluster
        self.config = config
        self.images_dir = images_dir  # start images are read here and sent with their jobs
        self.poll_s = poll_s
        self.owner = uuid.uuid4().hex  # this dispatcher, as its workers know it
        self._workers: list[RemoteWorker] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.superseded = threading.Event()  # another dispatcher claimed our workers
        self._thread: threading.Thread | None = None
        self._started_cluster = False
        self._changed: Callable[[], None] = lambda: None

    def start(self, changed: Callable[[], None]) -> None:
        self._started_cluster = connect(self.cluster)
        self._changed = changed
        self._thread = threading.Thread(target=self._watch, name="mjbot-ray-pool", daemon=True)
        self._thread.start()

    def workers(self) -> list[Worker]:
        with self._lock:
            return list(self._workers)

    def stop(self) -> None:
        """Release the workers (they keep their models for the next start) and disconnect."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.poll_s + 5)
        ray = import_ray()
        if not ray.is_initialized():
            return
        releases = [worker.actor.release.remote(self.owner) for worker in self.workers()]
        ray.wait(releases, num_returns=len(releases), timeout=5)
        if self._started_cluster:
            ray.shutdown()

    def create(self, name: str) -> Any:
        """Start worker `name`, or find it if it already runs (a previous dispatcher's)."""
        from engine.ray_actor import DrawingWorker

        ray = import_ray()
        options = self.cluster.actor_options(name)
        return ray.remote(DrawingWorker).options(**options).remote(name, self.config)

    def _watch(self) -> None:
        ray = import_ray()
        while not self._stop.is_set() and not self.superseded.is_set():
            try:
                if self._reconcile():
                    self._changed()
            except Exception:  # a passing cluster error must not end the watch
                log.exception("checking the Ray workers failed; trying again")
            # Wake as soon as a claim is answered, else look again after poll_s.
            claims = [worker.claim for worker in self.workers() if worker.claim is not None]
            if claims:
                ray.wait(claims, num_returns=1, timeout=self.poll_s)
            else:
                self._stop.wait(self.poll_s)

    def _reconcile(self) -> bool:
        """Create workers up to the target, claim those not ready; True if any became ready."""
        ray = import_ray()
        cluster = self.cluster
        target = cluster.workers or (1 if cluster.cpu_workers else gpu_count(ray))
        with self._lock:
            while len(self._workers) < target:
                name = f"{WORKER_PREFIX}{len(self._workers)}"
                self._workers.append(RemoteWorker(name, self.create(name), self))
        ready = [worker.poll_claim() for worker in self.workers()]
        return any(ready)


def ray_engine(
    cluster: ClusterConfig, config: WorkerConfig, images_dir: Path, profile: Any, **options: Any
) -> Engine:
    """The engine drawing on Ray workers (options: Engine's queue and batching settings)."""
    return Engine(RayPool(cluster, config, images_dir), profile, **options)
