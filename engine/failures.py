"""Telling failures apart: out of GPU memory (retry smaller) and what to tell the user."""

from __future__ import annotations

from engine.errors import EngineError


def is_oom(exc: BaseException) -> bool:
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return "out of memory" in str(exc).lower()


def user_message(exc: BaseException) -> str:
    """What the job's user reads (the operator reads the whole exception in the log)."""
    if isinstance(exc, EngineError):
        return exc.public
    if isinstance(exc, ValueError):  # check_inputs: what about the request cannot be drawn
        return f"This request cannot be drawn: {exc}"
    return f"The engine failed on this job ({type(exc).__name__}). It has been logged."
