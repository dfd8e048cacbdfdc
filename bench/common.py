"""Shared by the benchmarks: one torch thread, the tiny model, medians, machine facts."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def torch_threads(count: int = 1) -> None:
    import torch

    torch.set_num_threads(count)


def tiny_model_dir() -> Path:
    from engine.tiny import ensure_tiny_model

    return ensure_tiny_model(Path(tempfile.gettempdir()) / "mjbot-bench" / "tiny")


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def tiny_job(job_id: str, steps: int, seeds: tuple[int, ...], sampler: str = "default"):
    """A 64x64 job for the tiny model."""
    from engine.job import JobSpec, PromptPart

    prompt = (PromptPart("a red fox", 1.0),)
    return JobSpec(job_id, "bench:u", "tiny", prompt, None, 64, 64, steps, 5.0, sampler, seeds)
