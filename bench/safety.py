"""What the image safety check costs: per 512x512 image, and against drawing one.

- `safety_ms`: median time to score one 512x512 image with the shipped classifier (open_nsfw
  on onnxruntime, CPU), warm, preprocessing included, as `OpenNsfwScorer.score` runs in the bot.
- `safety_share`: that time over the median of a one-step 512x512 generation by a pipeline of
  SD-Turbo's shapes (SD 2.1: its UNet, VAE and OpenCLIP-H text encoder) with random weights,
  on the same machine with the same number of threads.
Prints JSON, then a summary. Goals: safety_ms <= 150, safety_share <= 0.02.
`python bench/safety.py [--threads N] [--rounds N]` (defaults: 1 thread, 3 generations).
"""

from __future__ import annotations

import argparse
import json
import time

import common

SIZE = 512
SCORE_ROUNDS = 41


def sd_turbo_shaped_pipeline():  # -> StableDiffusionPipeline with random weights
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    from engine.tiny import byte_level_tokenizer

    torch.manual_seed(0)
    # stabilityai/sd-turbo's unet/config.json: SD 2.1's layout, 64x64 latents for 512x512.
    unet = UNet2DConditionModel(
        sample_size=64,
        cross_attention_dim=1024,
        attention_head_dim=(5, 10, 20, 20),
        use_linear_projection=True,
    )
    vae = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=2,
        sample_size=SIZE,
    )
    # OpenCLIP ViT-H/14's text tower as SD 2.x uses it (23 of its 24 layers). The tokenizer
    # is the tiny byte-level one: tokenising costs nothing next to the models.
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=1024,
            intermediate_size=4096,
            num_attention_heads=16,
            num_hidden_layers=23,
            projection_dim=512,
            hidden_act="gelu",
            vocab_size=49408,
        )
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        timestep_spacing="trailing",
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        unet=unet.eval(),
        vae=vae.eval(),
        text_encoder=text_encoder.eval(),
        tokenizer=byte_level_tokenizer(),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def generation_ms(rounds: int) -> tuple[float, int]:
    import torch

    pipe = sd_turbo_shaped_pipeline()
    parameters = sum(p.numel() for p in pipe.unet.parameters())

    def draw(seed: int) -> None:
        with torch.inference_mode():
            pipe(
                "a lighthouse at dusk, oil painting",
                width=SIZE,
                height=SIZE,
                num_inference_steps=1,
                guidance_scale=0.0,  # SD-Turbo draws without classifier-free guidance
                generator=torch.Generator("cpu").manual_seed(seed),
            )

    draw(0)  # warm up
    samples = []
    for seed in range(1, rounds + 1):
        started = time.perf_counter()
        draw(seed)
        samples.append(time.perf_counter() - started)
    return common.median_ms(samples), parameters


def safety_ms(threads: int) -> float:
    import numpy as np
    from PIL import Image

    from filters.image_safety import OpenNsfwScorer

    rng = np.random.default_rng(0)
    images = [
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)) for _ in range(8)
    ]
    scorer = OpenNsfwScorer(threads=threads)
    scorer.score(images[0])  # warm: the session is built and run once
    samples = []
    for i in range(SCORE_ROUNDS):
        started = time.perf_counter()
        scorer.score(images[i % len(images)])
        samples.append(time.perf_counter() - started)
    return common.median_ms(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch and onnxruntime threads")
    parser.add_argument("--rounds", type=int, default=3, help="timed generations")
    args = parser.parse_args()
    common.torch_threads(args.threads)

    check = safety_ms(args.threads)
    draw, unet_parameters = generation_ms(args.rounds)
    result = {
        "safety_ms": check,
        "safety_share": round(check / draw, 5),
        "generation_ms": draw,
        "threads": args.threads,
        "score_rounds": SCORE_ROUNDS,
        "generation_rounds": args.rounds,
        "unet_parameters": unet_parameters,
    }
    print(json.dumps(result))
    print(
        f"safety check {check:.1f} ms per 512x512 image (goal <= 150), "
        f"{result['safety_share']:.2%} of a one-step 512x512 SD-Turbo-sized generation "
        f"({draw / 1000:.1f} s; goal <= 2%); {args.threads} thread(s); {common.machine()}"
    )


if __name__ == "__main__":
    main()
