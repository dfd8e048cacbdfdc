"""Real models' shapes with random weights, built in code (nothing is downloaded).

Speed depends on shapes, not on weight values, so these stand in for the real checkpoints:
- `sd_turbo_pipeline`: stabilityai/sd-turbo's layout (the SD 2.1 UNet, 865M parameters;
  the OpenCLIP ViT-H text encoder, 340M; the SD VAE, 84M), its trailing Euler scheduler,
  and the tiny model's byte-level tokenizer (the vocabulary's size costs nothing per step);
- `sd15_unet`: the SD 1.5 UNet (diffusers' defaults with CLIP ViT-L's 768-wide context);
- `taesd`: AutoencoderTiny's defaults, which are madebyollin/taesd's layout.
`Shape.small` shrinks every width so the same code runs in the test suite in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Shape:
    name: str
    unet_channels: tuple[int, ...]
    unet_heads: tuple[int, ...]  # attention head dims per block (SD 2.x's are 5, 10, 20, 20)
    context: int  # text encoder width = UNet cross-attention width
    text_layers: int
    text_heads: int
    vae_channels: tuple[int, ...]
    taesd_channels: int
    norm_groups: int
    size: int  # image side in pixels


SD_TURBO = Shape(
    "sd-turbo",
    unet_channels=(320, 640, 1280, 1280),
    unet_heads=(5, 10, 20, 20),
    context=1024,
    text_layers=23,
    text_heads=16,
    vae_channels=(128, 256, 512, 512),
    taesd_channels=64,
    norm_groups=32,
    size=512,
)
SMALL = Shape(
    "sd-turbo-small",
    unet_channels=(8, 16, 32, 32),
    unet_heads=(2, 4, 8, 8),
    context=16,
    text_layers=2,
    text_heads=2,
    vae_channels=(8, 8, 16, 16),
    taesd_channels=8,
    norm_groups=4,
    size=64,
)


def sd_turbo_pipeline(shape: Shape = SD_TURBO, seed: int = 0):  # -> StableDiffusionPipeline
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel

    from engine.tiny import byte_level_text_model, text_to_image_pipeline

    torch.manual_seed(seed)
    text_encoder, tokenizer = byte_level_text_model(
        hidden_size=shape.context,
        intermediate_size=shape.context * 4,
        num_attention_heads=shape.text_heads,
        num_hidden_layers=shape.text_layers,
        hidden_act="gelu",
        projection_dim=shape.context,
    )
    unet = UNet2DConditionModel(
        sample_size=shape.size // 8,
        block_out_channels=shape.unet_channels,
        attention_head_dim=shape.unet_heads,
        cross_attention_dim=shape.context,
        use_linear_projection=True,
        norm_num_groups=shape.norm_groups,
    )
    blocks = len(shape.vae_channels)
    vae = AutoencoderKL(
        block_out_channels=shape.vae_channels,
        down_block_types=("DownEncoderBlock2D",) * blocks,
        up_block_types=("UpDecoderBlock2D",) * blocks,
        layers_per_block=2,
        latent_channels=4,
        norm_num_groups=shape.norm_groups,
        sample_size=shape.size,
    )
    # SD-Turbo's scheduler: Euler over trailing timesteps (one step starts from pure noise).
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="trailing",
    )
    return text_to_image_pipeline(unet, vae, text_encoder, tokenizer, scheduler)


def taesd(shape: Shape = SD_TURBO, seed: int = 0):  # -> AutoencoderTiny
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(seed)
    width = (shape.taesd_channels,) * 4
    return AutoencoderTiny(encoder_block_out_channels=width, decoder_block_out_channels=width)


def sd15_unet(shape: Shape | None = None, seed: int = 0):  # -> UNet2DConditionModel
    """SD 1.5's UNet at 512² (64² latents); `shape` shrinks it for smoke tests."""
    import torch
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    if shape is None:
        return UNet2DConditionModel(sample_size=64, cross_attention_dim=768)
    return UNet2DConditionModel(
        sample_size=shape.size // 8,
        block_out_channels=shape.unet_channels,
        attention_head_dim=shape.unet_heads[0],
        cross_attention_dim=shape.context,
        norm_num_groups=shape.norm_groups,
    )


def saved_once(folder: Path, build: Any) -> Path:
    """Build and save_pretrained once (random weights of a real size take a while to make);
    the file written last proves a complete save."""
    done = folder / "mjbot-bench-complete"
    if not done.exists():
        build().save_pretrained(folder)
        done.write_text("random weights with a real model's shapes, built by bench/shapes.py\n")
    return folder
