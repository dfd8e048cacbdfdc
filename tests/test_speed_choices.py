"""The speed decisions as pure functions: CPU features, number format, plan, preview budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.compiling import shape_key
from engine.decoders import taesd_ref
from engine.errors import ModelUnavailable
from engine.hardware import (
    Hardware,
    capability_flags,
    computes_bf16,
    cpuinfo_flags,
    probe,
)
from engine.previews import taesd_affordable
from engine.tuning import Tuning, choose_dtype, plan

ZEN4 = Hardware("cpu", True, "AMD EPYC")
OLD_CPU = Hardware("cpu", False, "Intel Xeon E5")
H100 = Hardware("cuda", True, "NVIDIA H100")
T4 = Hardware("cuda", False, "Tesla T4")
MAC = Hardware("mps", False, "Apple GPU")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx512f", "avx512_bf16", "avx2"}, True),
        ({"amx_bf16", "amx_tile"}, True),
        ({"fp", "asimd", "bf16", "i8mm"}, True),  # Arm v8.6 (Graviton3, Apple M2)
        ({"AVX512_BF16"}, True),
        ({"avx512f", "avx512_vnni", "avx2"}, False),  # AVX-512 without bfloat16 dot products
        ({"avx2", "fma"}, False),
        (set(), False),
    ],
    ids=["avx512-bf16", "amx", "arm-bf16", "upper-case", "avx512-only", "avx2", "none"],
)
def test_bfloat16_needs_its_own_instructions(flags: set[str], expected: bool) -> None:
    assert computes_bf16(flags) is expected


def test_cpuinfo_flags_on_x86_and_arm() -> None:
    x86 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512_bf16\n"
    arm = "processor\t: 0\nFeatures\t: fp asimd bf16\nCPU part\t: 0xd40\n"
    assert cpuinfo_flags(x86) == {"fpu", "avx2", "avx512_bf16"}
    assert cpuinfo_flags(arm) == {"fp", "asimd", "bf16"}
    assert cpuinfo_flags("model name : no flags here") == frozenset()


@given(st.text(), st.lists(st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True), max_size=8))
def test_any_cpuinfo_text_parses(noise: str, flags: list[str]) -> None:
    assert isinstance(cpuinfo_flags(noise), frozenset)
    text = f"{noise}\nflags\t: {' '.join(flags)}\n" if "flags" not in noise.lower() else noise
    if "flags" not in noise.lower() and "features" not in noise.lower():
        assert cpuinfo_flags(text) == frozenset(flags)


def test_torch_capabilities_keep_only_present_features() -> None:
    caps = {"avx512_bf16": True, "amx_bf16": False, "l2_cache_size": 1048576, "avx2": True}
    assert capability_flags(caps) == {"avx512_bf16", "avx2"}


def test_the_probe_agrees_with_proc_cpuinfo() -> None:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo to compare with")
    assert probe("cpu").native_bf16 == computes_bf16(cpuinfo_flags(cpuinfo.read_text()))


@pytest.mark.parametrize(
    ("preference", "hardware", "family", "expected"),
    [
        ("auto", ZEN4, "sd-turbo", "bfloat16"),
        ("auto", OLD_CPU, "sd-turbo", "float32"),
        ("float32", ZEN4, "sd-turbo", "float32"),
        ("auto", H100, "sd1", "float16"),
        ("auto", H100, "sdxl", "bfloat16"),  # SDXL's VAE overflows in float16
        ("auto", T4, "sdxl", "float16"),  # no bfloat16 units: diffusers upcasts the VAE
        ("auto", MAC, "sd1", "float16"),
        ("bfloat16", T4, "sd1", "bfloat16"),
    ],
    ids=[
        "bf16-cpu",
        "old-cpu",
        "explicit",
        "gpu",
        "gpu-sdxl",
        "old-gpu-sdxl",
        "mps",
        "explicit-gpu",
    ],
)
def test_choose_dtype(preference: str, hardware: Hardware, family: str, expected: str) -> None:
    assert choose_dtype(preference, hardware, family) == expected


def test_plan_defaults_per_device() -> None:
    cpu = plan(Tuning(), ZEN4, "sd-turbo")
    assert (cpu.dtype, cpu.channels_last, cpu.cudnn_benchmark, cpu.compile_mode) == (
        "bfloat16",
        True,
        False,
        None,
    )
    gpu = plan(Tuning(compile="max-autotune-no-cudagraphs"), H100, "sd1")
    assert (gpu.dtype, gpu.channels_last, gpu.cudnn_benchmark) == ("float16", True, True)
    assert gpu.compile_mode == "max-autotune-no-cudagraphs"
    assert not plan(Tuning(), MAC, "sd1").channels_last


def test_plan_follows_the_owner() -> None:
    chosen = plan(Tuning(channels_last="off", cudnn_benchmark="off"), H100, "sd1")
    assert not chosen.channels_last and not chosen.cudnn_benchmark
    assert plan(Tuning(channels_last="on"), MAC, "sd1").channels_last
    # cuDNN exists on CUDA only: "on" elsewhere changes nothing.
    assert not plan(Tuning(cudnn_benchmark="on"), ZEN4, "sd1").cudnn_benchmark


@pytest.mark.parametrize(
    ("field", "value"),
    [("dtype", "half"), ("decoder", "fast"), ("compile", "on"), ("previews", "vae")],
)
def test_tuning_rejects_unknown_values(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        Tuning(**{field: value})


@pytest.mark.parametrize(
    ("decode_s", "step_s", "every_s", "expected"),
    [
        (0.002, 0.010, 1.0, True),  # a GPU: 2 ms once a second
        (0.002, 0.010, 0.0, False),  # ... but every 10 ms step would cost 20%
        (0.0001, 0.010, 0.0, True),  # 1% of each step
        (1.0, 3.0, 1.0, False),  # a CPU: a third of each 3 s step
        (1.0, 3.0, 60.0, True),  # ... once a minute is under 2%
    ],
    ids=["gpu-paced", "gpu-every-step", "cheap-every-step", "cpu", "cpu-rarely"],
)
def test_taesd_previews_stay_within_two_percent(
    decode_s: float, step_s: float, every_s: float, expected: bool
) -> None:
    assert taesd_affordable(decode_s, step_s, every_s) is expected


def test_taesd_for_each_family() -> None:
    assert taesd_ref("sd-turbo") == "madebyollin/taesd"
    assert taesd_ref("sd1") == taesd_ref("sd2") == "madebyollin/taesd"
    assert taesd_ref("sdxl-turbo") == "madebyollin/taesdxl"
    assert taesd_ref("sd1", "/models/my-taesd") == "/models/my-taesd"
    with pytest.raises(ModelUnavailable, match="MJ_TAESD"):
        taesd_ref("flux")


def test_shape_keys_tell_compiled_shapes_apart() -> None:
    import torch

    x = torch.zeros(2, 4, 8, 8)
    t = torch.tensor(999)
    context = torch.zeros(2, 77, 32)
    key = shape_key((x, t), {"encoder_hidden_states": context, "return_dict": False})
    same = shape_key(
        (torch.ones(2, 4, 8, 8), torch.tensor(1)),
        {"encoder_hidden_states": torch.ones(2, 77, 32), "return_dict": False},
    )
    assert key == same  # values do not matter, shapes do
    taller = shape_key((torch.zeros(2, 4, 16, 8), t), {"encoder_hidden_states": context})
    half = shape_key((x.half(), t), {"encoder_hidden_states": context, "return_dict": False})
    flag = shape_key((x, t), {"encoder_hidden_states": context, "return_dict": True})
    assert len({key, taller, half, flag}) == 4
