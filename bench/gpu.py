"""UNet speed on a CUDA GPU: SD 1.5's UNet (random weights) at 512x512, 50 steps with CFG.

Each setting runs the denoising loop as a pipeline does (Euler, both CFG halves in one UNet
call) at batch 1 and 4, and reports it/s (steps per second) and images/s. The settings are
the engine's knobs, one at a time on top of the last: float16 with diffusers' unfused
attention; float16 with PyTorch's fused attention (diffusers' default); bfloat16; then
channels_last, cuDNN autotuning, and each torch.compile mode (compiled the way the engine
does, in the background, then timed). The fastest at batch 1 is printed as MJ_ settings.
Goal on an H100-class card: >= 110 it/s at batch 1 (stable-fast's published SD 1.5 figure is
about 105). Without CUDA it prints one line saying so and exits 0.

Usage: python bench/gpu.py [--steps 50] [--all: also max-autotune, which compiles longest]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from typing import Any

import common
import shapes

CFG = 7.5
CONTEXT_TOKENS = 77


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    dtype: str
    fused_attention: bool = True
    channels_last: bool = False
    cudnn_benchmark: bool = False
    compile_mode: str | None = None

    def engine_env(self) -> dict[str, str]:
        """The MJ_ variables that make the engine run this way."""
        return {
            "MJ_DTYPE": self.dtype,
            "MJ_CHANNELS_LAST": "on" if self.channels_last else "off",
            "MJ_CUDNN_BENCHMARK": "on" if self.cudnn_benchmark else "off",
            "MJ_COMPILE": self.compile_mode or "off",
        }


def ladder(all_modes: bool) -> list[Setting]:
    base = Setting("float16, unfused attention", "float16", fused_attention=False)
    fused = Setting("float16", "float16")
    layout = Setting("float16 + channels_last", "float16", channels_last=True)
    tuned = Setting("float16 + channels_last + cudnn", "float16", True, True, True)
    modes = ["default", "reduce-overhead", "max-autotune-no-cudagraphs"]
    modes += ["max-autotune"] if all_modes else []
    compiled = [
        Setting(f"{tuned.name} + compile {mode}", "float16", True, True, True, mode)
        for mode in modes
    ]
    bf16 = Setting("bfloat16 + channels_last + cudnn", "bfloat16", True, True, True)
    return [base, fused, Setting("bfloat16", "bfloat16"), layout, tuned, bf16, *compiled]


def prepared_unet(unet: Any, setting: Setting, device: str, compile_backend: str) -> Any:
    """The UNet as the engine would run it with `setting` (engine.speed's own steps)."""
    import torch
    from diffusers.models.attention_processor import AttnProcessor

    from engine.compiling import BackgroundCompiled
    from engine.speed import use_fused_attention

    torch.backends.cudnn.benchmark = setting.cudnn_benchmark
    torch._dynamo.reset()  # each compiled setting starts from a clean cache
    if "forward" in vars(unet):  # a previous setting's compiled forward
        del unet.forward
    unet.to(device=device, dtype=getattr(torch, setting.dtype))
    layout = torch.channels_last if setting.channels_last else torch.contiguous_format
    unet.to(memory_format=layout)
    if setting.fused_attention:
        use_fused_attention(unet)
    else:
        unet.set_attn_processor(AttnProcessor())
    if setting.compile_mode is not None:
        BackgroundCompiled(unet, setting.compile_mode, compile_backend)
    return unet


def denoise(unet: Any, batch: int, steps: int, device: str) -> float:
    """One generation's denoising loop; its seconds (the GPU work included)."""
    import torch
    from diffusers import EulerDiscreteScheduler

    dtype = unet.dtype
    size = unet.config.sample_size
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    scheduler.set_timesteps(steps, device=device)
    generator = torch.Generator("cpu").manual_seed(0)
    shape = (batch, unet.config.in_channels, size, size)
    latents = torch.randn(shape, generator=generator).to(device, dtype)
    latents = latents * scheduler.init_noise_sigma
    width = unet.config.cross_attention_dim
    context = torch.randn((2 * batch, CONTEXT_TOKENS, width), generator=generator)
    context = context.to(device, dtype)
    synchronize(device)
    started = time.perf_counter()
    with torch.inference_mode():
        for t in scheduler.timesteps:
            model_input = scheduler.scale_model_input(torch.cat([latents] * 2), t)
            noise = unet(model_input, t, encoder_hidden_states=context, return_dict=False)[0]
            uncond, cond = noise.chunk(2)
            latents = scheduler.step(uncond + CFG * (cond - uncond), t, latents).prev_sample
    synchronize(device)
    return time.perf_counter() - started


def synchronize(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def measure(
    unet: Any,
    setting: Setting,
    batch: int,
    steps: int,
    device: str,
    compile_backend: str = "inductor",
) -> dict[str, Any]:
    unet = prepared_unet(unet, setting, device, compile_backend)
    denoise(unet, batch, 2, device)  # warm-up; with compile, starts compiling this shape
    compiled = unet.forward if "forward" in vars(unet) else None
    if compiled is not None:
        compiled.wait()
        if not compiled.ready:
            return {"setting": setting.name, "batch": batch, "error": "compile failed"}
        denoise(unet, batch, 2, device)  # the compiled code's own warm-up (CUDA graphs)
    seconds = denoise(unet, batch, steps, device)
    return {
        "setting": setting.name,
        "batch": batch,
        "it_s": round(steps / seconds, 2),
        "images_s": round(batch / seconds, 3),
        "engine_env": setting.engine_env(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--all", action="store_true", help="also time max-autotune")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        result = {"skipped": "no CUDA device: bench/gpu.py times GPU settings only"}
        print(json.dumps(result))
        return result
    unet = shapes.sd15_unet().eval()
    rows = [
        measure(unet, setting, batch, args.steps, "cuda")
        for setting in ladder(args.all)
        for batch in (1, 4)
    ]
    timed = [row for row in rows if "it_s" in row]
    best = max((row for row in timed if row["batch"] == 1), key=lambda row: row["it_s"])
    result = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "steps": args.steps,
        "rows": rows,
        "best_batch1": best["setting"],
        "best_it_s_batch1": best["it_s"],
        "goal_it_s_batch1": 110,
        "engine_env": best["engine_env"],
    }
    print(json.dumps(result))
    for row in rows:
        print(f"{row['setting']:<64} batch {row['batch']}: {row.get('it_s', '-')} it/s")
    settings = " ".join(f"{key}={value}" for key, value in best["engine_env"].items())
    print(f"fastest at batch 1: {best['setting']}, {best['it_s']} it/s; {settings}")
    print(common.machine())
    return result


if __name__ == "__main__":
    main()
