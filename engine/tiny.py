"""Tiny, randomly initialised models, built locally without any download: a Stable Diffusion
pipeline, an x4 upscaler and a BLIP captioner.

The pipeline's shapes are diffusers' own `get_dummy_components` for StableDiffusionPipeline.
They exist so that tests and smoke runs exercise the real loading and generation code in
seconds on a CPU: their images are noise, their captions random words. Each is saved with
`save_pretrained` and loaded back like any local model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MARKER = "mjbot-tiny.txt"


def _byte_level_vocab() -> dict[str, int]:
    """CLIP's byte-level alphabet with word-end variants: every string tokenizes, no merges."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    chars = list(bytes_to_unicode().values())
    for suffix in ("", "</w>"):
        for char in chars:
            vocab[char + suffix] = len(vocab)
    return vocab


def byte_level_tokenizer():  # -> CLIPTokenizer
    """A CLIP tokenizer built in code: byte-level, no merges, no files to download."""
    from transformers import CLIPTokenizer

    return CLIPTokenizer(vocab=_byte_level_vocab(), merges=[], model_max_length=77)


def byte_level_text_model(**shape: object):  # -> (CLIPTextModel, CLIPTokenizer)
    """A random CLIP text encoder of this shape (CLIPTextConfig fields) and its tokenizer."""
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = byte_level_tokenizer()
    ids = {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1, "vocab_size": len(tokenizer)}
    return CLIPTextModel(CLIPTextConfig(**ids, **shape)), tokenizer


def _tiny_text_model():  # -> (CLIPTextModel, CLIPTokenizer)
    return byte_level_text_model(
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=5,
    )


def _tiny_unet(in_channels: int, **extra: object):  # -> UNet2DConditionModel
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=32,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=2,
        **extra,
    )


def _tiny_vae(blocks: int, **extra: object):  # -> AutoencoderKL; scale factor 2**(blocks-1)
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[4] * (blocks - 1) + [8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * blocks,
        up_block_types=["UpDecoderBlock2D"] * blocks,
        latent_channels=4,
        norm_num_groups=2,
        **extra,
    )


def text_to_image_pipeline(unet, vae, text_encoder, tokenizer, scheduler):
    """A StableDiffusionPipeline of these modules (random ones: no safety checker)."""
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(
        unet=unet,
        scheduler=scheduler,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def build_tiny_pipeline(seed: int = 0):  # -> StableDiffusionPipeline
    import torch
    from diffusers import EulerAncestralDiscreteScheduler

    torch.manual_seed(seed)
    unet = _tiny_unet(in_channels=4)
    scheduler = EulerAncestralDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    vae = _tiny_vae(blocks=2)
    text_encoder, tokenizer = _tiny_text_model()
    return text_to_image_pipeline(unet, vae, text_encoder, tokenizer, scheduler)


def _save_once(
    folder: Path,
    build: Callable[[], Any],
    note: str,
    warning: str,
    ready: str = "model_index.json",
) -> Path:
    """Build and save a tiny model once (marked by MARKER, complete once `ready` is written);
    later calls reuse the folder. `build()` returns something with save_pretrained, or None
    when it wrote the folder itself."""
    if (folder / MARKER).exists() and (folder / ready).exists():
        return folder
    log.warning(warning, folder)
    folder.mkdir(parents=True, exist_ok=True)
    built = build()
    if built is not None:
        built.save_pretrained(folder)
    (folder / MARKER).write_text(note)
    return folder


def ensure_tiny_model(folder: Path) -> Path:
    """Build and save the tiny model once; later calls reuse the folder."""
    return _save_once(
        folder,
        build_tiny_pipeline,
        "A tiny randomly initialised Stable Diffusion pipeline built by mjbot for tests.\n"
        "Its images are noise. Set MJ_MODEL to a real model for real pictures.\n",
        "MJ_MODEL=tiny: building a tiny random model in %s; its images are noise",
    )


def build_tiny_upscaler(seed: int = 0):  # -> StableDiffusionUpscalePipeline
    """A tiny x4 upscaler with the shapes of diffusers' own upscale pipeline tests: a UNet that
    reads 4 latent + 3 low-res image channels and takes the noise level as a class label, a
    3-block VAE (4x: its latents are at the low-res image's size), DDPM for the low-res noise."""
    import torch
    from diffusers import (
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionUpscalePipeline,
    )

    torch.manual_seed(seed)
    # The noise level goes in as a class label, as in stabilityai/stable-diffusion-x4-upscaler.
    unet = _tiny_unet(in_channels=7, num_class_embeds=1000)
    vae = _tiny_vae(blocks=3, scaling_factor=0.08333)
    text_encoder, tokenizer = _tiny_text_model()
    return StableDiffusionUpscalePipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        low_res_scheduler=DDPMScheduler(),
        scheduler=DDIMScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            clip_sample=False,
            set_alpha_to_one=False,
            steps_offset=1,
        ),
        max_noise_level=350,
    )


def ensure_tiny_upscaler(folder: Path) -> Path:
    """Build and save the tiny x4 upscaler once (MJ_UPSCALER=tiny-x4); later calls reuse it."""
    return _save_once(
        folder,
        build_tiny_upscaler,
        "A tiny randomly initialised x4 upscaler built by mjbot for tests.\n"
        "Its images are noise.\n",
        "MJ_UPSCALER=tiny-x4: building a tiny random upscaler in %s",
    )


