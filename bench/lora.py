"""What LoRA styles cost per denoising step: two rank-32 LoRAs on an SD 1.5-sized UNet.

Measured through the engine (`DiffusersBackend.generate`, which applies a job's LoRAs) on the
tiny pipeline with a full-size, randomly initialised SD 1.5 UNet (860M parameters; 32x32
latents, one image, no guidance, to keep CPU time sane: small latents are the worst case for
LoRA, whose extra matmuls scale with the linear layers, not with attention). The two LoRAs are
random rank-32 files in the diffusers layout on every linear layer of the transformer blocks,
the modules kohya's sd-scripts trains. Step times are the gaps between step callbacks, so they
leave out the one-time fuse and unfuse, which are timed apart. All times are this process's
CPU time (one torch thread), not wall time: on a shared 2-core box other processes' load
would otherwise swamp a 10 % difference.

Per round: a job without LoRAs (base), then the same LoRA set twice: the first runs unfused,
the repeat is fused into the weights (what the engine does when a set repeats).
Prints JSON; lora_step_ratio (fused over base) has the goal <= 1.10.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import common

STEPS = 4
RANK = 32
TARGETS = ("to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2")


def write_lora(unet, path: Path, seed: int) -> Path:
    """A random rank-32 LoRA for `unet` in the diffusers layout; small up-projections, as
    trained LoRAs have, so the images stay finite."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, module in unet.named_modules():
        if isinstance(module, torch.nn.Linear) and name.endswith(TARGETS):
            down = torch.randn(RANK, module.in_features, generator=generator) / module.in_features
            up = torch.randn(module.out_features, RANK, generator=generator) * 0.01
            state[f"unet.{name}.lora_A.weight"] = down
            state[f"unet.{name}.lora_B.weight"] = up
    save_file(state, str(path))
    return path


def step_gaps(backend, spec) -> list[float]:
    stamps: list[float] = []
    backend.generate([spec], on_step=lambda *_: stamps.append(time.process_time()))
    return [later - earlier for earlier, later in pairwise(stamps)]


def main() -> None:
    common.torch_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    from diffusers import UNet2DConditionModel

    from engine.backend import DiffusersBackend
    from engine.job import LoraUse
    from engine.lora_files import file_sha256, inspect_lora
    from engine.tuning import Tuning

    folder = common.tiny_model_dir()
    # float32, as recorded in RESULTS.md (MJ_DTYPE=auto may pick bfloat16 on newer CPUs).
    tuning = Tuning(dtype="float32")
    backend = DiffusersBackend({"tiny": str(folder)}, data_dir=folder.parent, tuning=tuning)
    model = backend.load("tiny")
    # SD 1.5's UNet layout (diffusers' defaults) with the tiny text encoder's width.
    unet = UNet2DConditionModel(sample_size=32, cross_attention_dim=32).eval()
    model.pipe.register_modules(unet=unet)
    files = Path(tempfile.mkdtemp(prefix="mjbot-bench-lora-"))
    loras = tuple(
        LoraUse(f"l{seed}", str(path), file_sha256(path), 0.8)
        for seed in (1, 2)
        for path in [write_lora(unet, files / f"l{seed}.safetensors", seed)]
    )
    # 64 px through the tiny VAE (2x) are the UNet's 32x32 latents.
    base = replace(common.tiny_job("base", STEPS, (1,)), cfg=0.0)
    styled = replace(base, job_id="styled", loras=loras)

    samples: dict[str, list[float]] = {"base": [], "unfused": [], "fused": []}
    for _ in range(rounds):
        samples["base"] += step_gaps(backend, base)
        samples["unfused"] += step_gaps(backend, styled)
        samples["fused"] += step_gaps(backend, styled)  # the same set again: fused first
    slots = model.loras
    started = time.process_time()
    slots.apply(())  # unfuse (restoring the exact base weights) and switch the LoRAs off
    unfuse_s = time.process_time() - started
    slots.apply(loras)
    started = time.process_time()
    slots.apply(loras)  # the repeat: fuse
    fuse_s = time.process_time() - started

    base_ms = common.median_ms(samples["base"])
    result = {
        "machine": common.machine(),
        "torch_threads": int(sys.argv[1]) if len(sys.argv) > 1 else 1,
        "rank": RANK,
        "adapted_layers": inspect_lora(Path(loras[0].path)).modules,
        "step_ms_base": base_ms,
        "step_ms_unfused": common.median_ms(samples["unfused"]),
        "step_ms_fused": common.median_ms(samples["fused"]),
        "lora_step_ratio": round(common.median_ms(samples["fused"]) / base_ms, 3),
        "lora_step_ratio_unfused": round(common.median_ms(samples["unfused"]) / base_ms, 3),
        "fuse_ms": round(fuse_s * 1000, 1),
        "unfuse_ms": round(unfuse_s * 1000, 1),
        "samples_per_case": len(samples["base"]),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
