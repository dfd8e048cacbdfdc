"""Text conditioning beyond a plain prompt: `::` weights, negative weights, and --chaos.

- Multi-prompts are blended the way Midjourney describes them: each part is encoded on its own
  and the embeddings are averaged by weight. Parts with negative weights are pushed away by
  blending them into the negative conditioning (they only act when guidance is on, cfg > 1).
- --chaos adds seeded Gaussian noise to each image's conditioning (a static form of CADS,
  Sadat et al. 2024): the four images of a grid stray from the prompt in different directions.
  Image i's noise comes from its own seed, so every image stays reproducible.
"""

from __future__ import annotations

from typing import Any

from engine.job import JobSpec

# At --chaos 100 the noise has 0.5x the spread of the embeddings themselves: strong but still
# recognisably the prompt. Chosen by eye on SD 1.5/SD-Turbo; a constant, not a setting.
CHAOS_SCALE = 0.5
CHAOS_SEED_SALT = 0x5EED


def _encode(pipe: Any, text: str, device: Any) -> tuple[Any, Any]:
    if hasattr(pipe, "text_encoder_2"):  # SDXL: two encoders and a pooled embedding
        embeds, _, pooled, _ = pipe.encode_prompt(
            text, device=device, num_images_per_prompt=1, do_classifier_free_guidance=False
        )
        return embeds, pooled
    embeds, _ = pipe.encode_prompt(text, device, 1, False)
    return embeds, None


def _blend(pipe: Any, parts: list[tuple[str, float]], device: Any) -> tuple[Any, Any]:
    total = sum(weight for _, weight in parts)
    encoded = [(_encode(pipe, text, device), weight / total) for text, weight in parts]
    embeds = sum(e * w for (e, _), w in encoded)
    pooled = None if encoded[0][0][1] is None else sum(p * w for (_, p), w in encoded)
    return embeds, pooled


def build_embeddings(pipe: Any, spec: JobSpec, device: Any) -> dict[str, Any]:
    """Pipeline keyword arguments carrying the blended, per-image conditioning."""
    import torch

    positive = [(p.text, p.weight) for p in spec.prompts if p.weight > 0]
    negative = [(p.text, -p.weight) for p in spec.prompts if p.weight < 0]
    if spec.negative_prompt:
        negative.insert(0, (spec.negative_prompt, 1.0))
    embeds, pooled = _blend(pipe, positive, device)
    if negative:
        neg_embeds, neg_pooled = _blend(pipe, negative, device)
    elif getattr(pipe.config, "force_zeros_for_empty_prompt", False):
        # SDXL was trained with zeros, not the encoding of "", as its empty negative prompt.
        neg_embeds = torch.zeros_like(embeds)
        neg_pooled = None if pooled is None else torch.zeros_like(pooled)
    else:
        neg_embeds, neg_pooled = _blend(pipe, [("", 1.0)], device)

    count = spec.image_count
    embeds = embeds.repeat(count, 1, 1)
    if spec.chaos > 0:
        spread = embeds.float().std().item() * CHAOS_SCALE * spec.chaos / 100
        for i, seed in enumerate(spec.seeds):
            generator = torch.Generator("cpu").manual_seed(seed ^ CHAOS_SEED_SALT)
            noise = torch.randn(embeds.shape[1:], generator=generator)
            embeds[i] += (noise * spread).to(embeds.device, embeds.dtype)
    kwargs = {
        "prompt_embeds": embeds,
        "negative_prompt_embeds": neg_embeds.repeat(count, 1, 1),
    }
    if pooled is not None:
        kwargs["pooled_prompt_embeds"] = pooled.repeat(count, 1)
        kwargs["negative_pooled_prompt_embeds"] = neg_pooled.repeat(count, 1)
    return kwargs
