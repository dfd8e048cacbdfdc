"""Time to image on a CPU: an SD-Turbo-shaped model through the engine against bare diffusers.

The model has stabilityai/sd-turbo's shapes with random weights (bench/shapes.py), saved once
and loaded back the way a real model is. One 512x512 image, one step, no guidance, the same
seed everywhere:
- bare: `StableDiffusionPipeline.from_pretrained(folder)` with diffusers' defaults (float32),
  `pipe(prompt, num_inference_steps=1, guidance_scale=0)`;
- engine: the bot's engine (queue, worker thread, DiffusersBackend) with its defaults
  (MJ_DTYPE=auto: bfloat16 where the CPU computes it; channels_last; fused attention);
- engine_taesd: the same with MJ_DECODER=taesd (a TAESD-shaped AutoencoderTiny decodes).
Rounds interleave the three; medians. PSNR compares the engine's image with the bare float32
one (same weights, same seed): the cost of bfloat16. (TAESD's against the VAE's would say
nothing with random weights: they are two unrelated decoders here.)

Prints JSON, then a summary. Goals: cpu_speedup >= 2.0 (full VAE), cpu_speedup_taesd >= 4.0,
psnr_vs_fp32_db >= 30. Usage: python bench/time_to_image.py [--rounds N] [--threads N]
[--small: tiny widths, seconds; the test suite's smoke test] [--compile MODE: the engine
with MJ_COMPILE=MODE instead of TAESD, timed once its background compile is done: this is
how the CPU default (off) was chosen]. A few minutes on 2 cores (--compile: add 5-15).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import common
import shapes

PROMPT = "a lighthouse on a cliff at dusk, oil painting"
SEED = 42


def psnr_db(a: Any, b: Any) -> float:
    """Peak signal-to-noise ratio of two 8-bit images, in dB (inf when identical)."""
    import numpy as np

    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    mse = float((diff**2).mean())
    return float("inf") if mse == 0 else round(10 * np.log10(255**2 / mse), 2)


def build_models(shape: shapes.Shape, root: Path) -> tuple[Path, Path]:
    """The random model and TAESD folders, built and saved once per shape."""
    model = shapes.saved_once(root / shape.name, lambda: shapes.sd_turbo_pipeline(shape))
    taesd = shapes.saved_once(root / f"{shape.name}-taesd", lambda: shapes.taesd(shape))
    return model, taesd


def bare_runner(model: Path, size: int):
    """diffusers as its documentation shows it: default dtype (float32), default attention."""
    import diffusers
    import torch

    diffusers.utils.logging.disable_progress_bar()
    pipe = diffusers.StableDiffusionPipeline.from_pretrained(model, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    # float32 weights load as views of the memory-mapped files: on a box short of memory the
    # kernel drops their pages and reads them from disk again at every call (bare times
    # doubled so here). Copies keep them in RAM, like the engine's converted ones, so only
    # the computation is compared.
    for component in (pipe.text_encoder, pipe.unet, pipe.vae):
        for tensor in (*component.parameters(), *component.buffers()):
            tensor.data = tensor.data.clone()

    def run() -> Any:
        with torch.inference_mode():
            output = pipe(
                PROMPT,
                width=size,
                height=size,
                num_inference_steps=1,
                guidance_scale=0.0,
                generator=torch.Generator("cpu").manual_seed(SEED),
                output_type="pil",
            )
        return output.images[0]

    return run


def engine_runner(model: Path, size: int, data_dir: Path, tuning: Any):
    """The bot's engine: a job submitted and awaited, on an event loop of its own."""
    from engine.backend import DiffusersBackend
    from engine.job import JobSpec, PromptPart
    from engine.worker import local_engine

    backend = DiffusersBackend(
        {"sd-turbo": str(model)}, data_dir=data_dir, allow_download=False, tuning=tuning
    )
    engine = local_engine(backend)
    engine.start()
    loop = asyncio.new_event_loop()
    jobs = iter(range(1_000_000))

    async def submit() -> Any:
        spec = JobSpec(
            f"bench-{next(jobs)}",
            "bench:user",
            "sd-turbo",
            (PromptPart(PROMPT, 1.0),),
            None,
            size,
            size,
            1,
            0.0,
            "default",
            (SEED,),
        )
        event = await engine.submit(spec).result()
        if not hasattr(event, "images"):
            raise RuntimeError(f"the engine did not draw: {event}")
        return event.images[0]

    def run() -> Any:
        return loop.run_until_complete(submit())

    def close() -> None:
        engine.stop()
        loop.close()

    return run, close, backend


