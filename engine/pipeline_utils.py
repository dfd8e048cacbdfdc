"""Small pieces every pipeline run shares: per-job switches on shared modules (seamless
tiling, VAE tiling), output to PIL with a NaN check, and splitting a batch back into jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from engine.errors import GenerationFailed
from engine.job import JobSpec

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
            "half precision: try MJ_DTYPE=float32 or another VAE."
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
