"""The diffusers backend: turns one JobSpec into images on whatever device is configured.

Only the engine's worker thread calls `generate`; torch and diffusers are imported lazily so
that the bot, the parser and their tests start without them.

Here: the models in memory (loaded on demand, the least recently used unloaded) and a batch's
run on one of them, step by step. What one loaded model holds is `engine.loaded_model`, what
a job must satisfy first `engine.spec_checks`; a job's source images are read by
`engine.source_images`, its prompt arguments built by `engine.conditioning`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from engine.blend import IpAdapter, blend_kwargs
from engine.captioner import DEFAULT_CAPTION_MODEL, Captioner
from engine.conditioning import text_kwargs
from engine.decoders import decoding_with
from engine.errors import ModelUnavailable
from engine.gan_upscaler import GanUpscaler
from engine.inpaint import inpaint_kwargs, inpaint_pipeline, keep_unmasked
from engine.job import JobSpec, batch_key
from engine.loaded_model import LoadedModel
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
from engine.profiles import ModelProfile, profile_for_name
from engine.source_images import open_source
from engine.spec_checks import check_spec
from engine.speed import load_tuned
from engine.tuning import Tuning
from engine.upscaler import Upscaler

log = logging.getLogger(__name__)


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
        pipe.scheduler = model.scheduler(first.sampler)
        # 3. Conditioning: plain strings unless :: weights, --chaos or clip skip need embeddings.
        prompt_kwargs = text_kwargs(pipe, specs)
        # 4. One CPU generator per image: image i depends on its own seed, batched or not.
        generators = [torch.Generator("cpu").manual_seed(s) for spec in specs for s in spec.seeds]

        # 5. Run: progress, --stop and cancellation after each step, --tile (and an
        # IP-Adapter) for this job only.
        adapter = self.ip_adapter.attached(model.pipe) if first.ip_adapter else nullcontext()
        with adapter:
            size_kwargs = self._size_kwargs(pipe, first, sum(s.image_count for s in specs))
            kwargs = {
                **prompt_kwargs,
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
            return inpaint_kwargs(
                spec, images, lambda path, mode: open_source(self.images_dir, path, size, mode)
            )
        if spec.blend_images:
            sources = [open_source(self.images_dir, path, size) for path in spec.blend_images]
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
        return open_source(self.images_dir, spec.init_image, size)

    def _describe(self, spec: JobSpec, cancel: Callable[[], bool] | None) -> list[str]:
        assert spec.init_image is not None
        # Its size is the stored image's: opened as it is, not refitted.
        image = open_source(self.images_dir, spec.init_image, (spec.width, spec.height))
        fresh = spec.describe == "samples"
        return self.captioner.describe(image, seed=spec.seeds[0], fresh=fresh, cancel=cancel)


def _unknown(name: str, sources: Mapping[str, ModelSource]) -> ModelSource:
    raise ModelUnavailable(f"Unknown model {name!r}. Configured: {', '.join(sources)}.")
