"""Setting a freshly loaded model up for speed: the tuning plan carried out on its modules,
TAESD loaded for the final decode and previews, the UNet compiled in the background."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.compiling import BackgroundCompiled
from engine.decoders import load_taesd, taesd_ref
from engine.errors import ModelUnavailable
from engine.hardware import probe
from engine.models import ModelSource, load_pipeline
from engine.previews import Previewer
from engine.profiles import ModelProfile
from engine.tuning import Plan, Tuning, plan

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Acceleration:
    """What one loaded model runs with."""

    plan: Plan
    decoder: Any  # TAESD for the final decode, or None: the model's own VAE
    previewer: Previewer
    compiled: BackgroundCompiled | None = None


def use_fused_attention(model: Any) -> list[str]:
    """Give every attention layer still on diffusers' unfused processor PyTorch's fused
    scaled-dot-product attention (flash or memory-efficient kernels on GPUs, a fused kernel
    on CPUs). Other processors (IP-Adapter, already fused) are left alone. Returns the
    processor class names in use afterwards, for the log."""
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    names = set()
    for module in model.modules():
        if not hasattr(module, "set_processor") or not hasattr(module, "get_processor"):
            continue
        if type(module.get_processor()) is AttnProcessor:
            module.set_processor(AttnProcessor2_0())
        names.add(type(module.get_processor()).__name__)
    return sorted(names)


def apply_plan(pipe: Any, chosen: Plan) -> list[str]:
    """Memory layout, attention and cuDNN autotuning (the dtype was set by the loader).
    Returns the attention processors in use."""
    import torch

    if chosen.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    attention: set[str] = set()
    for name in ("unet", "vae"):
        module = getattr(pipe, name, None)
        if module is None:
            continue
        if chosen.channels_last:
            module.to(memory_format=torch.channels_last)
        attention.update(use_fused_attention(module))
    return sorted(attention)


def load_tuned(
    source: ModelSource,
    folder: Path | None,
    profile: ModelProfile,
    tuning: Tuning,
    *,
    device: str,
    data_dir: Path,
    allow_download: bool,
    single_file_config: str | None,
    compile_backend: str,
) -> tuple[Any, Acceleration]:
    """Load a model's pipeline in the number format planned for this hardware, then set it up
    for speed (`prepare`)."""
    import torch

    hardware = probe(device)
    chosen = plan(tuning, hardware, profile.family)
    log.info("loading %s on %s (%s), %s", source.ref, device, hardware.name, chosen.dtype)
    pipe = load_pipeline(source, folder, device, getattr(torch, chosen.dtype), single_file_config)
    speed = prepare(
        pipe,
        chosen,
        tuning,
        family=profile.family,
        native=profile.native,
        data_dir=data_dir,
        allow_download=allow_download,
        compile_backend=compile_backend,
    )
    return pipe, speed


def prepare(
    pipe: Any,
    chosen: Plan,
    tuning: Tuning,
    *,
    family: str,
    native: int,
    data_dir: Path,
    allow_download: bool,
    compile_backend: str = "inductor",
) -> Acceleration:
    """Carry out `chosen` on `pipe`, load the TAESD it needs, and start compiling."""
    attention = apply_plan(pipe, chosen)
    taesd = _taesd(pipe, chosen, tuning, family, data_dir, allow_download)
    previewer = Previewer(family, taesd, tuning.previews)
    if taesd is not None and tuning.previews == "auto":
        cost = previewer.calibrate(_zero_latents(taesd, native // pipe.vae_scale_factor))
        log.info("TAESD previews cost %.0f ms per image here", cost * 1000)
    compiled = None
    if chosen.compile_mode is not None:
        compiled = BackgroundCompiled(pipe.unet, chosen.compile_mode, compile_backend)
    log.info(
        "speed: %s, channels_last %s, attention %s, cudnn.benchmark %s, decoder %s, "
        "previews %s, torch.compile %s",
        chosen.dtype,
        "on" if chosen.channels_last else "off",
        "/".join(attention) or "none",
        "on" if chosen.cudnn_benchmark else "off",
        tuning.decoder,
        tuning.previews if taesd is not None else "linear",
        chosen.compile_mode or "off",
    )
    return Acceleration(chosen, taesd if tuning.decoder == "taesd" else None, previewer, compiled)


def _taesd(
    pipe: Any, chosen: Plan, tuning: Tuning, family: str, data_dir: Path, allow_download: bool
) -> Any:
    """TAESD when the decoder or the previews want it. A decoder that cannot be had fails the
    load (the owner asked for it); previews fall back to the projection."""
    if tuning.decoder != "taesd" and tuning.previews == "linear":
        return None
    try:
        return load_taesd(
            taesd_ref(family, tuning.taesd),
            data_dir=data_dir,
            device=str(pipe.device),
            dtype=pipe.unet.dtype,
            channels_last=chosen.channels_last,
            allow_download=allow_download,
        )
    except Exception as exc:
        if tuning.decoder != "taesd":
            log.info("previews use the linear projection (no TAESD: %s)", exc)
            return None
        if isinstance(exc, ModelUnavailable):
            raise
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ModelUnavailable(f"MJ_DECODER=taesd: TAESD could not be loaded: {reason}") from exc


def _zero_latents(taesd: Any, side: int) -> Any:
    """Latents of one image at the model's native size: what a preview decodes (its cost does
    not depend on the values)."""
    import torch

    shape = (1, taesd.config.latent_channels, side, side)
    return torch.zeros(shape, device=taesd.device, dtype=taesd.dtype)
