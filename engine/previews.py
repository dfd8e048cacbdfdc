"""Live previews: TAESD's real decode where it is cheap enough, else a linear projection.

The linear projection's factors are the per-family least-squares fits popularised by A1111's
`cheap_approximation` and ComfyUI's `latent_rgb_factors` (comfy/latent_formats.py). One small
matrix product per step: microseconds on a GPU, negligible beside a UNet step, but blurry and
off in colour. TAESD shows the picture as it will be, at a cost that depends on the machine:
a few milliseconds on a GPU, about a third of a UNet step on a CPU. `Previewer` measures it
and uses it only where it stays under PREVIEW_BUDGET of the denoising time.
"""

from __future__ import annotations

import time
from typing import Any

from PIL import Image

# rows: latent channels 0..3; columns: R, G, B
SD15_FACTORS = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
)
SDXL_FACTORS = (
    (0.3651, 0.4232, 0.4341),
    (-0.2533, -0.0042, 0.1068),
    (0.1076, 0.1111, -0.0362),
    (-0.3165, -0.2492, -0.2188),
)
SDXL_BIAS = (0.1084, -0.0175, -0.0011)


def factors_for(family: str) -> tuple[tuple[tuple[float, ...], ...], tuple[float, ...]]:
    if family.startswith("sdxl"):
        return SDXL_FACTORS, SDXL_BIAS
    return SD15_FACTORS, (0.0, 0.0, 0.0)


def latents_to_rgb(latents: Any, family: str) -> list[Image.Image]:
    """(N, 4, h, w) latents -> N small RGB images at latent resolution."""
    import torch

    factors, bias = factors_for(family)
    x = latents.detach().float()
    # Mid-schedule latents are x0 + sigma * noise; dividing by their spread keeps colours in
    # range early on and is a no-op (std ~ 1) near the end.
    x = x / x.std().clamp(min=1.0)
    matrix = torch.tensor(factors, dtype=x.dtype, device=x.device)
    offset = torch.tensor(bias, dtype=x.dtype, device=x.device)
    rgb = torch.einsum("nchw,cr->nhwr", x, matrix) + offset
    pixels = ((rgb + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8).cpu().numpy()
    return [Image.fromarray(image) for image in pixels]


def preview_grid(latents: Any, family: str) -> Image.Image:
    from engine.grid import make_grid

    return make_grid(latents_to_rgb(latents, family))


# TAESD previews may add at most this share to the time spent denoising.
PREVIEW_BUDGET = 0.02
PREVIEW_SIDE = 256  # a TAESD preview image's longer side: enough to judge, light to upload


def taesd_affordable(decode_s: float, step_s: float, every_s: float) -> bool:
    """Whether a TAESD preview costing `decode_s` fits the budget when steps take `step_s`
    and the job wants a preview every `every_s` (0: every step): there is at most one preview
    per step and one per `every_s`, so each costs decode_s out of max(step_s, every_s)."""
    return decode_s <= PREVIEW_BUDGET * max(step_s, every_s)


class Previewer:
    """One model's live previews: TAESD (measured, within the budget) or the projection."""

    def __init__(self, family: str, taesd: Any | None = None, mode: str = "auto") -> None:
        self.family = family
        self.taesd = taesd  # an AutoencoderTiny, or None: projection only
        self.mode = mode  # "auto": TAESD within the budget; "taesd": always; "linear": never
        # TAESD's fastest decode time per latent pixel so far: the least disturbed figure
        # (a first call also builds kernels), and one slow call cannot rule TAESD out.
        self.seconds_per_pixel: float | None = None

    def calibrate(self, latents: Any) -> float:
        """Time TAESD on `latents` (at load, so the first job's previews can use it): twice,
        since the first call also prepares kernels. Returns the estimated decode time."""
        import torch

        with torch.inference_mode():
            for _ in range(2):
                self._taesd_images(latents)
        return self.estimate(latents) or 0.0

    def estimate(self, latents: Any) -> float | None:
        if self.seconds_per_pixel is None:
            return None
        return self.seconds_per_pixel * _pixels(latents)

    def uses_taesd(self, latents: Any, step_s: float, every_s: float) -> bool:
        if self.taesd is None or self.mode == "linear":
            return False
        if self.mode == "taesd":
            return True
        cost = self.estimate(latents)
        return cost is not None and taesd_affordable(cost, step_s, every_s)

    def grid(self, latents: Any, step_s: float, every_s: float) -> Image.Image:
        """The preview of (N, 4, h, w) latents while steps take `step_s` seconds and the
        job wants one every `every_s`."""
        from engine.grid import make_grid

        if not self.uses_taesd(latents, step_s, every_s):
            return preview_grid(latents, self.family)
        return make_grid(self._taesd_images(latents))

    def _taesd_images(self, latents: Any) -> list[Image.Image]:
        import torch

        from engine.decoders import decode_to_pixels

        started = time.perf_counter()
        pixels = decode_to_pixels(self.taesd, latents).mul(255).round().to(torch.uint8)
        images = [Image.fromarray(array) for array in pixels.permute(0, 2, 3, 1).numpy()]
        for image in images:
            image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        rate = (time.perf_counter() - started) / _pixels(latents)
        self.seconds_per_pixel = min(rate, self.seconds_per_pixel or rate)
        return images


def _pixels(latents: Any) -> int:
    return latents.shape[0] * latents.shape[-2] * latents.shape[-1]
