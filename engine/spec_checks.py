"""What a JobSpec must satisfy before a pipeline sees it, like a diffusers pipeline's
`check_inputs`: ValueError for what can never work, raised before anything touches the GPU.

Apart from the backend that calls it, because these rules read against `engine.job`'s JobSpec
and not against any loaded model.
"""

from __future__ import annotations

from engine.job import DESCRIBE_MODES, JobSpec, check_sources
from engine.profiles import SAMPLERS

MAX_CLIP_SKIP = 4  # deeper than that the text encoder's features stop meaning the prompt


def check_spec(spec: JobSpec) -> None:
    """Like a diffusers pipeline's check_inputs: ValueError for what can never work."""
    if spec.describe is not None:
        if spec.describe not in DESCRIBE_MODES or spec.init_image is None:
            raise ValueError("a describe needs a mode of DESCRIBE_MODES and an image")
        if len(spec.seeds) != 1:
            raise ValueError("a describe takes one seed")
        return
    if spec.width % 8 or spec.height % 8 or spec.width < 8 or spec.height < 8:
        raise ValueError(
            f"width and height must be positive multiples of 8, got {spec.width}x{spec.height}"
        )
    if spec.steps < 1:
        raise ValueError(f"steps must be at least 1, got {spec.steps}")
    if not spec.seeds:
        raise ValueError("a job needs at least one seed")
    if spec.sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {spec.sampler!r}")
    if not 1 <= spec.clip_skip <= MAX_CLIP_SKIP:
        raise ValueError(f"clip skip must be 1..{MAX_CLIP_SKIP}, got {spec.clip_skip}")
    if len({lora.adapter for lora in spec.loras}) != len(spec.loras):
        raise ValueError("a LoRA may appear only once in a job")
    if not any(part.weight > 0 for part in spec.prompts):
        raise ValueError("a job needs a prompt part with a positive weight")
    check_sources(spec)
    strength = spec.strength
    if strength is not None and not (0 < strength <= 1 and spec.steps * strength >= 1):
        raise ValueError(
            f"strength must be in (0, 1] and leave at least one step, got {spec.strength}"
        )