# Words the tiny captioner can say: enough of a caption's vocabulary (frames, media, styles,
# lighting, subjects) that its gibberish exercises every rule of engine.prompt_form.
_CAPTION_WORDS = " ".join(
    [
        "a an the of in on at with and there is are this that image picture photo painting",
        "drawing sketch black white close up view dog cat man woman girl boy city street tree",
        "house car bench park beach mountain river sky flower bird red blue green old futuristic",
        "anime cartoon watercolor sitting standing walking holding night sunset neon dark fog",
        "style , ' s",
    ]
).split()


def build_tiny_captioner(seed: int = 0):  # -> (BlipForConditionalGeneration, BlipProcessor)
    """A tiny random BLIP captioner: a 32 px vision encoder, a two-layer text decoder and a
    WordPiece tokenizer over _CAPTION_WORDS, built in code. Its captions are random words."""
    import torch
    import transformers
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipProcessor,
    )

    try:  # transformers 5: the Pillow image processor (the default one needs torchvision)
        from transformers import BlipImageProcessorPil as ImageProcessor
    except ImportError:  # transformers 4
        from transformers import BlipImageProcessor as ImageProcessor

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {token: i for i, token in enumerate([*special, *_CAPTION_WORDS, "[DEC]"])}
    # BLIP's decoder starts from its own [DEC] token and stops at [SEP], as in the real model.
    tokenizer = BertTokenizer(vocab=vocab, bos_token="[DEC]")
    small = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2}
    config = BlipConfig(
        text_config={
            **small,
            "num_attention_heads": 4,
            "vocab_size": len(vocab),
            "max_position_embeddings": 64,
            "bos_token_id": vocab["[DEC]"],
            "eos_token_id": vocab["[SEP]"],
            "sep_token_id": vocab["[SEP]"],
            "pad_token_id": vocab["[PAD]"],
        },
        vision_config={**small, "num_attention_heads": 4, "image_size": 32, "patch_size": 8},
        projection_dim=32,
        image_text_hidden_size=16,
    )
    torch.manual_seed(seed)
    transformers.utils.logging.disable_progress_bar()  # save_pretrained's bar: noise here
    model = BlipForConditionalGeneration(config)
    processor = BlipProcessor(
        image_processor=ImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer
    )
    return model, processor


def ensure_tiny_captioner(folder: Path) -> Path:
    """Build and save the tiny captioner once (MJ_CAPTION_MODEL=tiny); later calls reuse it."""

    def save() -> None:  # the model and its processor: two save_pretrained calls
        model, processor = build_tiny_captioner()
        model.save_pretrained(folder)
        processor.save_pretrained(folder)

    return _save_once(
        folder,
        save,
        "A tiny randomly initialised BLIP captioner built by mjbot for tests.\n"
        "Its captions are random words.\n",
        "MJ_CAPTION_MODEL=tiny: building a tiny random captioner in %s; it says random words",
        ready="model.safetensors",
    )


IP_ADAPTER_WEIGHTS = "ip-adapter.safetensors"


def _attention_width(name: str, channels: tuple[int, ...]) -> int:
    """The hidden size at a UNet attention processor, by its name (as diffusers works it out)."""
    if name.startswith("mid_block"):
        return channels[-1]
    block = int(name.split(".")[1])
    return list(reversed(channels))[block] if name.startswith("up_blocks") else channels[block]


def build_tiny_ip_adapter(folder: Path) -> None:
    """A random IP-Adapter for the tiny model, laid out like h94/IP-Adapter: the weights file
    (image projection to 4 tokens, and to_k_ip/to_v_ip for every cross-attention, numbered as
    diffusers' loader expects) and a tiny CLIP image encoder in `image_encoder/` beside it."""
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = _tiny_unet(in_channels=4)  # the tiny model's shapes: which attentions, what sizes
    cross, embed, tokens = unet.config.cross_attention_dim, 32, 4
    tensors = {
        "image_proj.proj.weight": torch.randn(cross * tokens, embed) * 0.1,
        "image_proj.proj.bias": torch.zeros(cross * tokens),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    key_id = 1  # diffusers numbers every attention, self (even) and cross (odd)
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        hidden = _attention_width(name, tuple(unet.config.block_out_channels))
        for key in ("to_k_ip", "to_v_ip"):
            tensors[f"ip_adapter.{key_id}.{key}.weight"] = torch.randn(hidden, cross) * 0.1
        key_id += 2
    save_file(tensors, str(folder / IP_ADAPTER_WEIGHTS))
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=37,
            projection_dim=embed,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=4,
        )
    )
    encoder.save_pretrained(folder / "image_encoder")


def ensure_tiny_ip_adapter(folder: Path) -> Path:
    """Build the tiny IP-Adapter once (MJ_IP_ADAPTER=tiny); returns its weights file."""
    _save_once(
        folder,
        lambda: build_tiny_ip_adapter(folder),
        "A tiny random IP-Adapter built by mjbot for tests. Its embeddings are noise.\n",
        "MJ_IP_ADAPTER=tiny: building a tiny random IP-Adapter in %s",
        ready=IP_ADAPTER_WEIGHTS,
    )
    return folder / IP_ADAPTER_WEIGHTS
