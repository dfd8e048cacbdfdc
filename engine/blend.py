"""/blend: one grid that mixes 2-5 images, on the loaded model's weights.

- Without extra model files: the images' VAE latents (each image fitted to the job's size) are
  averaged and the average is drawn from by image to image at the job's strength. A plain
  average pulls every channel towards its mean (a washed-out, grey mix), so each channel's
  spread is set back to the inputs' mean spread: the mix keeps their contrast and colours.
- With an IP-Adapter (MJ_IP_ADAPTER): text to image conditioned on the average of the inputs'
  CLIP image embeddings. The adapter's weights go into the UNet's attention, which every
  pipeline of the model shares, so they are attached only while a blend runs; its image
  encoder is loaded on the first such blend and kept, like the upscaler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import ModelUnavailable

log = logging.getLogger(__name__)

TINY_IP_ADAPTER = "tiny"  # MJ_IP_ADAPTER value for the tiny random test adapter
WEIGHT_SUFFIXES = (".safetensors", ".bin")


def blend_latents(pipe: Any, images: list[Any]) -> Any:
    """One latent image mixing `images` (PIL, all of the job's size), scaled for the UNet."""
    import torch

    vae = pipe.vae
    # SDXL's VAE overflows in float16 (its config asks for float32): encode in float32 then.
    upcast = vae.dtype == torch.float16 and getattr(vae.config, "force_upcast", False)
    dtype = torch.float32 if upcast else vae.dtype
    pixels = pipe.image_processor.preprocess(images).to(vae.device, dtype)
    try:
        if upcast:
            vae.to(dtype=torch.float32)
        # The distribution's mean, not a sample: the mix depends on the images alone.
        latents = vae.encode(pixels).latent_dist.mean * vae.config.scaling_factor
    finally:
        if upcast:
            vae.to(dtype=torch.float16)
    mixed = latents.mean(dim=0, keepdim=True)
    centre = mixed.mean(dim=(2, 3), keepdim=True)
    spread = latents.std(dim=(2, 3), keepdim=True).mean(dim=0, keepdim=True)
    mixed = (mixed - centre) * (spread / mixed.std(dim=(2, 3), keepdim=True).clamp_min(1e-6))
    return (mixed + centre).to(pipe.unet.dtype)


def blend_kwargs(pipe: Any, images: list[Any], count: int, strength: float) -> dict[str, Any]:
    """Image to image arguments starting every image of the batch from the mixed latents."""
    return {"image": blend_latents(pipe, images).repeat(count, 1, 1, 1), "strength": strength}


class IpAdapter:
    """MJ_IP_ADAPTER: a weights file (.safetensors or .bin) with its CLIP image encoder in an
    `image_encoder` folder beside it (the layout of h94/IP-Adapter), as a local path or a hub
    path `owner/repo/sub/folder/file.safetensors`; "tiny" builds a random one for tests."""

    def __init__(self, ref: str | None, *, data_dir: Path, allow_download: bool = True) -> None:
        self.ref = ref
        self.data_dir = data_dir
        self.allow_download = allow_download
        self._weights: Path | None = None
        self._encoder: Any = None
        self._processor: Any = None

    def _files(self, ref: str) -> Path:
        """The weights file on disk (its image encoder beside it)."""
        if ref == TINY_IP_ADAPTER:
            from engine.tiny import ensure_tiny_ip_adapter

            return ensure_tiny_ip_adapter(self.data_dir / "models" / "tiny-ip-adapter")
        path = Path(ref).expanduser()
        if path.is_file():
            return path
        parts = ref.split("/")
        if len(parts) < 3 or not ref.endswith(WEIGHT_SUFFIXES) or path.is_absolute():
            raise ModelUnavailable(
                "it is neither a weights file on this machine nor a hub path like "
                "h94/IP-Adapter/models/ip-adapter_sd15.safetensors"
            )
        from huggingface_hub import hf_hub_download, snapshot_download

        repo, filename = "/".join(parts[:2]), "/".join(parts[2:])
        encoder = "/".join([*parts[2:-1], "image_encoder", "*"])
        offline = not self.allow_download
        weights = hf_hub_download(repo, filename, local_files_only=offline)
        snapshot_download(repo, allow_patterns=[encoder], local_files_only=offline)
        return Path(weights)

    def _load(self, device: Any, dtype: Any) -> None:
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        if self.ref is None:
            raise ModelUnavailable(
                "This blend was queued for an IP-Adapter (MJ_IP_ADAPTER), and none is "
                "configured now. Blend again to mix the images' latents instead."
            )
        try:
            weights = self._files(self.ref)
            encoder = CLIPVisionModelWithProjection.from_pretrained(
                weights.parent / "image_encoder", dtype=dtype, local_files_only=True
            ).to(device)
        except ModelUnavailable as exc:
            raise ModelUnavailable(f"MJ_IP_ADAPTER={self.ref!r}: {exc}") from exc
        except Exception as exc:  # whatever the cause, the user gets one readable sentence
            log.exception("could not load the IP-Adapter %s", self.ref)
            reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            raise ModelUnavailable(
                f"The IP-Adapter could not be loaded (MJ_IP_ADAPTER={self.ref!r}): {reason}"
            ) from exc
        size = encoder.config.image_size
        self._processor = CLIPImageProcessor(size=size, crop_size=size)
        self._encoder, self._weights = encoder, weights

    @contextmanager
    def attached(self, pipe: Any) -> Iterator[None]:
        """The adapter in `pipe`'s UNet for one run; the UNet is restored afterwards."""
        if self._encoder is None:
            self._load(pipe.unet.device, pipe.unet.dtype)
        assert self._weights is not None
        from diffusers.utils import logging as diffusers_logging

        # Its loader warns, every time, that it loads no image encoder: ours is kept loaded.
        verbosity = diffusers_logging.get_verbosity()
        diffusers_logging.set_verbosity_error()
        try:
            pipe.load_ip_adapter(
                str(self._weights.parent),
                subfolder="",
                weight_name=self._weights.name,
                image_encoder_folder=None,
                local_files_only=True,
            )
        finally:
            diffusers_logging.set_verbosity(verbosity)
        try:
            yield
        finally:
            pipe.unload_ip_adapter()

    def embeds_kwargs(self, pipe: Any, images: list[Any], count: int, cfg: float) -> dict:
        """`ip_adapter_image_embeds` for a batch of `count`: the inputs' embeddings averaged,
        the unconditional half first when classifier-free guidance is on. Inside `attached`."""
        import torch
        from diffusers.models.embeddings import ImageProjection

        encoder = self._encoder
        pixels = self._processor(images, return_tensors="pt").pixel_values
        pixels = pixels.to(encoder.device, encoder.dtype)
        projection = pipe.unet.encoder_hid_proj.image_projection_layers[0]
        if isinstance(projection, ImageProjection):  # the plain adapter: pooled embeddings
            embeds = encoder(pixels).image_embeds
            empty = torch.zeros_like(embeds[:1])
        else:  # "plus" adapters read the penultimate hidden states
            embeds = encoder(pixels, output_hidden_states=True).hidden_states[-2]
            zeros = torch.zeros_like(pixels[:1])
            empty = encoder(zeros, output_hidden_states=True).hidden_states[-2]
        mixed = embeds.mean(dim=0, keepdim=True)
        ones = [1] * mixed.dim()
        batch = mixed.unsqueeze(0).repeat(count, *ones)  # (count, 1 image, ...)
        guided = cfg > 1 and pipe.unet.config.time_cond_proj_dim is None
        if guided:
            batch = torch.cat([empty.unsqueeze(0).repeat(count, *ones), batch])
        return {"ip_adapter_image_embeds": [batch.to(pipe.unet.dtype)]}
