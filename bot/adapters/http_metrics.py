"""GET /metrics in the Prometheus text exposition format (version 0.0.4), written by hand.

Gauges for what is true now (queue length, jobs by status); counters and histograms are
read from SQLite, so they keep counting across restarts. Per-step time is a finished job's
time divided by its steps: it includes decoding and saving, which is what a user waits for.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from bot.core.queries import JOB_BUCKETS, STEP_BUCKETS, JobStatus
from bot.core.service import Health, MjService

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _metric(lines: list[str], name: str, kind: str, help_text: str) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")


def _histogram(
    lines: list[str],
    name: str,
    help_text: str,
    buckets: Sequence[float],
    counts: list[int],
    count: int,
    total: float,
) -> None:
    _metric(lines, name, "histogram", help_text)
    for bound, cumulative in zip(buckets, counts, strict=True):
        lines.append(f'{name}_bucket{{le="{float(bound)!r}"}} {cumulative}')
    lines.append(f'{name}_bucket{{le="+Inf"}} {count}')
    lines.append(f"{name}_sum {_number(total)}")
    lines.append(f"{name}_count {count}")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _worker_gauges(lines: list[str], health: Health) -> None:
    """Per worker (one for the local engine, one per GPU for Ray): up, busy, jobs finished."""
    _metric(lines, "mjbot_workers_alive", "gauge", "Workers ready to draw.")
    lines.append(f"mjbot_workers_alive {health.workers_alive}")
    gauges = (
        ("mjbot_worker_up", "1 while the worker is ready to draw.", lambda w: int(w.alive)),
        ("mjbot_worker_busy", "1 while the worker draws a job.", lambda w: int(w.busy)),
        ("mjbot_worker_jobs_done", "Jobs the worker finished.", lambda w: w.jobs_done),
        ("mjbot_worker_models_loaded", "Models the worker has loaded.", lambda w: len(w.loaded)),
    )
    for name, help_text, value in gauges:
        _metric(lines, name, "gauge", help_text)
        for worker in health.workers:
            labels = f'worker="{_label(worker.name)}",node="{_label(worker.node)}"'
            lines.append(f"{name}{{{labels}}} {value(worker)}")


async def exposition(service: MjService) -> str:
    figures = await service.queries.figures()
    by_status, blocked = figures.jobs_by_status, figures.blocked_prompts
    job_times, step_times = figures.job_seconds, figures.step_seconds
    lines: list[str] = []
    _metric(lines, "mjbot_queue_length", "gauge", "Jobs waiting in the engine's queue.")
    health = service.health()
    lines.append(f"mjbot_queue_length {health.waiting}")
    _metric(lines, "mjbot_engine_up", "gauge", "1 while the engine's worker thread runs.")
    lines.append(f"mjbot_engine_up {int(health.alive)}")
    _worker_gauges(lines, health)
    _metric(lines, "mjbot_jobs", "gauge", "Jobs recorded, by status.")
    for status in JobStatus:
        lines.append(f'mjbot_jobs{{status="{status.value}"}} {by_status.get(status.value, 0)}')
    _metric(
        lines,
        "mjbot_prompts_blocked_total",
        "counter",
        "Prompts refused for a banned term.",
    )
    lines.append(f"mjbot_prompts_blocked_total {blocked}")
    _histogram(
        lines,
        "mjbot_job_duration_seconds",
        "Time from a job's start to its stored images.",
        JOB_BUCKETS,
        *job_times,
    )
    _histogram(
        lines,
        "mjbot_step_duration_seconds",
        "A finished job's duration divided by its denoising steps.",
        STEP_BUCKETS,
        *step_times,
    )
    return "\n".join(lines) + "\n"


async def metrics(request: web.Request, service: MjService) -> web.Response:
    text = await exposition(service)
    return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})
