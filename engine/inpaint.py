"""Inpainting on the loaded model's own weights: Zoom Out, Pan, Make Square, Vary (Region).

The pipeline is derived once per model with diffusers' `AutoPipelineForInpainting.from_pipe`,
which reuses the loaded unet, VAE and text encoders (no second copy of the weights, as for
image to image): SD 1.x/2.x and turbo models get StableDiffusionInpaintPipeline, SDXL
StableDiffusionXLInpaintPipeline.

The drawing models are ordinary 4-channel UNets, not 9-channel inpainting checkpoints. For
those, diffusers' inpaint pipeline does not feed the mask to the UNet; after every denoising
step it puts back the source's latents, noised to the next step's level, wherever the mask
keeps (`latents = (1 - mask) * noised_source + mask * latents`). The painted part therefore
sees the kept part only through the UNet's receptive field as both denoise together, which
is why a seam of the source is repainted too (engine.canvas). The VAE decode still changes
kept pixels slightly, so `keep_source` copies them back exactly afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.canvas import keep_source
from engine.job import JobSpec


def inpaint_pipeline(text_to_image: Any) -> Any:
    """The inpainting pipeline sharing every module of `text_to_image`."""
    from diffusers import AutoPipelineForInpainting

    pipe = AutoPipelineForInpainting.from_pipe(text_to_image)
    pipe.set_progress_bar_config(disable=True)  # as load_pipeline does
    return pipe


def inpaint_kwargs(
    spec: JobSpec, images: int, open_image: Callable[[str, str], Any]
) -> dict[str, Any]:
    """The canvas and mask for every image of the batch. `open_image(path, mode)` reads a
    stored image at the job's size."""
    assert spec.init_image is not None and spec.mask_image is not None
    canvas, mask = open_image(spec.init_image, "RGB"), open_image(spec.mask_image, "L")
    return {
        "image": [canvas] * images,
        "mask_image": [mask] * images,
        "strength": spec.strength,
        "width": spec.width,
        "height": spec.height,
    }


def keep_unmasked(images: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    """Each generated image with the canvas's kept pixels put back exactly."""
    canvas, mask = kwargs["image"][0], kwargs["mask_image"][0]
    return [keep_source(image, canvas, mask) for image in images]
