"""The diffusers backend: turns one JobSpec into images on whatever device is configured.

Only the engine's worker thread calls `generate`; torch and diffusers are imported lazily so
that the bot, the parser and their tests start without them.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.blend import IpAdapter, blend_kwargs
from engine.captioner import DEFAULT_CAPTION_MODEL, Captioner
from engine.conditioning import build_embeddings
from engine.decoders import decoding_with
from engine.errors import GenerationFailed, ModelUnavailable
from engine.gan_upscaler import GanUpscaler
from engine.inpaint import inpaint_kwargs, inpaint_pipeline, keep_unmasked
from engine.job import DESCRIBE_MODES, JobSpec, batch_key, check_sources, needs_embeddings
from engine.loras import DEFAULT_MAX_LOADED, LoraSlots
from engine.models import (
    ModelSource,
    classify,
    folder_profile,
    pick_device,
    resolve_folder,
    source_profile,
)
from engine.pipeline_utils import StepCallback, free_memory, run_pipeline, split_batch
from engine.previews import Previewer
from engine.profiles import SAMPLERS, ModelProfile, profile_for_name
from engine.speed import Acceleration, load_tuned
from engine.tuning import Tuning
from engine.upscaler import Upscaler
from i18n import t

log = logging.getLogger(__name__)

MAX_CLIP_SKIP = 4  # deeper than that the text encoder's features stop meaning the prompt


@dataclass(slots=True)
class LoadedModel:
    pipe: Any
    profile: ModelProfile
    default_scheduler: Any
    speed: Acceleration
    loras: LoraSlots  # the LoRA adapters loaded into this model, and which are applied
    schedulers: dict[str, Any] = field(default_factory=dict)
    img2img: Any = None  # derived with from_pipe on first use: the same modules, no new weights
    inpaint: Any = None  # likewise, for the editing actions (engine.inpaint)


class DiffusersBackend:
    """Loads models on demand (keeping at most `max_loaded`) and runs jobs on them."""

    def __init__(
        self,
        models: Mapping[str, str],
        *,
        data_dir: Path,
        device: str = "auto",
        tuning: Tuning | None = None,
        max_loaded: int = 1,
        allow_download: bool = True,
        single_file_config: str | None = None,
        images_dir: Path | None = None,
        upscaler: str | None = None,
        ip_adapter: str | None = None,
        gan_upscaler: str | None = None,
        lora_max_loaded: int = DEFAULT_MAX_LOADED,
        caption_model: str = DEFAULT_CAPTION_MODEL,
    ) -> None:
        if not models:
            raise ValueError("at least one model must be configured")
        self.sources = {name: classify(name, ref) for name, ref in models.items()}
        self.data_dir = data_dir
        self.device_preference = device
        self.tuning = tuning or Tuning()  # dtype, layout, compile, decoder and previews
        self.compile_backend = "inductor"  # tests compile with "eager" (dynamo alone), fast
        self.max_loaded = max_loaded
        self.allow_download = allow_download
        self.single_file_config = single_file_config
        self.images_dir = images_dir or data_dir / "images"  # where relative init images live
        self._loaded: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()  # profile() may be asked from other threads
        self.device: str | None = None
        # MJ_UPSCALER: a model of its own, loaded on the first upscale (None: the hires fix).
        self.upscaler = Upscaler(
            upscaler,
            data_dir=data_dir,
            device=device,
            dtype=self.tuning.dtype,
            allow_download=allow_download,
        )
        # MJ_IP_ADAPTER: blends by image embeddings, loaded on the first blend that needs it.
        self.ip_adapter = IpAdapter(ip_adapter, data_dir=data_dir, allow_download=allow_download)
        # MJ_GAN_UPSCALER: "Upscale 4x" with a GAN model file, loaded on first use.
        self.gan_upscaler = GanUpscaler(
            gan_upscaler, data_dir=data_dir, device=device, dtype=self.tuning.dtype
        )
        self.lora_max_loaded = lora_max_loaded
        # MJ_CAPTION_MODEL: /describe's model, loaded on the first describe and kept.
        self.captioner = Captioner(
            caption_model,
            data_dir=data_dir,
            device=device,
            dtype=self.tuning.dtype,
            allow_download=allow_download,
        )

    # profiles are cheap: known exactly once loaded, guessed from the folder or name before
    def profile(self, name: str) -> ModelProfile:
        with self._lock:
            if name in self._loaded:
                return self._loaded[name].profile
        return source_profile(self.sources[name])

    def loaded_models(self) -> list[str]:
        """Names of the models in memory, least recently used first."""
        with self._lock:
            return list(self._loaded)

    def previewer(self, spec: JobSpec) -> Previewer:
        """How this job's previews are drawn: its model's TAESD where affordable, else the
        projection (always for upscaler models, whose latents TAESD cannot read)."""
        with self._lock:
            if spec.model in self._loaded and not spec.upscaler:
                return self._loaded[spec.model].speed.previewer
        return Previewer(self.profile(spec.model).family)

    def loaded_loras(self) -> list[str]:
        """LoRA adapters in memory, of any loaded model (by content: `LoraUse.adapter`)."""
        with self._lock:
            return sorted({name for model in self._loaded.values() for name in model.loras.loaded})

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
        profile = folder_profile(folder, source.ref) if folder else profile_for_name(source.ref)
        pipe, speed = load_tuned(
            source,
            folder,
            profile,
            self.tuning,
            device=self.device,
            data_dir=self.data_dir,
            allow_download=self.allow_download,
            single_file_config=self.single_file_config,
            compile_backend=self.compile_backend,
        )
        loras = LoraSlots(pipe, self.lora_max_loaded)
        loaded = LoadedModel(pipe, profile, pipe.scheduler, speed, loras)
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
        """Render jobs that share a `batch_key` in one pass; one image list per job (for a
        describe: its prompts, best first).

        Raises JobCancelled (when `cancel()` turns true) or GenerationFailed. Worker thread only.
        """
        import torch

        # 1. Check inputs before touching the GPU.
        for spec in specs:
            check_spec(spec)
        if len({batch_key(spec) for spec in specs}) != 1:
            raise ValueError("jobs in one batch must share model, size, steps, sampler and cfg")
        first = specs[0]
        if first.describe is not None:
            return [self._describe(spec, cancel) for spec in specs]
        if first.upscaler:
            return self.upscaler.run(specs, self._start_image, on_step, cancel)
        if first.gan_upscale:
            return self.gan_upscaler.run(specs, self._start_image, on_step, cancel)
        model = self.load(first.model)
        model.loras.apply(first.loras)  # before the text encoding: LoRAs change it too
        pipe = self._pipeline(model, first)
        # 2. Sampler: a scheduler built from the checkpoint's own config, cached per name.
        pipe.scheduler = self._scheduler(model, first.sampler)
        # 3. Conditioning: plain strings unless :: weights, --chaos or clip skip need embeddings.
        text_kwargs = self._text_kwargs(pipe, specs)
        # 4. One CPU generator per image: image i depends on its own seed, batched or not.
        generators = [torch.Generator("cpu").manual_seed(s) for spec in specs for s in spec.seeds]

        # 5. Run: progress, --stop and cancellation after each step, --tile (and an
        # IP-Adapter) for this job only.
        adapter = self.ip_adapter.attached(model.pipe) if first.ip_adapter else nullcontext()
        with adapter:
            size_kwargs = self._size_kwargs(pipe, first, sum(s.image_count for s in specs))
            kwargs = {
                **text_kwargs,
                **size_kwargs,
                "num_inference_steps": first.steps,
                "guidance_scale": first.cfg,
                "generator": generators,
                "output_type": "np",
            }
            with decoding_with(pipe, model.speed.decoder):  # MJ_DECODER=taesd: TAESD decodes
                images = run_pipeline(pipe, kwargs, first, on_step, cancel)
        # 6. Put back what an inpainting mask keeps, then split the batch back into jobs.
        if first.mask_image is not None:
            images = keep_unmasked(images, size_kwargs)
        return split_batch(specs, images)

    def _pipeline(self, model: LoadedModel, spec: JobSpec) -> Any:
        """Text to image, image to image (start image or blended latents), or inpainting."""
        if spec.mask_image is not None:
            if model.inpaint is None:
                model.inpaint = inpaint_pipeline(model.pipe)
            return model.inpaint
        if spec.init_image is not None or (spec.blend_images and not spec.ip_adapter):
            return self.image_to_image(model)
        return model.pipe

    def image_to_image(self, model: LoadedModel) -> Any:
        """The model's img2img pipeline, built once from the loaded one: `from_pipe` reuses
        its modules (unet, vae, text encoders), so no second copy of the weights is made."""
        if model.img2img is None:
            from diffusers import AutoPipelineForImage2Image

            model.img2img = AutoPipelineForImage2Image.from_pipe(model.pipe)
            model.img2img.set_progress_bar_config(disable=True)  # as load_pipeline does
        return model.img2img

    def _size_kwargs(self, pipe: Any, spec: JobSpec, images: int) -> dict[str, Any]:
        """The size, or what fixes it: a start image fitted to it, a canvas and its mask, the
        blended latents or image embeddings of a blend."""
        size = (spec.width, spec.height)
        if spec.mask_image is not None:
            return inpaint_kwargs(spec, images, lambda path, mode: self._open(path, size, mode))
        if spec.blend_images:
            sources = [self._open(path, size) for path in spec.blend_images]
            if spec.ip_adapter:
                embeds = self.ip_adapter.embeds_kwargs(pipe, sources, images, spec.cfg)
                return {"width": spec.width, "height": spec.height, **embeds}
            assert spec.strength is not None
            return blend_kwargs(pipe, sources, images, spec.strength)
        if spec.init_image is None:
            return {"width": spec.width, "height": spec.height}
        fitted = self._start_image(spec, size)
        return {"image": [fitted] * images, "strength": spec.strength}

    def _start_image(self, spec: JobSpec, size: tuple[int, int] | None) -> Any:
        assert spec.init_image is not None
        return self._open(spec.init_image, size)

    def _open(self, stored: str, size: tuple[int, int] | None, mode: str = "RGB") -> Any:
        """A stored image fitted to `size`; None: as stored (the GAN upscaler enlarges it)."""
        from PIL import Image, ImageOps

        path = Path(stored)
        path = path if path.is_absolute() else self.images_dir / path
        try:
            with Image.open(path) as opened:
                image = opened.convert(mode)
        except (OSError, ValueError) as exc:
            raise GenerationFailed(
                f"A source image could not be read: {exc}",
                public=t(
                    "A source image of this job could not be read (it may have been removed); "
                    "draw again from a new image."
                ),
            ) from exc
        if size is None:
            return image
        if mode == "L":  # a mask: exact pixels, never blurred into grey
            return image if image.size == size else image.resize(size, Image.Resampling.NEAREST)
        # Crop to the job's aspect (a no-op for upscales and variations), then Lanczos: the
        # sharpest classic resampler, so a 2x hires pass starts from as much detail as possible.
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)

    def _describe(self, spec: JobSpec, cancel: Callable[[], bool] | None) -> list[str]:
        assert spec.init_image is not None
        # Its size is the stored image's: opened as it is, not refitted.
        image = self._open(spec.init_image, (spec.width, spec.height))
        fresh = spec.describe == "samples"
        return self.captioner.describe(image, seed=spec.seeds[0], fresh=fresh, cancel=cancel)

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


def _unknown(name: str, sources: Mapping[str, ModelSource]) -> ModelSource:
    raise ModelUnavailable(f"Unknown model {name!r}. Configured: {', '.join(sources)}.")
