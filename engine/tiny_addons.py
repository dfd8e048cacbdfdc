"""Tiny random add-ons for the tiny pipeline: LoRA files in both layouts and a 4x GAN upscaler.

Made the way real ones are: the LoRA with PEFT on the tiny UNet and text encoder (random, not
zero, up-projections, so it visibly changes the image), saved by diffusers'
`save_lora_weights` (the diffusers layout) and renamed to the kohya/A1111 layout that model
sites serve; the upscaler from spandrel's own ESRGAN class, saved as bare weights, as
Real-ESRGAN's files are. Nothing is downloaded; their outputs are noise.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

Layout = Literal["diffusers", "kohya"]
UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]


def tiny_lora_state(seed: int, rank: int = 4) -> dict[str, Any]:
    """A random LoRA for the tiny pipeline, in the diffusers layout (`unet.…lora_A.weight`)."""
    import torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    from engine.tiny import build_tiny_pipeline

    pipe = build_tiny_pipeline()
    torch.manual_seed(seed)
    state: dict[str, Any] = {}
    for component, targets in (("unet", UNET_TARGETS), ("text_encoder", TEXT_TARGETS)):
        model = getattr(pipe, component)
        config = LoraConfig(
            r=rank, lora_alpha=rank, target_modules=targets, init_lora_weights=False
        )
        model.add_adapter(config, adapter_name="tiny")
        layers = get_peft_model_state_dict(model, adapter_name="tiny")
        state.update({f"{component}.{key}": value for key, value in layers.items()})
    return state


def kohya_layout(state: dict[str, Any]) -> dict[str, Any]:
    """diffusers-layout LoRA tensors renamed as sd-scripts (kohya) writes them for SD 1.x."""
    import torch

    renamed: dict[str, Any] = {}
    for key, value in state.items():
        component, _, rest = key.partition(".")
        module, _, which = rest.rpartition(".lora_")
        stem = module.replace(".", "_")
        prefix = "lora_unet_" if component == "unet" else "lora_te_text_model_"
        down = which.startswith("A")
        renamed[f"{prefix}{stem}.{'lora_down' if down else 'lora_up'}.weight"] = value
        if down:  # alpha = rank: scale 1, as the diffusers file has
            renamed[f"{prefix}{stem}.alpha"] = torch.tensor(float(value.shape[0]))
    return renamed


def write_tiny_lora(path: Path, seed: int, layout: Layout = "diffusers", rank: int = 4) -> Path:
    """Save a tiny random LoRA as one .safetensors file in the given layout."""
    from safetensors.torch import save_file

    state = tiny_lora_state(seed, rank)
    if layout == "kohya":
        state = kohya_layout(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: value.contiguous() for key, value in state.items()}, str(path))
    return path


def build_tiny_gan(seed: int = 0) -> Any:  # -> spandrel's ESRGAN (RRDBNet) module
    """An ESRGAN with Real-ESRGAN's layout at a toy size: 8 filters, one RRDB block, 4x."""
    import torch
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(seed)
    return ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=4)


def ensure_tiny_gan(path: Path) -> Path:
    """Save the tiny GAN upscaler's weights once (MJ_GAN_UPSCALER=tiny); later calls reuse."""
    if path.is_file():
        return path
    from safetensors.torch import save_file

    log.warning("MJ_GAN_UPSCALER=tiny: building a tiny random upscaler in %s", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = build_tiny_gan().state_dict()
    save_file({key: value.contiguous() for key, value in state.items()}, str(path))
    return path
