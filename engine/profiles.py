"""What each model family needs by default: native size, size multiple, steps, cfg, sampler.

Pure data and pure functions (no torch), so the parser and the CLI can use them in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """Defaults for one model family; the parser sizes images from `native` and `multiple`."""

    family: str  # "sd1", "sd2", "sdxl", "sd-turbo", "sdxl-turbo", "tiny"
    native: int  # native side in pixels: images keep about native² pixels
    multiple: int  # width and height must be multiples of this
    steps: int  # default denoising steps
    cfg: float  # default guidance scale (0 disables classifier-free guidance)
    sampler: str  # default sampler name (a key of SAMPLERS)
    max_steps: int = 150


PROFILES: dict[str, ModelProfile] = {
    "sd1": ModelProfile("sd1", 512, 8, 30, 7.0, "dpm++2m_karras"),
    "sd2": ModelProfile("sd2", 768, 8, 30, 7.0, "dpm++2m_karras"),
    # SDXL was trained on buckets of 64 px; other multiples give visibly worse images.
    "sdxl": ModelProfile("sdxl", 1024, 64, 30, 6.0, "dpm++2m_karras"),
    # Adversarially distilled models: one step, no guidance, and their own (trailing) scheduler.
    "sd-turbo": ModelProfile("sd-turbo", 512, 8, 1, 0.0, "default", max_steps=8),
    "sdxl-turbo": ModelProfile("sdxl-turbo", 512, 8, 1, 0.0, "default", max_steps=8),
    # The randomly initialised test pipeline: 64 px images, a handful of steps.
    "tiny": ModelProfile("tiny", 64, 8, 4, 5.0, "euler_a", max_steps=50),
}

# User-facing sampler names -> (diffusers scheduler class, extra config). "default" keeps the
# scheduler the checkpoint ships with.
SAMPLERS: dict[str, tuple[str, dict[str, object]]] = {
    "default": ("", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "pndm": ("PNDMScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "dpm++2m": ("DPMSolverMultistepScheduler", {}),
    "dpm++2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "dpm++2m_sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++"}),
    "lcm": ("LCMScheduler", {}),
}

DEFAULT_MODEL = "stabilityai/sd-turbo"


def model_alias(ref: str) -> str:
    """What users type after --model for a configured source: its last path component."""
    name = Path(ref.rstrip("/")).name
    for suffix in (".safetensors", ".ckpt"):
        name = name.removesuffix(suffix)
    return name.lower()


def profile_for_name(model: str) -> ModelProfile:
    """Guess the family from a hub id, folder or file name (local folders refine this on load)."""
    name = model.lower().replace("_", "-")
    if name == "tiny":
        return PROFILES["tiny"]
    if "sdxl-turbo" in name:
        return PROFILES["sdxl-turbo"]
    if "sd-turbo" in name:
        return PROFILES["sd-turbo"]
    if "xl" in name:
        return PROFILES["sdxl"]
    if "stable-diffusion-2" in name or "sd2" in name or "v2-1" in name:
        return PROFILES["sd2"]
    return PROFILES["sd1"]
