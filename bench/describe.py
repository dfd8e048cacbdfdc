"""What a /describe costs, in the fair queue's unit: one 512x512 image, one denoising step.

- caption passes: a BLIP-base-sized captioner (transformers' BlipConfig defaults: 247M
  parameters, random weights, 384 px input, a 30524-token vocabulary) saved and loaded through
  engine.captioner like any model folder; one beam pass (8 beams) and one sampling pass (8
  samples), each run to the 32-token limit (random weights rarely stop early: the worst case);
- the unit: one step of an SD 1.5-sized UNet (diffusers' defaults, 860M parameters, random
  weights) on 64x64 latents (512x512 pixels), batch 1, no guidance (as sd-turbo runs).

Prints JSON: medians, `describe_units` (a describe that stops after its beam pass, the usual
case: eight beams clean into four or more distinct prompts), `describe_units_worst` (beams and
two sampling passes). engine.job.DESCRIBE_COST is set from these.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import common

ROUNDS = 3


def blip_base_folder(root: Path) -> Path:
    """BLIP base's shapes and tokenizer layout, random weights, saved like a hub snapshot."""
    import torch
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipProcessor

    try:
        from transformers import BlipImageProcessorPil as ImageProcessor
    except ImportError:
        from transformers import BlipImageProcessor as ImageProcessor

    config = BlipConfig()
    names = {0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]", 30522: "[DEC]"}
    size = config.text_config.vocab_size
    vocab = {names.get(i, f"w{i}"): i for i in range(size)}
    torch.manual_seed(0)
    folder = root / "blip-base-random"
    BlipForConditionalGeneration(config).save_pretrained(folder)
    BlipProcessor(ImageProcessor(), BertTokenizer(vocab=vocab, bos_token="[DEC]")).save_pretrained(
        folder
    )
    return folder


def time_calls(call, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return common.median_ms(samples)


def main() -> None:
    """`python bench/describe.py [threads]`."""
    common.torch_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    import torch
    from diffusers import UNet2DConditionModel
    from PIL import Image

    from engine.captioner import Captioner
    from engine.job import DESCRIBE_COST

    with tempfile.TemporaryDirectory() as tmp:
        captioner = Captioner(str(blip_base_folder(Path(tmp))), data_dir=Path(tmp))
        image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
        captioner.captions(image, sample=False, seed=0)  # warm up
        beam_ms = time_calls(lambda: captioner.captions(image, sample=False, seed=0), ROUNDS)
        sample_ms = time_calls(lambda: captioner.captions(image, sample=True, seed=1), ROUNDS)

    unet = UNet2DConditionModel(cross_attention_dim=768).eval()  # SD 1.5's layout
    latents = torch.randn(1, 4, 64, 64)
    text = torch.randn(1, 77, 768)
    with torch.inference_mode():
        unet(latents, 999, encoder_hidden_states=text)  # warm up
        step_ms = time_calls(lambda: unet(latents, 999, encoder_hidden_states=text), ROUNDS)

    result = {
        "caption_beam_pass_ms": beam_ms,
        "caption_sample_pass_ms": sample_ms,
        "unet_step_512_ms": step_ms,
        "describe_units": round(beam_ms / step_ms, 3),
        "describe_units_worst": round((beam_ms + 2 * sample_ms) / step_ms, 3),
        "describe_cost_setting": DESCRIBE_COST,
    }
    print(json.dumps(result))
    print(
        f"a describe costs {result['describe_units']} (worst {result['describe_units_worst']}) "
        f"512x512 one-step images; engine.job.DESCRIBE_COST = {DESCRIBE_COST}; "
        f"{common.machine()}, {torch.get_num_threads()} torch thread(s)"
    )


if __name__ == "__main__":
    main()
