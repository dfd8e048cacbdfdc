"""The settings groups only the composition root reads: the models and how the engine runs
them, the queue's bounds, where jobs are drawn, the translator and the image safety checker.

The core's groups live in `bot.core.settings` and the front ends' in `bot.adapters.settings`,
beside what reads them; nothing below the composition root reads these, so they sit beside
`bot.config`, which gathers every group into `Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.captioner import DEFAULT_CAPTION_MODEL
from engine.profiles import DEFAULT_MODEL, model_alias
from filters.image_safety import OPENNSFW
from filters.safety_policy import DEFAULT_POLICY as DEFAULT_SAFETY


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The models the engine loads: MJ_MODEL (the default) and MJ_MODELS (name=source)."""

    model: str = DEFAULT_MODEL
    models: dict[str, str] = field(
        default_factory=lambda: {model_alias(DEFAULT_MODEL): DEFAULT_MODEL}
    )
    device: str = "auto"
    single_file_config: str | None = None
    allow_download: bool = True
    # A dedicated upscaler model for U (hub id, diffusers folder, or "tiny-x4" for tests),
    # loaded on the first upscale; None: the hires fix.
    upscaler: str | None = None
    # An IP-Adapter for /blend (a weights file with its image_encoder/ beside it, a hub path,
    # or "tiny" for tests), loaded on the first blend; None: blends mix the images' latents.
    ip_adapter: str | None = None
    # "Upscale 4x": a GAN upscaler model file (.pth/.safetensors, read by spandrel), or "tiny"
    # for tests; None: no such action.
    gan_upscaler: str | None = None
    # LoRA styles: the folder `mjbot loras add` copies files into (None: data_dir / "loras"),
    # and how many adapters a loaded model keeps (least recently used unloaded first).
    lora_dir: Path | None = None
    lora_max_loaded: int = 8
    # Clip skip per model (anime models are trained with 2): name -> 1..4; others use 1.
    clip_skip: dict[str, int] = field(default_factory=dict)
    # /describe's image-to-text model (hub id, transformers folder, or "tiny" for tests),
    # loaded on the first describe.
    caption_model: str = DEFAULT_CAPTION_MODEL

    @property
    def default(self) -> str:
        return model_alias(self.model)


@dataclass(frozen=True, slots=True)
class QueueSettings:
    max_waiting_per_user: int = 10
    max_waiting: int = 1000
    # With batching: how many of one user's jobs may share one batch (one forward pass).
    max_batch_jobs_per_user: int = 1
    batching: str = "auto"  # auto: on for CUDA, off elsewhere (no throughput gain on CPU)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Where jobs are drawn: "local" (a thread of this process) or "ray" (one worker per GPU on
    a Ray cluster, joined at ray_address, or started in this process when it is None)."""

    kind: str = "local"
    ray_address: str | None = None
    ray_namespace: str = "mjbot"  # worker names are unique in it: one bot per namespace
    ray_workers: int = 0  # 0: one per GPU in the cluster (or one CPU worker)
    ray_worker_cpus: int = 0  # 0: GPU workers; N: CPU workers of N cores (and torch threads)


@dataclass(frozen=True, slots=True)
class TranslationSettings:
    # Chinese prompts: auto (a local LLM if installed, else argos, else the dictionary), llm,
    # argos, dictionary, off
    mode: str = "auto"
    packages_dir: Path | None = None  # argos packages, llm/; None: data_dir / "translation"
    # The translation LLM: a model folder, or a hub name pulled into packages_dir/llm; None:
    # the last one pulled. Each prompt's LLM answer gets this long before the dictionary
    # translation is used instead.
    llm: str | None = None
    llm_timeout_s: float = 8.0


@dataclass(frozen=True, slots=True)
class SafetyCheckSettings:
    """The image safety classifier: `opennsfw` (bundled) or `module:attribute` of the owner's
    own, and the threads it may use (the engine keeps the other cores)."""

    scorer: str = OPENNSFW
    threads: int = 1
    # The default policy's parts, as written (bot.core.settings.SafetySettings holds the
    # policy built from them).
    mode: str = DEFAULT_SAFETY.mode.value
    threshold: float = DEFAULT_SAFETY.threshold
    nsfw_mode: str | None = None
