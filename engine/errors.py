"""Engine errors.

EngineError                  base
├── EngineUnavailable        the engine cannot start (Ray missing, cluster unreachable); says why
├── ModelUnavailable         the model is neither on disk nor downloadable; says how to fix
├── GenerationFailed         the pipeline raised or produced garbage (NaN) for one job
└── JobCancelled             the job was cancelled before or while it ran
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class for everything the engine raises on purpose."""


class EngineUnavailable(EngineError):
    """The engine cannot start: Ray is not installed, or its cluster cannot be reached."""


class ModelUnavailable(EngineError):
    """The configured model cannot be loaded; the message says how to get it."""


class GenerationFailed(EngineError):
    """One job failed; the worker goes on with the next."""


class JobCancelled(EngineError):
    """Raised inside the worker when a running job is interrupted."""
