"""The Ray cluster: joining one (or starting a single-machine one), and reading its workers.

Ray is an optional extra (`pip install -e ".[ray]"`), imported only here and only when the Ray
engine is chosen. The dashboard is never started and usage statistics are off. A cluster
started here serves this machine alone: every Ray server binds to 127.0.0.1. Ray's token
authentication (RAY_AUTH_MODE, RAY_AUTH_TOKEN or ~/.ray/auth_token) is Ray's own: a local
cluster makes its token itself, and a joined cluster needs the one its nodes were started with.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.errors import EngineUnavailable
from engine.executor import WorkerStatus

log = logging.getLogger(__name__)

WORKER_PREFIX = "mjbot-worker-"  # actor names: mjbot-worker-0, mjbot-worker-1, ...
RAY_EXTRA = "MJ_ENGINE=ray needs Ray, an optional extra: pip install -e '.[ray]'"


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    address: str | None = None  # a cluster to join ("10.0.0.5:6379"); None: start one here
    namespace: str = "mjbot"  # worker names are unique in it: one bot per namespace
    workers: int = 0  # how many; 0: one per GPU in the cluster (one CPU worker)
    worker_cpus: int = 0  # 0: GPU workers (one GPU each); N: CPU workers of N cores each

    @property
    def cpu_workers(self) -> bool:
        return self.worker_cpus > 0

    def actor_options(self, name: str) -> dict[str, Any]:
        """Ray options of worker `name`: restarted whenever it dies, never retried mid-job (the
        dispatcher re-queues), detached so it outlives a dispatcher restart with its models."""
        resources = {"num_cpus": self.worker_cpus} if self.cpu_workers else {"num_gpus": 1}
        return {
            "name": name,
            "namespace": self.namespace,
            "lifetime": "detached",
            "get_if_exists": True,
            "max_restarts": -1,
            "max_task_retries": 0,
            "max_concurrency": 8,  # claim, cancel and info are answered while it draws
            **resources,
        }


def import_ray(single_machine: bool = False) -> Any:
    if single_machine and "ray" not in sys.modules:
        # Read once, when Ray is imported: its servers then bind to 127.0.0.1 instead of
        # this machine's network address (a single-machine cluster needs nothing else).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError as exc:
        raise EngineUnavailable(RAY_EXTRA) from exc
    return ray


def connect(config: ClusterConfig) -> bool:
    """Join the configured cluster, or start one in this process. True if started here."""
    ray = import_ray(single_machine=config.address is None)
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    options: dict[str, Any] = {
        "namespace": config.namespace,
        "include_dashboard": False,
        "log_to_driver": False,  # workers log on their node; failures come back with the job
        "logging_level": logging.WARNING,
    }
    if config.address is None:
        options["address"] = "local"
        if config.cpu_workers:
            cpus = max(1, config.workers) * config.worker_cpus
            options["num_cpus"] = max(cpus, os.cpu_count() or 1)
    else:
        options["address"] = config.address
    with _keep_sigterm():
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = config.address or "this machine"
            message = f"Could not start or join the Ray cluster at {where}: {exc}"
            raise EngineUnavailable(message) from exc
    if config.address is None and not config.cpu_workers and not gpu_count(ray):
        ray.shutdown()
        raise EngineUnavailable(
            "MJ_ENGINE=ray found no GPU on this machine. Set MJ_RAY_WORKER_CPUS=1 (and "
            "MJ_RAY_WORKERS) for CPU workers, or join a cluster with GPUs (MJ_RAY_ADDRESS)."
        )
    return True


def gpu_count(ray: Any) -> int:
    """GPUs in the cluster now (nodes joining and leaving change it)."""
    return int(ray.cluster_resources().get("GPU", 0))


def list_workers(config: ClusterConfig, timeout_s: float = 5.0) -> list[WorkerStatus]:
    """Every mjbot worker in the cluster, as each describes itself (for `mjbot workers`)."""
    ray = import_ray()
    if not ray.is_initialized():
        with _keep_sigterm():
            try:
                ray.init(
                    address=config.address or "auto",
                    namespace=config.namespace,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise EngineUnavailable(
                    f"No Ray cluster found at {config.address or 'this machine'} ({exc}). "
                    "Is the bot running with MJ_ENGINE=ray?"
                ) from exc
    names = sorted(
        (name for name in ray.util.list_named_actors() if name.startswith(WORKER_PREFIX)),
        key=lambda name: int(name.removeprefix(WORKER_PREFIX) or 0),
    )
    calls = {name: ray.get_actor(name, config.namespace).info.remote() for name in names}
    ready, _ = ray.wait(list(calls.values()), num_returns=len(calls), timeout=timeout_s)
    statuses = []
    for name, ref in calls.items():
        if ref not in ready:
            note = f"not answering within {timeout_s:g} s (starting, restarting or node gone)"
            statuses.append(WorkerStatus(name, False, note=note))
            continue
        try:
            statuses.append(ray.get(ref))
        except ray.exceptions.RayError as exc:
            statuses.append(WorkerStatus(name, False, note=str(exc).splitlines()[0][:200]))
    return statuses


@contextmanager
def _keep_sigterm() -> Iterator[None]:
    """ray.init replaces the SIGTERM handler with its own exit; keep the bot's (it closes the
    adapters, the engine and the database in order)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
