"""Batching: N one-image jobs in one forward pass against the same N jobs one at a time.

Prints JSON: per batch size, images per second batched and sequential, the speed-up, and the
largest pixel difference between batched and unbatched images (must be float rounding, <= 2
of 255). Then a summary. On a CPU no gain is expected (why MJ_BATCHING=auto is off there).
"""

from __future__ import annotations

import json
import sys
import time

import common

ROUNDS = 7
SIZES = (1, 2, 4)


def main() -> None:
    """`python bench/batching.py [--sd15]`: --sd15 swaps in a full-size SD 1.5 UNet."""
    common.torch_threads(1)
    sd15 = "--sd15" in sys.argv
    rounds, sizes, steps = (2, (1, 2), 2) if sd15 else (ROUNDS, SIZES, 8)
    import numpy as np

    from engine.backend import DiffusersBackend
    from engine.job import JobSpec, PromptPart

    folder = common.tiny_model_dir()
    backend = DiffusersBackend({"tiny": str(folder)}, data_dir=folder.parent)
    pipe = backend.load("tiny").pipe
    if sd15:
        from diffusers import UNet2DConditionModel

        pipe.register_modules(unet=UNet2DConditionModel(sample_size=32, cross_attention_dim=32))
        pipe.unet.eval()

    def spec(i: int) -> JobSpec:
        return JobSpec(
            f"j{i}",
            f"bench:u{i}",
            "tiny",
            (PromptPart(f"a red fox {i}", 1.0),),
            None,
            64,
            64,
            steps,
            5.0,
            "euler",
            (100 + i,),
        )

    backend.generate([spec(0)])  # warm up
    report: dict[str, dict[str, float]] = {}
    for size in sizes:
        specs = [spec(i) for i in range(size)]
        batched_t, sequential_t = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            together = backend.generate(specs)
            batched_t.append(time.perf_counter() - started)
            started = time.perf_counter()
            apart = [backend.generate([one])[0] for one in specs]
            sequential_t.append(time.perf_counter() - started)
        diff = max(
            int(np.abs(np.asarray(a[0], int) - np.asarray(b[0], int)).max())
            for a, b in zip(together, apart, strict=True)
        )
        batched_ms, sequential_ms = common.median_ms(batched_t), common.median_ms(sequential_t)
        report[str(size)] = {
            "batched_images_per_s": round(size / batched_ms * 1000, 2),
            "sequential_images_per_s": round(size / sequential_ms * 1000, 2),
            "speedup": round(sequential_ms / batched_ms, 3),
            "max_pixel_diff": diff,
        }
    print(json.dumps({"batch": report, "rounds": rounds, "unet": "sd15" if sd15 else "tiny"}))
    for size, row in report.items():
        print(
            f"batch {size}: x{row['speedup']} throughput vs one at a time, max pixel "
            f"difference {row['max_pixel_diff']}/255"
        )
    print(common.machine())


if __name__ == "__main__":
    main()
