"""What this machine computes fast, probed at run time (never guessed from a model name).

bfloat16 halves a CPU's memory traffic and, where the CPU has bfloat16 dot-product
instructions (x86 AVX512-BF16 or AMX, Arm BF16), doubles its arithmetic too: a UNet step and a
VAE decode take about half as long as in float32. Without those instructions PyTorch emulates
bfloat16 through float32 and gains nothing, so the choice needs the instruction set itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# Feature names as torch.cpu.get_capabilities() (cpuinfo) and /proc/cpuinfo spell them.
BF16_FEATURES = frozenset({"avx512_bf16", "amx_bf16", "bf16", "sve_bf16", "svebf16"})


@dataclass(frozen=True, slots=True)
class Hardware:
    device: str  # "cpu", "cuda" or "mps"
    native_bf16: bool  # computes bfloat16 in hardware (CPU instructions, or an Ampere+ GPU)
    name: str  # for the log line: the CPU or GPU model


def computes_bf16(features: Iterable[str]) -> bool:
    """True when one of the CPU's feature flags is a bfloat16 arithmetic instruction set."""
    return not BF16_FEATURES.isdisjoint(flag.lower() for flag in features)


def capability_flags(capabilities: Mapping[str, object]) -> frozenset[str]:
    """The features torch.cpu.get_capabilities() reports as present (it mixes in sizes)."""
    return frozenset(name for name, value in capabilities.items() if value is True)


def cpuinfo_flags(text: str) -> frozenset[str]:
    """Feature flags from /proc/cpuinfo: `flags` on x86, `Features` on Arm."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("flags", "features"):
            return frozenset(value.split())
    return frozenset()


def cpu_features() -> frozenset[str]:
    """This CPU's feature flags, from torch's cpuinfo probe where this torch has it."""
    import torch

    get_capabilities = getattr(torch.cpu, "get_capabilities", None)
    if get_capabilities is not None:
        return capability_flags(get_capabilities())
    try:
        return cpuinfo_flags(Path("/proc/cpuinfo").read_text())
    except OSError:
        return frozenset()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def probe(device: str) -> Hardware:
    """What `device` ("cpu", "cuda", "mps") can do on this machine."""
    import torch

    if device == "cuda":
        # Ampere (8.0) and later compute bfloat16 on their tensor cores; older cards emulate it.
        native = torch.cuda.get_device_capability() >= (8, 0)
        return Hardware(device, native, torch.cuda.get_device_name())
    if device == "mps":
        return Hardware(device, False, "Apple GPU")
    return Hardware(device, computes_bf16(cpu_features()), cpu_name())
