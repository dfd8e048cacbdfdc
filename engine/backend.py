"""The diffusers backend: turns one JobSpec into images on whatever device is configured.

Only the engine's worker thread calls `generate`; torch and diffusers are imported lazily so
that the bot, the parser and their tests start without them.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.conditioning import build_embeddings
from engine.errors import GenerationFailed, ModelUnavailable
from engine.job import JobSpec, batch_key, needs_embeddings
from engine.models import (
    ModelSource,
    classify,
    folder_profile,
    load_pipeline,
    pick_device,
    pick_dtype,
    resolve_folder,
)
from engine.pipeline_utils import StepCallback, free_memory, run_pipeline, split_batch
from engine.profiles import SAMPLERS, ModelProfile, profile_for_name
from engine.upscaler import Upscaler
from i18n import t

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LoadedModel:
    pipe: Any
    profile: ModelProfile
    default_scheduler: Any
    schedulers: dict[str, Any] = field(default_factory=dict)
    img2img: Any = None  # derived with from_pipe on first use: the same modules, no new weights


class DiffusersBackend:
    """Loads models on demand (keeping at most `max_loaded`) and runs jobs on them."""

    def __init__(
        self,
        models: Mapping[str, str],
        *,
        data_dir: Path,
        device: str = "auto",
        dtype: str = "auto",
        max_loaded: int = 1,
        allow_download: bool = True,
        single_file_config: str | None = None,
        images_dir: Path | None = None,
        upscaler: str | None = None,
    ) -> None:
        if not models:
            raise ValueError("at least one model must be configured")
        self.sources = {name: classify(name, ref) for name, ref in models.items()}
        self.data_dir = data_dir
        self.device_preference = device
        self.dtype_preference = dtype
        self.max_loaded = max_loaded
        self.allow_download = allow_download
        self.single_file_config = single_file_config
        self.images_dir = images_dir or data_dir / "images"  # where relative init images live
        self._loaded: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()  # profile() may be asked from other threads
        self.device: str | None = None
        # MJ_UPSCALER: a model of its own, loaded on the first upscale (None: the hires fix).
        self.upscaler = Upscaler(
            upscaler, data_dir=data_dir, device=device, dtype=dtype, allow_download=allow_download
        )

    # profiles are cheap: known exactly once loaded, guessed from the folder or name before
    def profile(self, name: str) -> ModelProfile:
        with self._lock:
            if name in self._loaded:
                return self._loaded[name].profile
        source = self.sources[name]
        if source.kind == "tiny":
            return profile_for_name("tiny")
        if source.kind == "folder":
            return folder_profile(Path(source.ref), source.ref)
        return profile_for_name(source.ref)

    def loaded_models(self) -> list[str]:
        """Names of the models in memory, least recently used first."""
        with self._lock:
            return list(self._loaded)

    def load(self, name: str) -> LoadedModel:
        """Load (or reuse) a model. Worker thread only."""
        with self._lock:
            if name in self._loaded:
                self._loaded.move_to_end(name)
                return self._loaded[name]
        source: ModelSource = self.sources.get(name) or _unknown(name, self.sources)
        folder = resolve_folder(source, self.data_dir, allow_download=self.allow_download)
        if source.kind == "tiny":
            log.warning("model %r is the tiny random test model: its images are noise", name)
        self.device = pick_device(self.device_preference)
        dtype = pick_dtype(self.dtype_preference, self.device)
        log.info("loading model %s (%s) on %s/%s", name, source.ref, self.device, dtype)
        pipe = load_pipeline(source, folder, self.device, dtype, self.single_file_config)
        profile = folder_profile(folder, source.ref) if folder else profile_for_name(source.ref)
        loaded = LoadedModel(pipe, profile, pipe.scheduler)
        with self._lock:
            self._loaded[name] = loaded
            while len(self._loaded) > self.max_loaded:
                evicted, _ = self._loaded.popitem(last=False)
                log.info("unloading model %s to make room", evicted)
                free_memory()
        return loaded

    def generate(
        self,
        specs: Sequence[JobSpec],
        on_step: StepCallback | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> list[list[Any]]:
        """Render jobs that share a `batch_key` in one pass; one image list per job.

        Raises JobCancelled (when `cancel()` turns true) or GenerationFailed. Worker thread only.
        """
        import torch

        # 1. Check inputs before touching the GPU.
        for spec in specs:
            check_spec(spec)
        if len({batch_key(spec) for spec in specs}) != 1:
            raise ValueError("jobs in one batch must share model, size, steps, sampler and cfg")
        first = specs[0]
        if first.upscaler:
            return self.upscaler.run(specs, self._start_image, on_step, cancel)
        model = self.load(first.model)
        pipe = model.pipe if first.init_image is None else self.image_to_image(model)
        # 2. Sampler: a scheduler built from the checkpoint's own config, cached per name.
        pipe.scheduler = self._scheduler(model, first.sampler)
        # 3. Conditioning: plain strings unless :: weights or --chaos need embeddings.
        text_kwargs = self._text_kwargs(pipe, specs)
        # 4. One CPU generator per image: image i depends on its own seed, batched or not.
        generators = [torch.Generator("cpu").manual_seed(s) for spec in specs for s in spec.seeds]

        # 5. Run: progress, --stop and cancellation after each step, --tile for this job only.
        size_kwargs = self._size_kwargs(first, sum(spec.image_count for spec in specs))
        kwargs = {
            **text_kwargs,
            **size_kwargs,
            "num_inference_steps": first.steps,
            "guidance_scale": first.cfg,
            "generator": generators,
            "output_type": "np",
        }
        images = run_pipeline(pipe, kwargs, first, on_step, cancel)
        # 6. Split the batch back into jobs.
        return split_batch(specs, images)

    def image_to_image(self, model: LoadedModel) -> Any:
        """The model's img2img pipeline, built once from the loaded one: `from_pipe` reuses
        its modules (unet, vae, text encoders), so no second copy of the weights is made."""
        if model.img2img is None:
            from diffusers import AutoPipelineForImage2Image

            model.img2img = AutoPipelineForImage2Image.from_pipe(model.pipe)
            model.img2img.set_progress_bar_config(disable=True)  # as load_pipeline does
        return model.img2img

    def _size_kwargs(self, spec: JobSpec, images: int) -> dict[str, Any]:
        """Text to image: the size. Image to image: the start image, fitted to the size."""
        if spec.init_image is None:
            return {"width": spec.width, "height": spec.height}
        fitted = self._start_image(spec, (spec.width, spec.height))
        return {"image": [fitted] * images, "strength": spec.strength}

    def _start_image(self, spec: JobSpec, size: tuple[int, int]) -> Any:
        from PIL import Image, ImageOps

        assert spec.init_image is not None
        path = Path(spec.init_image)
        path = path if path.is_absolute() else self.images_dir / path
        try:
            with Image.open(path) as opened:
                start = opened.convert("RGB")
        except (OSError, ValueError) as exc:
            raise GenerationFailed(
                f"The start image could not be read: {exc}",
                public=t(
                    "The job's start image could not be read (it may have been removed); "
                    "draw again from a new image."
                ),
            ) from exc
        # Crop to the job's aspect (a no-op for upscales and variations), then Lanczos: the
        # sharpest classic resampler, so a 2x hires pass starts from as much detail as possible.
        return ImageOps.fit(start, size, Image.Resampling.LANCZOS)

    @staticmethod
    def _text_kwargs(pipe: Any, specs: Sequence[JobSpec]) -> dict[str, Any]:
        import torch

        if needs_embeddings(specs[0]):
            per_job = [build_embeddings(pipe, spec, pipe.device) for spec in specs]
            return {key: torch.cat([kw[key] for kw in per_job]) for key in per_job[0]}
        prompts = [spec.prompts[0].text for spec in specs for _ in spec.seeds]
        negatives = [spec.negative_prompt or "" for spec in specs for _ in spec.seeds]
        # None (not "") when nobody asked for one: SDXL then uses its trained zero embedding.
        return {"prompt": prompts, "negative_prompt": negatives if any(negatives) else None}

    def _scheduler(self, model: LoadedModel, sampler: str) -> Any:
        if sampler == "default":
            return model.default_scheduler
        if sampler not in model.schedulers:
            import diffusers

            class_name, extra = SAMPLERS[sampler]
            cls = getattr(diffusers, class_name)
            model.schedulers[sampler] = cls.from_config(model.default_scheduler.config, **extra)
        return model.schedulers[sampler]


def check_spec(spec: JobSpec) -> None:
    """Like a diffusers pipeline's check_inputs: ValueError for what can never work."""
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
    if not any(part.weight > 0 for part in spec.prompts):
        raise ValueError("a job needs a prompt part with a positive weight")
    if (spec.init_image is None) != (spec.strength is None):
        raise ValueError("an init image and a strength go together")
    strength = spec.strength
    if strength is not None and not (0 < strength <= 1 and spec.steps * strength >= 1):
        raise ValueError(
            f"strength must be in (0, 1] and leave at least one step, got {spec.strength}"
        )


def _unknown(name: str, sources: Mapping[str, ModelSource]) -> ModelSource:
    raise ModelUnavailable(f"Unknown model {name!r}. Configured: {', '.join(sources)}.")
