"""How the engine runs a model on this hardware: number format, memory layout, attention,
compilation, cuDNN autotuning, and which decoder draws the final image and the previews.

`plan` is a pure decision from the owner's settings (`Tuning`) and the probed hardware;
engine.speed carries it out on a loaded pipeline. bench/time_to_image.py (CPU) and bench/gpu.py
(CUDA) measure each choice; bench/RESULTS.md has the figures behind the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.hardware import Hardware

DTYPES = ("auto", "float32", "float16", "bfloat16")
SWITCHES = ("auto", "on", "off")
# torch.compile's modes; "off" runs eagerly. bench/gpu.py times each on a CUDA card.
COMPILE_MODES = ("off", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
DECODERS = ("vae", "taesd")  # the model's own VAE, or the tiny autoencoder (TAESD)
PREVIEWS = ("auto", "taesd", "linear")


@dataclass(frozen=True, slots=True)
class Tuning:
    """The owner's choices (MJ_DTYPE, MJ_CHANNELS_LAST, MJ_COMPILE, MJ_CUDNN_BENCHMARK,
    MJ_DECODER, MJ_PREVIEWS, MJ_TAESD); "auto" lets the probed hardware decide."""

    dtype: str = "auto"
    channels_last: str = "auto"
    compile: str = "off"
    cudnn_benchmark: str = "auto"
    decoder: str = "vae"
    previews: str = "auto"
    taesd: str | None = None  # a TAESD hub id or folder; None: the one for the model's family

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("dtype", self.dtype, DTYPES),
            ("channels_last", self.channels_last, SWITCHES),
            ("compile", self.compile, COMPILE_MODES),
            ("cudnn_benchmark", self.cudnn_benchmark, SWITCHES),
            ("decoder", self.decoder, DECODERS),
            ("previews", self.previews, PREVIEWS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Plan:
    """What the engine does for one model on this hardware."""

    dtype: str  # a torch dtype name
    channels_last: bool
    compile_mode: str | None  # None: eager
    cudnn_benchmark: bool


def choose_dtype(preference: str, hardware: Hardware, family: str) -> str:
    """float16 on GPUs, bfloat16 on GPUs for SDXL-family models and on CPUs that compute it
    natively, float32 elsewhere; an explicit preference always wins."""
    if preference != "auto":
        return preference
    if hardware.device == "cuda":
        # SDXL's VAE overflows in float16 (diffusers then decodes in float32, slowly);
        # bfloat16 has float32's range at float16's speed on cards that compute it.
        if family.startswith("sdxl") and hardware.native_bf16:
            return "bfloat16"
        return "float16"
    if hardware.device == "mps":
        return "float16"
    return "bfloat16" if hardware.native_bf16 else "float32"


def plan(tuning: Tuning, hardware: Hardware, family: str) -> Plan:
    # channels_last suits oneDNN's CPU convolutions and the tensor cores' NHWC kernels; on
    # Apple's MPS it falls back to slower paths, so auto leaves it off there.
    channels_last = {"on": True, "off": False}.get(tuning.channels_last, hardware.device != "mps")
    # cuDNN autotuning pays a few hundred ms on each new shape once, then runs the fastest
    # convolution for it: worth it for a long-running bot whose shapes repeat.
    cudnn = {"on": True, "off": False}.get(tuning.cudnn_benchmark, hardware.device == "cuda")
    return Plan(
        dtype=choose_dtype(tuning.dtype, hardware, family),
        channels_last=channels_last,
        compile_mode=None if tuning.compile == "off" else tuning.compile,
        cudnn_benchmark=cudnn and hardware.device == "cuda",
    )
