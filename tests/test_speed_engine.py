"""The speed plan carried out on the tiny pipeline: number format, layout, attention, TAESD
for the final decode and previews, and torch.compile in the background."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.backend import DiffusersBackend
from engine.decoders import decode_to_pixels
from engine.errors import ModelUnavailable
from engine.hardware import probe
from engine.tuning import Tuning
from tests.helpers import make_spec

pytestmark = pytest.mark.slow


def make_backend(root: Path, tiny_model_dir: Path, **tuning: str) -> DiffusersBackend:
    data = root / "-".join(f"{k}-{v}" for k, v in tuning.items()).replace("/", "_") or root
    (data / "models").mkdir(parents=True, exist_ok=True)
    link = data / "models" / "tiny"
    if not link.exists():
        link.symlink_to(tiny_model_dir, target_is_directory=True)
    return DiffusersBackend(
        {"tiny": "tiny"}, data_dir=data, allow_download=False, tuning=Tuning(**tuning)
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speed")


@pytest.fixture(scope="module")
def auto(root: Path, tiny_model_dir: Path) -> DiffusersBackend:
    return make_backend(root, tiny_model_dir)


@pytest.fixture(scope="module")
def taesd(root: Path, tiny_model_dir: Path) -> DiffusersBackend:
    return make_backend(root, tiny_model_dir, decoder="taesd")


def pixels(images: list) -> np.ndarray:
    return np.stack([np.asarray(image, dtype=np.float64) for image in images])


def psnr_db(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_auto_picks_bfloat16_only_where_the_cpu_computes_it(auto: DiffusersBackend) -> None:
    import torch

    pipe = auto.load("tiny").pipe
    native = probe("cpu").native_bf16
    assert pipe.unet.dtype == (torch.bfloat16 if native else torch.float32)
    assert pipe.vae.dtype == pipe.unet.dtype


def test_channels_last_and_fused_attention(auto: DiffusersBackend) -> None:
    import torch

    pipe = auto.load("tiny").pipe
    convs = [m for m in pipe.unet.modules() if isinstance(m, torch.nn.Conv2d)]
    convs += [m for m in pipe.vae.modules() if isinstance(m, torch.nn.Conv2d)]
    spatial = [conv.weight for conv in convs if conv.weight.shape[-1] > 1]
    assert spatial and all(w.is_contiguous(memory_format=torch.channels_last) for w in spatial)
    processors = {type(p).__name__ for p in pipe.unet.attn_processors.values()}
    assert processors == {"AttnProcessor2_0"}


def test_unfused_attention_is_replaced_without_changing_the_output(auto) -> None:
    import torch
    from diffusers.models.attention_processor import AttnProcessor

    from engine.speed import use_fused_attention

    unet = auto.load("tiny").pipe.unet
    x = torch.randn(1, 4, 32, 32, dtype=unet.dtype)
    context = torch.randn(1, 77, 32, dtype=unet.dtype)
    with torch.inference_mode():
        fused = unet(x, 10, context).sample
        unet.set_attn_processor(AttnProcessor())
        assert use_fused_attention(unet) == ["AttnProcessor2_0"]
        again = unet(x, 10, context).sample
    assert torch.allclose(fused.float(), again.float(), atol=2e-2)


def test_bfloat16_stays_close_to_float32(root: Path, tiny_model_dir: Path) -> None:
    spec = make_spec(steps=4, seeds=(7, 8))
    images = {
        dtype: pixels(make_backend(root, tiny_model_dir, dtype=dtype).generate([spec])[0])
        for dtype in ("float32", "bfloat16")
    }
    assert 30 <= psnr_db(images["float32"], images["bfloat16"]) < float("inf")


def test_taesd_draws_the_final_image(taesd: DiffusersBackend, auto: DiffusersBackend) -> None:
    spec = make_spec(steps=3, seeds=(3,))
    final: list = []
    [images] = taesd.generate([spec], on_step=lambda _s, _t, latents: final.append(latents))
    model = taesd.load("tiny")
    assert type(model.pipe.vae).__name__ == "AutoencoderKL"  # the seat is given back
    decoder = model.speed.decoder
    assert type(decoder).__name__ == "AutoencoderTiny"
    # The image is TAESD's decode of the last step's latents, not the VAE's.
    expected = decode_to_pixels(decoder, final[-1]).mul(255).round().permute(0, 2, 3, 1)
    assert np.abs(pixels(images) - expected.numpy()).max() <= 1
    assert psnr_db(pixels(images), pixels(auto.generate([spec])[0])) < 20


def test_taesd_decodes_image_to_image_jobs(taesd: DiffusersBackend, tmp_path: Path) -> None:
    from PIL import Image

    start = tmp_path / "start.png"
    Image.new("RGB", (64, 64), (200, 40, 40)).save(start)
    spec = make_spec(steps=4, seeds=(1,), init_image=str(start), strength=0.5)
    [images] = taesd.generate([spec])
    assert images[0].size == (64, 64)
    assert type(taesd.load("tiny").img2img.vae).__name__ == "AutoencoderKL"


def test_a_missing_taesd_fails_the_decoder_but_not_previews(
    root: Path, tiny_model_dir: Path, no_network: None
) -> None:
    decoder = make_backend(root, tiny_model_dir, decoder="taesd", taesd="someone/not-here")
    with pytest.raises(ModelUnavailable, match=r"someone/not-here.*MJ_DECODER=vae"):
        decoder.load("tiny")
    previews = make_backend(root, tiny_model_dir, taesd="someone/not-here")
    model = previews.load("tiny")
    assert model.speed.previewer.taesd is None
    assert previews.generate([make_spec(steps=1, seeds=(1,))])[0][0].size == (64, 64)


def test_previews_use_taesd_within_the_budget(taesd: DiffusersBackend) -> None:
    import torch

    previewer = taesd.load("tiny").speed.previewer
    assert previewer.seconds_per_pixel is not None  # measured when the model loaded
    latents = torch.randn(2, 4, 32, 32)
    # TAESD decodes to the image's size (64 px here); the projection stays at 32 px.
    assert previewer.grid(latents, step_s=3600.0, every_s=0.0).size == (128, 64)
    assert previewer.grid(latents, step_s=1e-9, every_s=0.0).size == (64, 32)
    previewer.mode = "linear"
    try:
        assert previewer.grid(latents, step_s=3600.0, every_s=0.0).size == (64, 32)
    finally:
        previewer.mode = "auto"


# diffusers' upsampler calls an lru_cache'd version check, which dynamo traces through.
@pytest.mark.filterwarnings("ignore:Dynamo detected a call to a `functools.lru_cache`")
def test_compiling_in_the_background_never_blocks_a_job(root: Path, tiny_model_dir: Path) -> None:
    backend = make_backend(root, tiny_model_dir, compile="default")
    backend.compile_backend = "eager"  # dynamo without inductor: the same path, in seconds
    spec = make_spec(steps=2, seeds=(5,))
    first = pixels(backend.generate([spec])[0])  # eager, and starts compiling its shapes
    compiled = backend.load("tiny").speed.compiled
    assert compiled is not None and compiled.compiled_calls == 0
    assert compiled.wait(timeout=300)
    assert compiled.ready
    second = pixels(backend.generate([spec])[0])
    assert compiled.compiled_calls >= 2  # both steps ran the compiled forward
    assert np.array_equal(first, second)
