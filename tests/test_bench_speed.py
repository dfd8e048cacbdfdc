"""Smoke tests of the speed benchmarks' code paths, on shrunken shapes (the real runs take
minutes, or a GPU): bench/time_to_image.py and bench/gpu.py."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch, torch_one_thread: None):
    monkeypatch.syspath_prepend(str(BENCH))

    def load(name: str) -> ModuleType:
        return importlib.import_module(name)

    return load


def test_time_to_image_runs_end_to_end(bench, tmp_path: Path, capsys) -> None:
    from engine.hardware import probe

    result = bench("time_to_image").main(
        ["--small", "--rounds", "1", "--threads", "1", "--dir", str(tmp_path)]
    )
    printed = json.loads(capsys.readouterr().out.splitlines()[0])
    assert printed == result
    for key in ("bare_s", "engine_s", "engine_taesd_s", "cpu_speedup", "cpu_speedup_taesd"):
        assert result[key] > 0, key
    assert result["engine_dtype"] == ("bfloat16" if probe("cpu").native_bf16 else "float32")
    assert result["psnr_vs_fp32_db"] >= 30
    assert (tmp_path / "sd-turbo-small" / "mjbot-bench-complete").exists()  # built once


def test_gpu_bench_says_why_it_skips(bench, capsys) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is here: the benchmark would run for minutes")
    result = bench("gpu").main([])
    assert "no CUDA" in result["skipped"]
    assert json.loads(capsys.readouterr().out) == result


# diffusers' upsampler calls an lru_cache'd version check, which dynamo traces through.
@pytest.mark.filterwarnings("ignore:Dynamo detected a call to a `functools.lru_cache`")
def test_gpu_bench_times_each_kind_of_setting(bench) -> None:
    gpu, shapes = bench("gpu"), bench("shapes")
    unet = shapes.sd15_unet(shapes.SMALL).eval()
    settings = [
        gpu.Setting("float32, unfused", "float32", fused_attention=False),
        gpu.Setting("bfloat16 + channels_last", "bfloat16", channels_last=True),
        gpu.Setting("compiled", "float32", compile_mode="default"),
    ]
    rows = [gpu.measure(unet, s, 2, 3, "cpu", compile_backend="eager") for s in settings]
    assert [row["setting"] for row in rows] == [s.name for s in settings]
    assert all(row["it_s"] > 0 and row["images_s"] > 0 for row in rows), rows
    assert rows[2]["engine_env"]["MJ_COMPILE"] == "default"
    assert {type(p).__name__ for p in unet.attn_processors.values()} == {"AttnProcessor2_0"}
