"""The tiny autoencoder, TAESD: the final decode when MJ_DECODER=taesd, and live previews.

TAESD (madebyollin/taesd for SD 1.x/2.x and SD-Turbo, madebyollin/taesdxl for SDXL) reads
the same latents as the model's own VAE at about a tenth of its cost, with softer fine
detail. It is loaded like any model (hub id, local folder), and `MJ_TAESD=tiny` builds a
tiny random one for tests. For a job it takes the pipeline's `vae` seat (`decoding_with`),
so diffusers' own decode path (safety checker, watermark, scaling) runs unchanged; start
images of variations and upscales are then encoded by TAESD too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import ModelUnavailable
from engine.models import hub_snapshot, is_hub_id

log = logging.getLogger(__name__)

TINY = "tiny"  # the tiny random TAESD of the tiny test model
TAESD_BY_FAMILY = {
    "sd1": "madebyollin/taesd",
    "sd2": "madebyollin/taesd",
    "sd-turbo": "madebyollin/taesd",
    "sdxl": "madebyollin/taesdxl",
    "sdxl-turbo": "madebyollin/taesdxl",
    "tiny": TINY,
}


def taesd_ref(family: str, override: str | None = None) -> str:
    """Which TAESD decodes this model family's latents (MJ_TAESD overrides)."""
    if override:
        return override
    try:
        return TAESD_BY_FAMILY[family]
    except KeyError:
        raise ModelUnavailable(
            f"No TAESD is known for {family} models: set MJ_TAESD to one that reads their "
            "latents, or MJ_DECODER=vae."
        ) from None


def build_tiny_taesd(seed: int = 0):  # -> AutoencoderTiny
    """A random AutoencoderTiny with the tiny test VAE's shape: 4 latent channels, one 2x
    upsampling (engine.tiny's VAE has two blocks), 8 channels wide."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(seed)
    return AutoencoderTiny(
        encoder_block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8),
        num_encoder_blocks=(1, 1),
        num_decoder_blocks=(1, 1),
    )


def resolve_taesd(ref: str, data_dir: Path, *, allow_download: bool) -> Path:
    """A local folder holding the AutoencoderTiny `ref` names; ModelUnavailable if none."""
    if ref == TINY:
        folder = data_dir / "models" / "tiny-taesd"
        # save_pretrained writes the weights last: their file proves a complete save.
        if not (folder / "diffusion_pytorch_model.safetensors").is_file():
            log.warning("building a tiny random TAESD in %s; it decodes noise", folder)
            build_tiny_taesd().save_pretrained(folder)
        return folder
    folder = Path(ref).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise ModelUnavailable(
                f"{folder} has no config.json: point MJ_TAESD at a folder saved with "
                "AutoencoderTiny.save_pretrained, or at a hub id like madebyollin/taesd."
            )
        return folder
    if not is_hub_id(ref):
        raise ModelUnavailable(
            f"MJ_TAESD={ref!r} is neither a local folder nor a hub id like madebyollin/taesd."
        )
    return hub_snapshot(
        ref,
        allow_download=allow_download,
        instead="set MJ_DECODER=vae (the model's own VAE, slower)",
    )


def load_taesd(
    ref: str, *, data_dir: Path, device: str, dtype: Any, channels_last: bool, allow_download: bool
):  # -> AutoencoderTiny
    import torch
    from diffusers import AutoencoderTiny

    folder = resolve_taesd(ref, data_dir, allow_download=allow_download)
    decoder = AutoencoderTiny.from_pretrained(folder, dtype=dtype, local_files_only=True)
    decoder = decoder.to(device).eval()
    if channels_last:
        decoder.to(memory_format=torch.channels_last)
    log.info("TAESD %s loaded on %s/%s", ref, device, dtype)
    return decoder


@contextmanager
def decoding_with(pipe: Any, decoder: Any | None) -> Iterator[None]:
    """Run one pipeline call with `decoder` in the `vae` seat (None: the model's own VAE).
    The seat is per pipeline object and the worker thread runs one call at a time."""
    if decoder is None or decoder is pipe.vae:
        yield
        return
    vae = pipe.vae
    pipe.vae = decoder
    try:
        yield
    finally:
        pipe.vae = vae


def decode_to_pixels(decoder: Any, latents: Any) -> Any:
    """Latents as the UNet sees them -> (N, 3, H, W) float32 pixels in 0..1 on the CPU."""
    import torch

    with torch.inference_mode():
        scaled = latents.to(decoder.dtype) / decoder.config.scaling_factor
        images = decoder.decode(scaled, return_dict=False)[0]
        return ((images.float() + 1) / 2).clamp(0, 1).cpu()
