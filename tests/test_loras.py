"""LoRA styles in the engine: file inspection, both layouts, weights, sets, fusing, LRU."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.backend import DiffusersBackend
from engine.errors import GenerationFailed
from engine.job import JobSpec, LoraUse, batch_key, spec_from_dict, spec_to_dict
from engine.lora_files import LoraFileError, describe, file_sha256, fits, inspect_lora
from engine.tuning import Tuning
from tests.helpers import make_spec

SD1_CROSS = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight"


@pytest.mark.parametrize(
    ("shapes", "layout", "family", "rank"),
    [
        ({SD1_CROSS: (16, 768), "lora_te_text_model_x_q_proj.lora_down.weight": (16, 768)},
         "kohya", "sd1", 16),
        ({SD1_CROSS: (32, 1024)}, "kohya", "sd2", 32),
        ({"lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_v.lora_down.weight":
          (8, 2048), "lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight":
          (8, 1280)}, "kohya", "sdxl", 8),
        ({"unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight":
          (4, 768)}, "diffusers", "sd1", 4),
        ({"unet.down.attn2.processor.to_v_lora.down.weight": (4, 2048)}, "diffusers", "sdxl", 4),
        ({"text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight": (4, 1024)},
         "diffusers", "sd2", 4),
        ({"lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": (4, 1280)},
         "kohya", "sdxl", 4),
    ],
    ids=["kohya-sd1", "kohya-sd2", "kohya-sdxl", "diffusers-sd1", "old-diffusers-sdxl",
         "text-encoder-only-sd2", "second-encoder-only"],
)  # fmt: skip
def test_describe_tells_layout_family_and_rank(shapes, layout, family, rank) -> None:
    info = describe(shapes)
    assert (info.layout, info.family, info.rank) == (layout, family, rank)


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        ({"model.diffusion_model.input_blocks.0.0.weight": (320, 4, 3, 3)}, "no LoRA weights"),
        ({"lora_unet_x.hada_w1_a": (4, 4), SD1_CROSS: (4, 768)}, "LoHa"),
        ({SD1_CROSS: (4, 512)}, "cannot tell"),
        ({SD1_CROSS: (4, 768), SD1_CROSS.replace("blocks_0", "blocks_1"): (4, 1024)}, "768, 1024"),
    ],
    ids=["checkpoint", "lycoris", "unknown-width", "mixed-widths"],
)
def test_describe_refuses_what_is_not_a_usable_lora(shapes, message) -> None:
    with pytest.raises(LoraFileError, match=message):
        describe(shapes)


def test_inspect_reads_both_layouts_of_the_tiny_lora(tiny_loras: dict[str, Path]) -> None:
    diffusers, kohya = inspect_lora(tiny_loras["a"]), inspect_lora(tiny_loras["a-kohya"])
    assert (diffusers.layout, kohya.layout) == ("diffusers", "kohya")
    for info in (diffusers, kohya):
        assert (info.family, info.rank, info.parts) == ("tiny", 4, ("text_encoder", "unet"))
    assert diffusers.modules == kohya.modules


def test_inspect_refuses_other_files(tmp_path: Path) -> None:
    pickled = tmp_path / "x.pt"
    pickled.write_bytes(b"\x80\x04")
    with pytest.raises(LoraFileError, match=r"must be \.safetensors"):
        inspect_lora(pickled)
    garbage = tmp_path / "x.safetensors"
    garbage.write_bytes(b"not a safetensors file")
    with pytest.raises(LoraFileError, match="could not be read"):
        inspect_lora(garbage)


def test_fits_maps_turbo_models_to_their_base() -> None:
    assert fits("sd2", "sd-turbo") and fits("sdxl", "sdxl-turbo") and fits("sd1", "sd1")
    assert not fits("sd1", "sdxl") and not fits("sdxl", "sd-turbo")


def use(tiny_loras: dict[str, Path], name: str, weight: float = 1.0) -> LoraUse:
    path = tiny_loras[name]
    return LoraUse(name, str(path), file_sha256(path), weight)


def test_spec_keeps_its_loras_through_json_and_batches_by_them(tiny_loras) -> None:
    job = make_spec(loras=(use(tiny_loras, "a", 0.7), use(tiny_loras, "b", -1)), clip_skip=2)
    assert spec_from_dict(spec_to_dict(job)) == job
    assert batch_key(job) != batch_key(replace(job, loras=job.loras[:1]))
    assert batch_key(job) != batch_key(replace(job, loras=(use(tiny_loras, "a", 0.5),)))
    assert batch_key(job) != batch_key(replace(job, clip_skip=1))


# --- on the tiny pipeline ---------------------------------------------------------------


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> DiffusersBackend:
    data = tmp_path_factory.mktemp("data")
    # float32: the fused-against-unfused comparisons below measure the logic, not bfloat16's
    # rounding (which "auto" picks on CPUs that compute it).
    return DiffusersBackend(
        {"tiny": str(tiny_model_dir)},
        data_dir=data,
        lora_max_loaded=2,
        tuning=Tuning(dtype="float32"),
    )


def draw(backend: DiffusersBackend, job: JobSpec) -> np.ndarray:
    [images] = backend.generate([job])
    return np.stack([np.asarray(image, dtype=np.int16) for image in images])


@pytest.fixture(scope="module")
def base(backend: DiffusersBackend) -> np.ndarray:
    return draw(backend, make_spec())


@pytest.mark.slow
def test_lora_changes_the_image_the_same_in_both_layouts(backend, base, tiny_loras) -> None:
    styled = draw(backend, make_spec(loras=(use(tiny_loras, "a"),)))
    assert np.abs(styled - base).max() > 10
    kohya = draw(backend, make_spec(loras=(use(tiny_loras, "a-kohya"),)))
    assert np.array_equal(kohya, styled)


@pytest.mark.slow
def test_weight_zero_draws_exactly_the_base_image(backend, base, tiny_loras) -> None:
    assert np.array_equal(draw(backend, make_spec(loras=(use(tiny_loras, "a", 0.0),))), base)
    zero_and_b = draw(backend, make_spec(loras=(use(tiny_loras, "a", 0), use(tiny_loras, "b"))))
    b_alone = draw(backend, make_spec(loras=(use(tiny_loras, "b"),)))
    # a at 0 is left out, so {b} came twice in a row and was fused: equal up to rounding
    assert backend.load("tiny").loras.fused
    assert np.abs(zero_and_b - b_alone).max() <= 1


@pytest.mark.slow
def test_two_loras_combine_and_weights_matter(backend, base, tiny_loras) -> None:
    a = draw(backend, make_spec(loras=(use(tiny_loras, "a"),)))
    b = draw(backend, make_spec(loras=(use(tiny_loras, "b"),)))
    both = draw(backend, make_spec(loras=(use(tiny_loras, "a"), use(tiny_loras, "b"))))
    assert min(np.abs(both - a).max(), np.abs(both - b).max(), np.abs(both - base).max()) > 5
    half = draw(backend, make_spec(loras=(use(tiny_loras, "a", 0.5),)))
    assert np.abs(half - a).max() > 5 and np.abs(half - base).max() > 5


@pytest.mark.slow
def test_a_repeated_set_is_fused_and_the_base_comes_back_bit_exact(
    backend, base, tiny_loras
) -> None:
    job = make_spec(loras=(use(tiny_loras, "a", 0.8), use(tiny_loras, "b", -0.6)))
    unfused = draw(backend, job)
    slots = backend.load("tiny").loras
    assert not slots.fused
    fused = draw(backend, job)  # the same set again: fused into the weights
    assert slots.fused
    assert np.abs(fused - unfused).max() <= 1  # float rounding of W + BA vs W x + B(A x)
    assert np.array_equal(draw(backend, job), fused)  # stays fused, same pixels
    assert np.array_equal(draw(backend, make_spec()), base)  # unfused back to the exact base
    assert not slots.fused


@pytest.mark.slow
def test_adapters_stay_loaded_up_to_the_limit(backend, tiny_loras) -> None:
    slots = backend.load("tiny").loras

    def adapters(*names: str) -> list[str]:
        return [use(tiny_loras, name).adapter for name in names]

    for name in ("a", "b", "a-kohya", "b", "a"):  # the limit is 2: least recently used goes
        draw(backend, make_spec(loras=(use(tiny_loras, name),), seeds=(1,)))
    assert slots.loaded == adapters("b", "a")
    both = make_spec(loras=(use(tiny_loras, "a-kohya"), use(tiny_loras, "b")), seeds=(1,))
    draw(backend, both)  # needs b, so a goes
    assert slots.loaded == adapters("a-kohya", "b")


@pytest.mark.slow
def test_a_lora_for_another_family_fails_the_job_clearly(backend, tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    path = tmp_path / "sd1.safetensors"
    save_file({SD1_CROSS: np.zeros((4, 768), np.float32)}, str(path))
    job = make_spec(loras=(LoraUse("sd1-style", str(path), file_sha256(path), 1.0),))
    with pytest.raises(GenerationFailed, match=r"'sd1-style' was made for SD 1\.x models"):
        backend.generate([job])


@pytest.mark.slow
def test_clip_skip_changes_the_conditioning(backend, base) -> None:
    skip2 = draw(backend, make_spec(clip_skip=2))
    assert np.abs(skip2 - base).max() > 5
    assert np.array_equal(draw(backend, make_spec(clip_skip=2)), skip2)
    with pytest.raises(ValueError, match="clip skip"):
        backend.generate([make_spec(clip_skip=5)])
