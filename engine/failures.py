"""Telling failures apart: out of GPU memory (retry smaller) and what to tell the user."""

from __future__ import annotations

from engine.errors import GenerationFailed, ModelUnavailable


def is_oom(exc: BaseException) -> bool:
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return "out of memory" in str(exc).lower()


def user_message(exc: BaseException) -> str:
    if isinstance(exc, GenerationFailed | ModelUnavailable):
        return str(exc)
    if isinstance(exc, ValueError):
        return f"This request cannot be drawn: {exc}"
    return f"The engine failed on this job ({type(exc).__name__}). It has been logged."