def measure(
    shape: shapes.Shape, rounds: int, root: Path, compile_mode: str | None = None
) -> dict[str, Any]:
    """Medians of interleaved rounds: bare, the engine, and the engine with TAESD (or, with
    `compile_mode`, with its UNet compiled: timed after the background compile is done)."""
    import numpy as np

    from engine.tuning import Tuning

    model, taesd = build_models(shape, root)
    # Every engine gets the TAESD, for previews at least (none are asked for here).
    engines = {"engine": Tuning(taesd=str(taesd))}
    if compile_mode is None:
        engines["engine_taesd"] = Tuning(decoder="taesd", taesd=str(taesd))
    else:
        engines["engine_compiled"] = Tuning(compile=compile_mode, taesd=str(taesd))
    runs = {"bare": bare_runner(model, shape.size)}
    closers, backends = [], {}
    for name, tuning in engines.items():
        runs[name], close, backends[name] = engine_runner(model, shape.size, root / "data", tuning)
        closers.append(close)
    images = {name: run() for name, run in runs.items()}  # warm-up: loads, first kernels
    result: dict[str, Any] = {}
    if compile_mode is not None:
        started = time.perf_counter()
        compiled = backends["engine_compiled"].load("sd-turbo").speed.compiled
        if not compiled.wait() or not compiled.ready:
            raise RuntimeError("torch.compile failed: see the log")
        result["compile_s"] = round(time.perf_counter() - started, 1)
        runs["engine_compiled"]()  # the compiled code's first call
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            images[name] = run()
            samples[name].append(time.perf_counter() - started)
    for close in closers:
        close()
    median = {name: statistics.median(values) for name, values in samples.items()}
    for name in engines:
        result[f"{name}_s"] = round(median[name], 3)
    if compile_mode is None:
        result["cpu_speedup_taesd"] = round(median["bare"] / median["engine_taesd"], 2)
    else:
        result["compile_speedup"] = round(median["engine"] / median["engine_compiled"], 3)
        result["compile_mode"] = compile_mode
    bare = np.asarray(images["bare"])
    speed = backends["engine"].load("sd-turbo").speed
    latents = np.zeros((1, 4, shape.size // 8, shape.size // 8))  # what one preview decodes
    return {
        "bare_s": round(median["bare"], 3),
        **result,
        "cpu_speedup": round(median["bare"] / median["engine"], 2),
        "psnr_vs_fp32_db": psnr_db(images["engine"], bare),
        # How much picture the PSNR is measured on: random weights could draw flat or
        # saturated images, which would flatter it.
        "bare_image_std": round(float(bare.std()), 1),
        "bare_clipped_share": round(float(((bare == 0) | (bare == 255)).mean()), 4),
        # A TAESD preview of one image, as measured when the model loaded: previews use it
        # only where it is under 2% of the denoising time (engine/previews.py).
        "taesd_preview_ms": round(speed.previewer.estimate(latents) * 1000, 1),
        "engine_dtype": speed.plan.dtype,
        "channels_last": speed.plan.channels_last,
        "rounds": rounds,
        "shape": shape.name,
        "size": shape.size,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--small", action="store_true", help="tiny widths: a smoke test")
    parser.add_argument(
        "--compile",
        metavar="MODE",
        help="time the engine with MJ_COMPILE=MODE instead of TAESD (compiling takes minutes)",
    )
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "mjbot-bench")
    args = parser.parse_args(argv)
    common.torch_threads(args.threads)
    from engine.hardware import probe

    hardware = probe("cpu")
    shape = shapes.SMALL if args.small else shapes.SD_TURBO
    result = measure(shape, args.rounds, args.dir, args.compile)
    result["threads"] = args.threads
    result["native_bf16"] = hardware.native_bf16
    print(json.dumps(result))
    print(
        f"one {result['size']}px image in {result['engine_s']} s through the engine "
        f"({result['engine_dtype']}) against {result['bare_s']} s bare: "
        f"x{result['cpu_speedup']} (goal 2); PSNR {result['psnr_vs_fp32_db']} dB against "
        "float32 (goal 30)"
    )
    if "engine_taesd_s" in result:
        print(f"with TAESD: {result['engine_taesd_s']} s, x{result['cpu_speedup_taesd']} (goal 4)")
    else:
        print(
            f"compiled ({args.compile}, {result['compile_s']} s to compile): "
            f"{result['engine_compiled_s']} s, x{result['compile_speedup']} over eager"
        )
    print(f"{common.machine()}, {args.threads} threads, bfloat16 native: {hardware.native_bf16}")
    return result


if __name__ == "__main__":
    main()
