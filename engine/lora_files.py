"""What a LoRA file is, read from its tensor names and shapes alone (no torch, no weights).

Two layouts are common. The kohya/A1111 one (sd-scripts, most model sites):
`lora_unet_<module>.lora_down.weight`, `lora_te_...` (`lora_te1_`/`lora_te2_` for SDXL's two
text encoders) and an `.alpha` per module. The diffusers one (`save_lora_weights`, PEFT):
`unet.<module>.lora_A.weight`, `text_encoder.<module>.lora_A.weight`. diffusers loads both; this
module only decides, cheaply and before anything is charged, whether a file is a LoRA and which
base family it was trained for, from the width of what its cross-attention keys and values
read: the text embedding, 768 wide for SD 1.x (CLIP ViT-L), 1024 for SD 2.x (OpenCLIP ViT-H),
2048 for SDXL (both encoders side by side).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

# Cross-attention width -> base family. "tiny" is the random test pipeline's 32.
CROSS_ATTENTION_FAMILIES = {768: "sd1", 1024: "sd2", 2048: "sdxl", 32: "tiny"}
# Text-encoder hidden width -> family, for LoRAs that train only the text encoder.
TEXT_ENCODER_FAMILIES = {768: "sd1", 1024: "sd2", 1280: "sdxl", 32: "tiny"}
FAMILY_NAMES = {"sd1": "SD 1.x", "sd2": "SD 2.x", "sdxl": "SDXL", "tiny": "the tiny test model"}
# A model profile's family -> the base family its LoRAs are trained on (turbo models are
# distilled from SD 2.1 and SDXL and keep their shapes).
MODEL_BASE_FAMILY = {
    "sd1": "sd1",
    "sd2": "sd2",
    "sd-turbo": "sd2",
    "sdxl": "sdxl",
    "sdxl-turbo": "sdxl",
    "tiny": "tiny",
}
# LyCORIS variants diffusers cannot load: refuse them by name instead of failing later.
_UNSUPPORTED = {
    ".hada_w1_a": "LoHa",
    ".lokr_w1": "LoKr",
    ".oft_blocks": "OFT",
    ".diff": "full diff",
}
_CROSS_KV = re.compile(r"attn2[._](processor[._])?to_[kv]")
_DOWN = (".lora_down.weight", ".lora_A.weight", ".lora.down.weight", "_lora.down.weight")


class LoraFileError(ValueError):
    """The file is not a LoRA this bot can use; the message says why, for the owner."""


@dataclass(frozen=True, slots=True)
class LoraInfo:
    layout: str  # "kohya" or "diffusers"
    family: str  # "sd1", "sd2", "sdxl" or "tiny"
    rank: int  # the largest rank among its modules
    parts: tuple[str, ...]  # what it changes: "unet", "text_encoder" and/or "text_encoder_2"
    modules: int  # how many layers it adapts


def inspect_lora(path: Path) -> LoraInfo:
    """Read a `.safetensors` LoRA's header (tensor names and shapes, not the tensors)."""
    from safetensors import SafetensorError, safe_open

    if path.suffix.lower() != ".safetensors":
        raise LoraFileError(
            f"{path.name}: LoRA files must be .safetensors (pickled .pt/.ckpt files can run "
            "code when loaded)"
        )
    try:
        with safe_open(str(path), framework="numpy") as handle:
            names = handle.keys()  # a safe_open handle is not iterable itself
            shapes = {key: tuple(handle.get_slice(key).get_shape()) for key in names}
    except (OSError, SafetensorError) as exc:
        raise LoraFileError(f"{path.name} could not be read as safetensors: {exc}") from exc
    return describe(shapes, path.name)


def describe(shapes: dict[str, tuple[int, ...]], name: str = "this file") -> LoraInfo:
    """Layout, family, rank and parts from tensor names and shapes (a pure function)."""
    for marker, kind in _UNSUPPORTED.items():
        if any(key.endswith(marker) for key in shapes):
            raise LoraFileError(f"{name} is a LyCORIS {kind} file; only plain LoRAs load here")
    downs = {key: shape for key, shape in shapes.items() if key.endswith(_DOWN)}
    if not downs:
        raise LoraFileError(f"{name} holds no LoRA weights (no lora_down / lora_A tensors)")
    kohya = any(key.startswith(("lora_unet_", "lora_te")) for key in downs)
    return LoraInfo(
        layout="kohya" if kohya else "diffusers",
        family=_family(downs, name),
        rank=max(shape[0] for shape in downs.values()),
        parts=tuple(sorted({_part(key) for key in downs})),
        modules=len(downs),
    )


def _part(key: str) -> str:
    if key.startswith(("lora_te2_", "text_encoder_2.")):
        return "text_encoder_2"
    if key.startswith(("lora_te", "text_encoder.")):
        return "text_encoder"
    return "unet"


def _family(downs: dict[str, tuple[int, ...]], name: str) -> str:
    # 1. The UNet's cross-attention keys and values read the text embedding: its width.
    widths = {shape[1] for key, shape in downs.items() if _CROSS_KV.search(key) and len(shape) > 1}
    # 2. Else the text encoder's own width (a second encoder means SDXL).
    if not widths:
        if any(_part(key) == "text_encoder_2" for key in downs):
            return "sdxl"
        widths = {
            shape[1]
            for key, shape in downs.items()
            if _part(key) == "text_encoder" and "self_attn" in key and len(shape) > 1
        }
        families = {TEXT_ENCODER_FAMILIES.get(width) for width in widths}
    else:
        families = {CROSS_ATTENTION_FAMILIES.get(width) for width in widths}
    if len(families) != 1 or None in families:
        found = ", ".join(str(width) for width in sorted(widths)) or "none"
        raise LoraFileError(
            f"{name}: cannot tell which base model it was trained for (text widths: {found}; "
            "known: SD 1.x 768, SD 2.x 1024, SDXL 2048)"
        )
    return families.pop()


def fits(lora_family: str, model_family: str) -> bool:
    """Whether a LoRA of `lora_family` can be applied to a model of profile `model_family`."""
    return MODEL_BASE_FAMILY.get(model_family, model_family) == lora_family


def family_name(family: str) -> str:
    return FAMILY_NAMES.get(family, family)


def file_sha256(path: Path) -> str:
    """The file's sha256 (model sites list it; A1111's short "AutoV2" hash is its first 10)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
