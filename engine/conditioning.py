"""Text conditioning beyond a plain prompt: `::` weights, negative weights, and --chaos.

- Multi-prompts are blended the way Midjourney describes them: each part is encoded on its own
  and the embeddings are averaged by weight. Parts with negative weights are pushed away by
  blending them into the negative conditioning (they only act when guidance is on, cfg > 1).
- --clip-skip N takes the text encoder's N-th layer from the end (A1111's numbering: 1 is the
  last), as many anime models were trained; it goes through the same embeddings path.
- --chaos adds seeded Gaussian noise to each image's conditioning (a static form of CADS,
  Sadat et al. 2024): the four images of a grid stray from the prompt in different directions.
  Image i's noise comes from its own seed, so every image stays reproducible.

`text_kwargs` is what a pipeline call gets: plain strings when none of these is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.job import JobSpec, needs_embeddings

# At --chaos 100 the noise has 0.5x the spread of the embeddings themselves: strong but still
# recognisably the prompt. Chosen by eye on SD 1.5/SD-Turbo; a constant, not a setting.
CHAOS_SCALE = 0.5
CHAOS_SEED_SALT = 0x5EED


def _encode(pipe: Any, text: str, device: Any, clip_skip: int = 1) -> tuple[Any, Any]:
    # diffusers counts skipped layers from 0 (None: the default layer); A1111 from 1.
    skip = clip_skip - 1 or None
    if hasattr(pipe, "text_encoder_2"):  # SDXL: two encoders and a pooled embedding
        embeds, _, pooled, _ = pipe.encode_prompt(
            text,
            device=device,
            num_images_per_prompt=1,
            do_classifier_free_guidance=False,
            clip_skip=skip,
        )
        return embeds, pooled
    if skip is None:
        embeds, _ = pipe.encode_prompt(text, device, 1, False)
        return embeds, None
    return _encode_skipping(pipe, text, device, clip_skip), None


def _encode_skipping(pipe: Any, text: str, device: Any, clip_skip: int) -> Any:
    """SD 1.x/2.x with clip skip: the hidden state `clip_skip` layers from the end, through
    the final layer norm, as A1111 does. (diffusers' own clip_skip looks the norm up under
    `text_encoder.text_model`, which transformers 5 no longer has.)"""
    encoder = pipe.text_encoder
    ids = pipe.tokenizer(
        text,
        padding="max_length",
        max_length=pipe.tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids.to(device)
    hidden = encoder(ids, output_hidden_states=True).hidden_states[-clip_skip]
    norm = getattr(encoder, "text_model", encoder).final_layer_norm
    return norm(hidden).to(dtype=encoder.dtype, device=device)


def _blend(
    pipe: Any, parts: list[tuple[str, float]], device: Any, clip_skip: int = 1
) -> tuple[Any, Any]:
    total = sum(weight for _, weight in parts)
    encoded = [(_encode(pipe, text, device, clip_skip), weight / total) for text, weight in parts]
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
    embeds, pooled = _blend(pipe, positive, device, spec.clip_skip)
    if negative:
        neg_embeds, neg_pooled = _blend(pipe, negative, device, spec.clip_skip)
    elif getattr(pipe.config, "force_zeros_for_empty_prompt", False):
        # SDXL was trained with zeros, not the encoding of "", as its empty negative prompt.
        neg_embeds = torch.zeros_like(embeds)
        neg_pooled = None if pooled is None else torch.zeros_like(pooled)
    else:
        neg_embeds, neg_pooled = _blend(pipe, [("", 1.0)], device, spec.clip_skip)

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


def text_kwargs(pipe: Any, specs: Sequence[JobSpec]) -> dict[str, Any]:
    """A batch's prompt arguments: embeddings when the first job needs them (a batch shares
    that), else one prompt and negative prompt string per image."""
    import torch

    if needs_embeddings(specs[0]):
        per_job = [build_embeddings(pipe, spec, pipe.device) for spec in specs]
        return {key: torch.cat([kw[key] for kw in per_job]) for key in per_job[0]}
    prompts = [spec.prompts[0].text for spec in specs for _ in spec.seeds]
    negatives = [spec.negative_prompt or "" for spec in specs for _ in spec.seeds]
    # None (not "") when nobody asked for one: SDXL then uses its trained zero embedding.
    return {"prompt": prompts, "negative_prompt": negatives if any(negatives) else None}
