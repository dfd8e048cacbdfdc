"""The fast 4x upscaler (MJ_GAN_UPSCALER): a GAN super-resolution model file, run in tiles.

Real-ESRGAN, ESRGAN, SwinIR, HAT, SPAN and the like come as `.pth` or `.safetensors` files
of bare weights; spandrel recognises the architecture and its hyperparameters from the tensor
names and shapes and builds the network. One forward pass per tile, no prompt and no steps:
a 512 px image becomes 2048 px in about a second on a GPU. Loaded on first use, on the
engine's worker thread, and kept (a few to a few hundred MB).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled, ModelUnavailable
from engine.job import JobSpec
from engine.models import load_or_explain, pick_device, pick_dtype
from engine.pipeline_utils import StepCallback, failures_as, split_batch
from engine.tiles import tiles

log = logging.getLogger(__name__)

FACTOR = 4  # what the action promises, whatever the model's own scale
TILE = 512  # input pixels a side per tile: ~1.5 GB of activations for a 4x ESRGAN in fp16
OVERLAP = 16  # context on each side of a tile, dropped from its output
TINY_GAN = "tiny"  # MJ_GAN_UPSCALER value for the tiny random test model


class GanUpscaler:
    def __init__(
        self,
        ref: str | None,
        *,
        data_dir: Path,
        device: str = "auto",
        dtype: str = "auto",
        tile: int = TILE,
    ) -> None:
        self.ref = ref  # MJ_GAN_UPSCALER: a file, "tiny", or None (no Upscale 4x)
        self.data_dir = data_dir
        self.device_preference = device
        self.dtype_preference = dtype
        self.tile = tile
        self._model: Any = None

    def load(self) -> Any:
        """The spandrel model descriptor, loaded once. Worker thread only."""
        if self._model is not None:
            return self._model
        if self.ref is None:
            raise ModelUnavailable(
                "This job was queued for the 4x upscaler (MJ_GAN_UPSCALER), and none is "
                "configured now."
            )
        self._model = load_or_explain(self._load, self.ref, "MJ_GAN_UPSCALER", "the 4x upscaler")
        return self._model

    def _load(self, ref: str) -> Any:
        import spandrel

        if ref == TINY_GAN:
            from engine.tiny_addons import ensure_tiny_gan

            path = ensure_tiny_gan(self.data_dir / "models" / "tiny-gan.safetensors")
            log.warning("the 4x upscaler is the tiny random test model: its images are noise")
        else:
            path = Path(ref).expanduser()
        device = pick_device(self.device_preference)
        model = spandrel.ModelLoader(device=device).load_from_file(path)
        if not isinstance(model, spandrel.ImageModelDescriptor) or model.scale < 2:
            raise ModelUnavailable(
                f"{path.name} is a {model.architecture.name} model for {model.purpose}, not an "
                "upscaler"
            )
        dtype = pick_dtype(self.dtype_preference, device)
        supported = {
            "torch.float32": True,
            "torch.float16": model.supports_half,
            "torch.bfloat16": model.supports_bfloat16,
        }
        if dtype != model.dtype and supported.get(str(dtype), False):
            model.to(dtype)
        log.info("loaded the %dx %s upscaler on %s", model.scale, model.architecture.name, device)
        return model.eval()

    def run(
        self,
        specs: Sequence[JobSpec],
        start_image: Callable[[JobSpec, tuple[int, int] | None], Any],
        on_step: StepCallback | None,
        cancel: Callable[[], bool] | None,
    ) -> list[list[Any]]:
        """Enlarge each job's start image to its width x height (4x the image)."""
        model = self.load()
        images = []
        for spec in specs:
            image = self.upscale(model, start_image(spec, None), spec, on_step, cancel)
            images.extend([image] * spec.image_count)
        return split_batch(specs, images)

    def upscale(
        self,
        model: Any,
        image: Any,
        spec: JobSpec,
        on_step: StepCallback | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Any:
        """Run the model until the image is at least 4x, then fit it to the job's size."""
        import torch
        from PIL import Image

        passes = max(1, math.ceil(math.log(FACTOR, model.scale)))
        pixels = _to_tensor(image)
        done, total = 0, passes * len(tiles(image.width, image.height, self.tile, OVERLAP))
        with failures_as("The 4x upscaler"):
            for _ in range(passes):
                out = torch.zeros(
                    (1, 3, pixels.shape[2] * model.scale, pixels.shape[3] * model.scale)
                )
                for tile in tiles(pixels.shape[3], pixels.shape[2], self.tile, OVERLAP):
                    if cancel is not None and cancel():
                        raise JobCancelled(spec.job_id)
                    _run_tile(model, pixels, out, tile)
                    done += 1
                    if on_step is not None:
                        on_step(done, total, None)
                pixels = out
        result = _to_image(pixels)
        size = (spec.width, spec.height)
        return result if result.size == size else result.resize(size, Image.Resampling.LANCZOS)


def _run_tile(model: Any, pixels: Any, out: Any, tile: Any) -> None:
    """Upscale the tile's read region and copy the part from its keep region into `out`."""
    import torch

    x0, y0, x1, y1 = tile.read
    kx0, ky0, kx1, ky1 = tile.keep
    s = model.scale
    part = pixels[:, :, y0:y1, x0:x1].to(model.device, model.dtype)
    with torch.inference_mode():
        result = model(part).float().cpu()
    out[:, :, ky0 * s : ky1 * s, kx0 * s : kx1 * s] = result[
        :, :, (ky0 - y0) * s : (ky1 - y0) * s, (kx0 - x0) * s : (kx1 - x0) * s
    ]


def _to_tensor(image: Any) -> Any:
    import numpy as np
    import torch

    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)


def _to_image(pixels: Any) -> Any:
    from PIL import Image

    array = (pixels[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    return Image.fromarray(array)
