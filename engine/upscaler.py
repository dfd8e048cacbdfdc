"""The optional upscaler model (MJ_UPSCALER): the SD x4 upscaler or the SD latent x2 upscaler.

A model of its own (no weights to share with the drawing model), loaded on the first upscale,
on the engine's worker thread, and kept. Without MJ_UPSCALER, U is the hires fix instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import ModelUnavailable
from engine.job import JobSpec
from engine.models import classify, load_or_explain, pick_device, pick_dtype, resolve_folder
from engine.pipeline_utils import StepCallback, plain_prompt, run_pipeline, split_batch
from i18n import t

log = logging.getLogger(__name__)

# The SD x4 upscaler's noise level on the low-res image (its pipeline's default): some noise
# lets it invent texture, more drifts from the image.
UPSCALER_NOISE_LEVEL = 20
TINY_UPSCALER = "tiny-x4"  # MJ_UPSCALER value for the tiny random test upscaler


class Upscaler:
    def __init__(
        self,
        ref: str | None,
        *,
        data_dir: Path,
        device: str = "auto",
        dtype: str = "auto",
        allow_download: bool = True,
    ) -> None:
        self.ref = ref  # MJ_UPSCALER; None: upscales are the hires fix
        self.data_dir = data_dir
        self.device_preference = device
        self.dtype_preference = dtype
        self.allow_download = allow_download
        self.device: str | None = None
        self._pipe: Any = None

    def load(self) -> Any:
        """The MJ_UPSCALER pipeline, loaded once on first use and kept: it is a model of its
        own (no weights to share with the drawing model). Worker thread only."""
        if self._pipe is not None:
            return self._pipe
        ref = self.ref
        if ref is None:
            raise ModelUnavailable(
                "This upscale was queued for an upscaler model (MJ_UPSCALER), and none is "
                "configured now.",
                public=t(
                    "This upscale was queued for an upscaler model this bot no longer has. "
                    "Press U again for the 2x hires fix."
                ),
            )
        self._pipe = load_or_explain(self._load, ref, "MJ_UPSCALER", "the upscaler model")
        return self._pipe

    def _load(self, ref: str) -> Any:
        import diffusers

        if ref == TINY_UPSCALER:
            from engine.tiny import ensure_tiny_upscaler

            folder = ensure_tiny_upscaler(self.data_dir / "models" / TINY_UPSCALER)
            log.warning("the upscaler is the tiny random test model: its images are noise")
        else:
            source = classify("upscaler", ref)
            if source.kind == "file":
                raise ModelUnavailable(
                    "a single checkpoint file is not supported here; use a diffusers folder "
                    "or a hub id such as stabilityai/stable-diffusion-x4-upscaler"
                )
            folder = resolve_folder(source, self.data_dir, allow_download=self.allow_download)
        self.device = pick_device(self.device_preference)
        dtype = pick_dtype(self.dtype_preference, self.device)
        log.info("loading the upscaler %s on %s/%s", ref, self.device, dtype)
        diffusers.utils.logging.disable_progress_bar()
        pipe = diffusers.DiffusionPipeline.from_pretrained(
            folder, dtype=dtype, local_files_only=True
        )
        upscalers = (
            diffusers.StableDiffusionUpscalePipeline,
            diffusers.StableDiffusionLatentUpscalePipeline,
        )
        if not isinstance(pipe, upscalers):
            raise ModelUnavailable(
                f"it is a {type(pipe).__name__}, not an upscaler (the SD x4 upscaler or the SD "
                "latent upscaler)"
            )
        pipe.set_progress_bar_config(disable=True)
        return pipe.to(device=self.device)

    def run(
        self,
        specs: Sequence[JobSpec],
        start_image: Callable[[JobSpec, tuple[int, int]], Any],
        on_step: StepCallback | None,
        cancel: Callable[[], bool] | None,
    ) -> list[list[Any]]:
        """Upscale jobs drawn by the upscaler model. The start image goes in at 1/factor of the
        job's size (half size for the x4 upscaler, full size for the 2x latent upscaler), so
        the model's own output is the 2x image: the x4 upscaler on the full image would denoise
        4x the latents and decode a 16x image only to throw most of it away."""
        import diffusers
        import torch
        from PIL import Image

        first = specs[0]
        pipe = self.load()
        x4 = isinstance(pipe, diffusers.StableDiffusionUpscalePipeline)
        factor = pipe.vae_scale_factor if x4 else 2
        low = (max(8, first.width // factor), max(8, first.height // factor))
        start = start_image(first, low)
        count = sum(spec.image_count for spec in specs)
        negatives = [spec.negative_prompt or "" for spec in specs for _ in spec.seeds]
        kwargs: dict[str, Any] = {
            "prompt": [plain_prompt(spec) for spec in specs for _ in spec.seeds],
            "negative_prompt": negatives if any(negatives) else None,
            "image": [start] * count,
            "num_inference_steps": first.steps,
            "guidance_scale": first.cfg,
            "generator": [torch.Generator("cpu").manual_seed(s) for sp in specs for s in sp.seeds],
            "output_type": "np",
        }
        if x4:
            kwargs["noise_level"] = UPSCALER_NOISE_LEVEL
        images = run_pipeline(pipe, kwargs, first, on_step, cancel, what="The upscaler")
        # Models that round sizes to their own multiples: exactly the size the job promised.
        size = (first.width, first.height)
        images = [
            i if i.size == size else i.resize(size, Image.Resampling.LANCZOS) for i in images
        ]
        return split_batch(specs, images)
