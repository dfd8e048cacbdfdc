"""Drawing one batch on a backend and reporting it as events.

The same code runs on the local engine's worker thread and inside each Ray actor, so both
engines report the same events for the same outcomes: Started for every job, Progress after
every step (with a preview at the pace each job asked for), then Finished, Failed or
Cancelled. It also owns what the pipeline cannot decide alone: out-of-memory retries one job
at a time, and a model that fails to load becomes a readable failure of this job only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

from engine.errors import GenerationFailed, JobCancelled, ModelUnavailable
from engine.executor import Assignment, Emit
from engine.failures import is_oom, user_message
from engine.job import Cancelled, Failed, Progress, Started, finished
from engine.pipeline_utils import free_memory
from engine.previews import Previewer
from i18n import t

log = logging.getLogger(__name__)


class Backend(Protocol):
    device: str | None  # known once a model is loaded

    def generate(self, specs: list[Any], on_step: Any, cancel: Any) -> list[list[Any]]: ...
    def load(self, name: str) -> Any: ...
    def loaded_models(self) -> list[str]: ...
    def loaded_loras(self) -> list[str]: ...
    def profile(self, name: str) -> Any: ...
    def previewer(self, spec: Any) -> Previewer: ...


def draw(backend: Backend, jobs: Sequence[Assignment], emit: Emit, where: str = "") -> None:
    """Run `jobs` (one batch) to their terminal events. `where` names the worker in messages."""
    for job in jobs:
        emit(Started(job.spec.job_id, job.task_id))
    started = time.monotonic()
    try:
        results = _generate_with_oom_retry(backend, jobs, emit, where)
    except JobCancelled:
        for job in jobs:
            emit(Cancelled(job.spec.job_id, while_running=True))
        return
    except Exception as exc:
        message = user_message(exc)
        log.exception("job(s) %s failed", [job.spec.job_id for job in jobs])
        for job in jobs:
            emit(Failed(job.spec.job_id, message, detail=str(exc)))
        return
    elapsed = time.monotonic() - started
    for job, result in zip(jobs, results, strict=True):
        if job.cancelled.is_set():  # cancelled while its batch-mates kept it running
            emit(Cancelled(job.spec.job_id, while_running=True))
        else:
            emit(finished(job.spec, result, elapsed))  # its images, or a describe's prompts


def _generate_with_oom_retry(
    backend: Backend, jobs: Sequence[Assignment], emit: Emit, where: str
) -> list[list[Any]]:
    try:
        return _generate(backend, jobs, emit, where)
    except Exception as exc:
        if not is_oom(exc):
            raise
        log.warning("out of GPU memory on %d job(s); retrying one at a time", len(jobs))
        free_memory()
        try:
            return [_generate(backend, [job], emit, where)[0] for job in jobs]
        except Exception as again:
            if is_oom(again):
                raise GenerationFailed(
                    "Out of GPU memory, even one job at a time. Try a smaller size "
                    "(--ar closer to 1:1) or fewer images (MJ_IMAGES_PER_JOB).",
                    public=t(
                        "Out of GPU memory, even one job at a time. Try again later, or a shape "
                        "closer to 1:1 (--ar)."
                    ),
                ) from again
            raise


def _generate(
    backend: Backend, jobs: Sequence[Assignment], emit: Emit, where: str
) -> list[list[Any]]:
    specs = [job.spec for job in jobs]
    # An upscale loads the upscaler model (a GAN one its own too), a describe the captioner:
    # not the drawing one.
    if not (specs[0].upscaler or specs[0].gan_upscale) and specs[0].describe is None:
        load_model(backend, specs[0].model, where)
    previewer = backend.previewer(specs[0])  # TAESD (where affordable) or the projection
    counts = [spec.image_count for spec in specs]
    last_preview = [float("-inf")] * len(jobs)  # so the first step always gets a preview
    first_step_at: list[float] = []

    def on_step(step: int, total: int, latents: Any) -> None:
        now = time.monotonic()
        # Steps are timed from the end of the first, which also carried the text encoding;
        # until then only the preview pace bounds a preview's share of the time.
        if not first_step_at:
            first_step_at.append(now)
        step_s = (now - first_step_at[0]) / max(1, step - 1)
        offset = 0
        for i, (job, count) in enumerate(zip(jobs, counts, strict=True)):
            if job.cancelled.is_set():
                # Cancelled while batch-mates run on: its progress (and price) stops here.
                offset += count
                continue
            preview = None
            every = job.preview_every_s
            due = every is not None and (now - last_preview[i] >= every or step == total)
            if due and latents is not None:  # None: no latents (the GAN upscaler), no preview
                preview = previewer.grid(latents[offset : offset + count], step_s, every)
                last_preview[i] = now
            emit(Progress(job.spec.job_id, step, total, preview))
            offset += count

    # A batch stops early only when every job in it was cancelled.
    def cancelled() -> bool:
        return all(job.cancelled.is_set() for job in jobs)

    return backend.generate(specs, on_step, cancelled)


def load_model(backend: Backend, name: str, where: str = "") -> None:
    """Load (or reuse) a model; a failure says which model, where, and why, for this job.

    The worker stays in service: the next job, on another model, is unaffected.
    """
    try:
        backend.load(name)
    except ModelUnavailable:
        raise  # already says what to do
    except Exception as exc:
        if is_oom(exc):
            raise
        log.exception("model %s could not be loaded%s", name, where)
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ModelUnavailable(
            f"The model {name!r} could not be loaded{where}: {reason}",
            public=t(
                "The model '{model}' is not available on this bot right now; the bot's owner can "
                "find out why in the log.",
                model=name,
            ),
        ) from exc
