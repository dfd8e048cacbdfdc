"""What live previews cost: step time with a latent->RGB preview every step over without.

Measured through the engine (the real preview path) on two pipelines:
- "sd15": the tiny pipeline with a full-size, randomly initialised SD 1.5 UNet (860M
  parameters; 32x32 latents to keep CPU time sane): a realistic UNet step to compare against;
- "tiny": the tiny UNet, whose steps are so cheap that previews are a visible share.
Interleaved A/B, medians. Prints JSON (preview_cost_ratio is the sd15 figure), then a summary.
Goal: preview_cost_ratio <= 1.01.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import common

STEPS = 4


def measure(backend, rounds: int) -> tuple[float, float, float]:
    from engine.worker import local_engine

    async def run() -> tuple[list[float], list[float]]:
        engine = local_engine(backend)
        engine.start()
        plain, previewed = [], []
        for i in range(rounds):
            for every, samples in ((None, plain), (0.0, previewed)):
                spec = common.tiny_job(f"j{i}-{every}", STEPS, (1,), sampler="euler")
                started = time.perf_counter()
                await engine.submit(spec, preview_every_s=every).result()
                samples.append((time.perf_counter() - started) / STEPS)
        engine.stop()
        return plain, previewed

    plain, previewed = asyncio.run(run())
    without, with_ = common.median_ms(plain), common.median_ms(previewed)
    return without, with_, with_ / without


def main() -> None:
    common.torch_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    from diffusers import UNet2DConditionModel

    from engine.backend import DiffusersBackend

    folder = common.tiny_model_dir()
    tiny = DiffusersBackend({"tiny": str(folder)}, data_dir=folder.parent)
    tiny.load("tiny")
    tiny_result = measure(tiny, rounds=30)

    sd15 = DiffusersBackend({"tiny": str(folder)}, data_dir=folder.parent)
    pipe = sd15.load("tiny").pipe
    # SD 1.5's UNet layout (diffusers' defaults) with the tiny text encoder's width.
    pipe.register_modules(unet=UNet2DConditionModel(sample_size=32, cross_attention_dim=32))
    pipe.unet.eval()
    sd15_result = measure(sd15, rounds=3)

    result = {
        "preview_cost_ratio": round(sd15_result[2], 4),
        "sd15_step_ms": {"without": sd15_result[0], "with": sd15_result[1]},
        "tiny_preview_cost_ratio": round(tiny_result[2], 4),
        "tiny_step_ms": {"without": tiny_result[0], "with": tiny_result[1]},
    }
    print(json.dumps(result))
    print(
        f"previews every step cost x{result['preview_cost_ratio']} per step on an SD 1.5-sized "
        f"UNet ({sd15_result[0]:.0f} ms/step) and x{result['tiny_preview_cost_ratio']} on the "
        f"tiny one ({tiny_result[0]:.1f} ms/step); {common.machine()}"
    )


if __name__ == "__main__":
    main()
