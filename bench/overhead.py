"""What the engine adds on top of a bare `pipe()` call, on the tiny pipeline.

Interleaved A/B (bare pipe, then the engine: queue, worker thread, callbacks, events; previews
off) at two step counts; medians of ROUNDS. Per-step overhead is the slope between the two step
counts, per-job overhead the intercept. Prints JSON, then a summary.
Goals: overhead_ms_per_job <= 20, overhead_ms_per_step <= 0.5.
"""

from __future__ import annotations

import asyncio
import json
import time

import common

ROUNDS = 25
STEPS = (2, 12)


def main() -> None:
    common.torch_threads(1)
    import torch

    from engine.backend import DiffusersBackend
    from engine.worker import local_engine

    folder = common.tiny_model_dir()
    backend = DiffusersBackend({"tiny": str(folder)}, data_dir=folder.parent)
    pipe = backend.load("tiny").pipe
    backend.profile("tiny")

    def bare(steps: int) -> None:
        generators = [torch.Generator("cpu").manual_seed(s) for s in (1, 2, 3, 4)]
        with torch.inference_mode():
            pipe(
                prompt=["a red fox"] * 4,
                width=64,
                height=64,
                num_inference_steps=steps,
                guidance_scale=5.0,
                generator=generators,
                output_type="np",
            )

    async def run() -> dict[int, tuple[list[float], list[float]]]:
        engine = local_engine(backend)
        engine.start()
        samples: dict[int, tuple[list[float], list[float]]] = {s: ([], []) for s in STEPS}
        counter = 0
        for _ in range(ROUNDS):
            for steps in STEPS:
                started = time.perf_counter()
                bare(steps)
                samples[steps][0].append(time.perf_counter() - started)
                counter += 1
                spec = common.tiny_job(f"j{counter}", steps, (1, 2, 3, 4))
                started = time.perf_counter()
                await engine.submit(spec).result()
                samples[steps][1].append(time.perf_counter() - started)
        engine.stop()
        return samples

    bare(2)  # warm up
    samples = asyncio.run(run())
    medians = {s: (common.median_ms(a), common.median_ms(b)) for s, (a, b) in samples.items()}
    over = {s: engine_ms - bare_ms for s, (bare_ms, engine_ms) in medians.items()}
    low, high = STEPS
    per_step = (over[high] - over[low]) / (high - low)
    per_job = over[low] - per_step * low
    result = {
        "overhead_ms_per_job": round(per_job, 3),
        "overhead_ms_per_step": round(per_step, 4),
        "bare_ms": {str(s): medians[s][0] for s in STEPS},
        "engine_ms": {str(s): medians[s][1] for s in STEPS},
        "rounds": ROUNDS,
    }
    print(json.dumps(result))
    print(
        f"engine overhead: {per_job:.2f} ms per job, {per_step:.3f} ms per step "
        f"(medians of {ROUNDS}, 4 images of 64x64, tiny pipeline, {common.machine()})"
    )


if __name__ == "__main__":
    main()
