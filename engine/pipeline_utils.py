"""What every pipeline run shares: the scaffold around the call (`run_pipeline`: progress,
--stop and cancellation after each step, per-job switches on shared modules, failures as
GenerationFailed, NaN output refused) and splitting a batch back into jobs."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from engine.errors import GenerationFailed, JobCancelled
from engine.job import JobSpec
from i18n import t, verbatim

# Called after every denoising step with (step, total, latents); latents stay on the device.
# Models without latents (the GAN upscaler: one pass per tile) pass None: no preview then.
StepCallback = Callable[[int, int, Any], None]

# Above this many output pixels (2x upscales of large images), the VAE encodes and decodes in
# tiles: its full-image activations are the memory peak at these sizes, and tiling trades a
# little speed (and faint seams) for fitting at all.
TILED_VAE_PIXELS = 1536 * 1536


@contextmanager
def seamless(pipe: Any, enabled: bool) -> Iterator[None]:
    """--tile: circular padding in every convolution makes the image wrap at its edges."""
    if not enabled:
        yield
        return
    import torch

    convs = [
        module
        for component in (pipe.unet, pipe.vae)
        for module in component.modules()
        if isinstance(module, torch.nn.Conv2d)
    ]
    saved = [conv.padding_mode for conv in convs]
    for conv in convs:
        conv.padding_mode = "circular"
    try:
        yield
    finally:
        for conv, mode in zip(convs, saved, strict=True):
            conv.padding_mode = mode


@contextmanager
def vae_tiling(pipe: Any, enabled: bool) -> Iterator[None]:
    """Tiled VAE for this job only: the VAE is shared by every job on this model."""
    if not enabled:
        yield
        return
    pipe.vae.enable_tiling()
    try:
        yield
    finally:
        pipe.vae.disable_tiling()


@contextmanager
def failures_as(what: str) -> Iterator[None]:
    """A model's errors as GenerationFailed naming `what`; out-of-memory propagates, for the
    worker to free memory and retry one job at a time."""
    import torch

    try:
        yield
    except torch.cuda.OutOfMemoryError:
        raise
    except (RuntimeError, ValueError, IndexError) as exc:
        # A ValueError names the input the pipeline refused: worth telling the user.
        public = None
        if isinstance(exc, ValueError):
            public = t(
                "{model} could not draw this: {reason}", model=what, reason=verbatim(str(exc))
            )
        raise GenerationFailed(f"{what} could not draw this: {exc}", public=public) from exc


def run_pipeline(
    pipe: Any,
    kwargs: dict[str, Any],
    first: JobSpec,
    on_step: StepCallback | None,
    cancel: Callable[[], bool] | None,
    *,
    what: str = "The model",
) -> list[Any]:
    """Call `pipe(**kwargs)` for a batch whose jobs share `first`'s shape; its images.

    After every step: progress, and an interrupt at --stop or on `cancel()` (within one step,
    through `callback_on_step_end`; pipelines without it get the legacy per-step callback,
    which can only stop by raising). Raises JobCancelled, or GenerationFailed saying what
    went wrong; out-of-memory propagates, for the worker to retry one job at a time.
    """
    import torch

    def last_step(total: int) -> int:
        return total if first.stop is None else max(1, math.ceil(total * first.stop / 100))

    if "callback_on_step_end" in inspect.signature(pipe.__call__).parameters:

        def step_end(pipeline: Any, index: int, _t: Any, tensors: dict[str, Any]) -> dict:
            # The steps that really run (img2img skips some); the requested ones otherwise.
            last = last_step(getattr(pipeline, "num_timesteps", kwargs["num_inference_steps"]))
            if on_step is not None:
                on_step(index + 1, last, tensors["latents"])
            if index + 1 >= last or (cancel is not None and cancel()):
                pipeline._interrupt = True
            return tensors

        kwargs = {**kwargs, "callback_on_step_end": step_end}
    else:
        total = last_step(kwargs["num_inference_steps"])

        def legacy(index: int, _t: Any, latents: Any) -> None:
            if on_step is not None:
                on_step(min(index + 1, total), total, latents)
            if cancel is not None and cancel():
                raise JobCancelled(first.job_id)

        kwargs = {**kwargs, "callback": legacy, "callback_steps": 1}
    tiled = first.width * first.height > TILED_VAE_PIXELS
    with (
        failures_as(what),
        torch.inference_mode(),
        seamless(pipe, first.tile),
        vae_tiling(pipe, tiled),
    ):
        output = pipe(**kwargs)
    if cancel is not None and cancel():
        raise JobCancelled(first.job_id)
    return to_images(output.images)


def plain_prompt(spec: JobSpec) -> str:
    """An upscaler takes one plain prompt: the positively weighted parts, joined."""
    return ", ".join(part.text for part in spec.prompts if part.weight > 0)


def to_images(output: Any) -> list[Any]:
    """Pipeline output (N, H, W, 3) in 0..1 as PIL images; GenerationFailed on NaN (fp16
    overflow on some VAEs) instead of sending black squares."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(output)
    if not np.isfinite(pixels).all():
        raise GenerationFailed(
            "The model produced invalid pixels (NaN). This happens with some models in "
            "half precision: try MJ_DTYPE=float32 or another VAE.",
            public=t(
                "The model produced an unusable image (invalid pixels). Try again or another "
                "model; if it keeps happening, tell the bot's owner."
            ),
        )
    pixels = (pixels.clip(0, 1) * 255).round().astype("uint8")
    return [Image.fromarray(image) for image in pixels]


def split_batch(specs: Sequence[JobSpec], images: list[Any]) -> list[list[Any]]:
    result, offset = [], 0
    for spec in specs:
        result.append(images[offset : offset + spec.image_count])
        offset += spec.image_count
    return result


def free_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
