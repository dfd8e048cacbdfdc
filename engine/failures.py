"""Telling failures apart: out of GPU memory (retry smaller) and what to tell the user."""

from __future__ import annotations

from engine.errors import EngineError
from i18n import Message, t, verbatim


def is_oom(exc: BaseException) -> bool:
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return "out of memory" in str(exc).lower()


def user_message(exc: BaseException) -> Message:
    """What the job's user reads (the operator reads the whole exception in the log)."""
    if isinstance(exc, EngineError):
        return exc.public
    if isinstance(exc, ValueError):  # check_inputs: what about the request cannot be drawn
        return t("This request cannot be drawn: {reason}", reason=verbatim(str(exc)))
    return t(
        "The engine failed on this job ({error}). It has been logged.", error=type(exc).__name__
    )
