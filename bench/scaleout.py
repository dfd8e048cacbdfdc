"""Scale-out: the same 16 tiny jobs on 1 and 2 Ray workers, and the Ray engine's cost per job.

A local Ray cluster (token authentication on a fresh token, servers on 127.0.0.1) with CPU
workers of one core and one torch thread each. Rounds interleave the local engine (in this
process, one torch thread), the Ray engine with one worker, and with two; medians of ROUNDS.
Each run starts on a settled box: a Ray run writes its images and logs, and the kernel's
writeback of them (seconds of CPU on a 2-core box) would otherwise land in the next run.
    speedup_2_workers        time(1 worker) / time(2 workers); goal >= 1.6 on 2 cores
    ray_overhead_ms_per_job  (time(Ray, 1 worker) - time(local)) / jobs; goal <= 30
Prints JSON, then a summary.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import time

import common

JOBS = 16
STEPS = 12
ROUNDS = 5
WARM_JOBS = 4  # each worker draws once before it is timed: its first job loads torch paths
SETTLE_S = 2.0


async def settle() -> None:
    """Flush what the last run wrote, and let the writeback finish, before the next is timed."""
    os.sync()
    await asyncio.sleep(SETTLE_S)


async def run_jobs(engine, label: str, jobs: int = JOBS) -> float:
    specs = [common.tiny_job(f"{label}-{i}", STEPS, (1, 2, 3, 4)) for i in range(jobs)]
    started = time.perf_counter()
    handles = [engine.submit(spec) for spec in specs]
    results = [await handle.result() for handle in handles]
    elapsed = time.perf_counter() - started
    assert all(type(r).__name__ == "Finished" for r in results), results
    return elapsed


async def ray_round(cluster, config, folder, workers: int, label: str) -> float:
    from dataclasses import replace

    from engine.profiles import profile_for_name
    from engine.ray_pool import ray_engine

    cluster = replace(cluster, workers=workers)
    engine = ray_engine(
        cluster, config, folder, lambda _: profile_for_name("tiny"), max_waiting_per_user=JOBS
    )
    engine.start()
    while sum(w.alive for w in engine.workers()) < workers:  # a worker's first start loads
        await asyncio.sleep(0.05)  # torch and the model: not what is measured
    await run_jobs(engine, f"{label}-warm", WARM_JOBS)
    await settle()
    try:
        return await run_jobs(engine, label)
    finally:
        engine.stop()


async def local_round(backend, label: str) -> float:
    from engine.worker import local_engine

    engine = local_engine(backend, max_waiting_per_user=JOBS)
    engine.start()
    await settle()
    try:
        return await run_jobs(engine, label)
    finally:
        engine.stop()


def main() -> None:
    os.environ.setdefault("RAY_AUTH_MODE", "token")  # a fresh token: ~/.ray is not touched
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    common.torch_threads(1)
    from engine.backend import DiffusersBackend
    from engine.ray_cluster import ClusterConfig, connect, import_ray
    from engine.wire import WorkerConfig

    folder = common.tiny_model_dir()
    backend = DiffusersBackend({"tiny": str(folder)}, data_dir=folder.parent)
    backend.load("tiny")
    cluster = ClusterConfig(None, f"bench-{secrets.token_hex(4)}", workers=2, worker_cpus=1)
    connect(cluster)
    config = WorkerConfig(
        {"tiny": str(folder)}, str(folder.parent), preload="tiny", torch_threads=1
    )
    times: dict[str, list[float]] = {"local": [], "ray_1": [], "ray_2": []}

    async def rounds() -> None:
        for r in range(ROUNDS):
            times["local"].append(await local_round(backend, f"l{r}"))
            times["ray_1"].append(await ray_round(cluster, config, folder, 1, f"a{r}"))
            times["ray_2"].append(await ray_round(cluster, config, folder, 2, f"b{r}"))

    try:
        asyncio.run(rounds())
    finally:
        import_ray().shutdown()
    medians = {key: statistics.median(values) for key, values in times.items()}
    result = {
        "speedup_2_workers": round(medians["ray_1"] / medians["ray_2"], 3),
        "ray_overhead_ms_per_job": round((medians["ray_1"] - medians["local"]) / JOBS * 1000, 2),
        "seconds": {key: round(value, 3) for key, value in medians.items()},
        "spread": {key: [round(min(v), 3), round(max(v), 3)] for key, v in times.items()},
        "jobs": JOBS,
        "steps": STEPS,
        "rounds": ROUNDS,
    }
    print(json.dumps(result))
    print(
        f"2 Ray workers: {result['speedup_2_workers']}x one; Ray adds "
        f"{result['ray_overhead_ms_per_job']} ms per job over the local engine "
        f"({JOBS} jobs of 4 64x64 images, {STEPS} steps, medians of {ROUNDS}, {common.machine()})"
    )


if __name__ == "__main__":
    main()
