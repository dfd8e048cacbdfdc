"""torch.compile for the UNet without making any job wait for the compiler.

Compiling a Stable Diffusion UNet takes minutes on a small CPU and tens of seconds on a GPU,
and torch.compile compiles again for every new input shape (another aspect ratio, batch or
prompt length). So the UNet's forward is wrapped: a call whose input shapes are compiled
already runs the compiled code; any other call runs eagerly, as before, and a copy of its
inputs is compiled for on a background thread. Jobs never wait, and each shape the bot
really sees becomes fast once its compilation is done (the log says when).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ShapeKey = tuple[Any, ...]


def shape_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> ShapeKey:
    """What torch.compile specialises on in a UNet call: tensor shapes and dtypes, and the
    other arguments as they are (flags such as return_dict; None for absent extras)."""

    def describe(value: Any) -> Any:
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            return ("tensor", tuple(value.shape), str(value.dtype))
        if isinstance(value, dict):
            return ("dict", tuple(sorted((key, describe(item)) for key, item in value.items())))
        if isinstance(value, (list, tuple)):
            return (type(value).__name__, tuple(describe(item) for item in value))
        if isinstance(value, (bool, int, float, str, type(None))):
            return ("value", value)
        return ("object", type(value).__name__)

    return (
        tuple(describe(arg) for arg in args),
        tuple(sorted((k, describe(v)) for k, v in kwargs.items())),
    )


def _detached_copy(value: Any) -> Any:
    if hasattr(value, "clone") and hasattr(value, "shape"):
        return value.clone()
    if isinstance(value, dict):
        return {key: _detached_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_detached_copy(item) for item in value)
    return value


class BackgroundCompiled:
    """A module's forward, compiled per input shape on a background thread."""

    def __init__(self, module: Any, mode: str, backend: str = "inductor") -> None:
        import torch

        self.name = type(module).__name__
        self.eager: Callable[..., Any] = module.forward
        self.compiled = torch.compile(self.eager, mode=mode, backend=backend, dynamic=False)
        self.mode = mode
        self.ready: set[ShapeKey] = set()
        self.compiled_calls = 0  # calls that ran the compiled code, for tests and logs
        self._pending: dict[ShapeKey, threading.Thread] = {}
        self._lock = threading.Lock()
        module.forward = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = shape_key(args, kwargs)
        if key in self.ready:
            self.compiled_calls += 1
            return self.compiled(*args, **kwargs)
        self._compile_later(key, _detached_copy(args), _detached_copy(kwargs))
        return self.eager(*args, **kwargs)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the compilations started so far; True if none is still running."""
        with self._lock:
            threads = list(self._pending.values())
        for thread in threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in threads)

    def _compile_later(self, key: ShapeKey, args: tuple[Any, ...], kwargs: dict[str, Any]):
        with self._lock:
            if key in self._pending:
                return
            thread = threading.Thread(
                target=self._compile, args=(key, args, kwargs), name="mjbot-compile", daemon=True
            )
            self._pending[key] = thread
        thread.start()

    def _compile(self, key: ShapeKey, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        import torch

        log.info("compiling the %s (torch.compile %s) in the background", self.name, self.mode)
        started = time.perf_counter()
        try:
            # The same grad mode as the pipeline's calls, or the compiled code would not fit.
            with torch.inference_mode():
                self.compiled(*args, **kwargs)
        except Exception:  # a model torch.compile cannot handle keeps running eagerly
            log.exception("torch.compile failed for the %s; it stays eager", self.name)
            return
        self.ready.add(key)
        log.info(
            "the %s is compiled for another input shape (%.0f s); later calls of it run compiled",
            self.name,
            time.perf_counter() - started,
        )
