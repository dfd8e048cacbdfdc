"""The engine's editing kinds on the tiny pipeline: inpainting (Zoom Out, Pan, Make Square,
Vary (Region)) and blends (averaged latents, or an IP-Adapter's averaged image embeddings)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.backend import DiffusersBackend
from engine.canvas import box_mask, pan, place_source, thirds_mask, whole, zoom_out
from engine.errors import GenerationFailed, JobCancelled, ModelUnavailable
from storage.images import ImageStore
from tests.helpers import make_spec

pytestmark = pytest.mark.slow
BUDGET = 64 * 64  # the tiny model's native size


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> DiffusersBackend:
    data = tmp_path_factory.mktemp("data")
    (data / "models").mkdir()
    (data / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    return DiffusersBackend(
        {"tiny": "tiny"}, data_dir=data, allow_download=False, ip_adapter="tiny"
    )


@pytest.fixture(scope="module")
def images(backend: DiffusersBackend) -> ImageStore:
    return ImageStore(backend.images_dir)


@pytest.fixture(scope="module")
def sources(backend: DiffusersBackend) -> list[Image.Image]:
    """Two drawn images, upscaled the cheap way to 128 px: what an upscale result looks like."""
    [drawn] = backend.generate([make_spec(seeds=(11, 12))])
    return [image.resize((128, 128), Image.Resampling.LANCZOS) for image in drawn]


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def inpaint_spec(images: ImageStore, canvas: Image.Image, mask: Image.Image, **changes):
    stored_canvas, stored_mask = images.save_png(canvas), images.save_png(mask)
    return make_spec(
        width=canvas.width,
        height=canvas.height,
        init_image=stored_canvas.path,
        mask_image=stored_mask.path,
        strength=1.0,
        seeds=(5, 6),
        **changes,
    )


@pytest.mark.parametrize(
    "plan",
    [
        zoom_out(128, 128, 2.0, BUDGET, 8),
        zoom_out(128, 128, 1.5, BUDGET, 8),
        pan(128, 128, "left", BUDGET, 8),
        pan(128, 128, "down", BUDGET, 8),
    ],
    ids=["zoom-2x", "zoom-1.5x", "pan-left", "pan-down"],
)
def test_outpainting_keeps_the_source_exactly_and_paints_the_rest(
    backend, images, sources, plan
) -> None:
    canvas, mask = place_source(sources[0], plan), box_mask(plan)
    [result] = backend.generate([inpaint_spec(images, canvas, mask)])
    assert [image.size for image in result] == [(plan.width, plan.height)] * 2
    kept = np.asarray(mask) < 128
    for image in result:
        assert np.array_equal(as_array(image)[kept], as_array(canvas)[kept])
        assert not np.array_equal(as_array(image)[~kept], as_array(canvas)[~kept])
    assert not np.array_equal(as_array(result[0]), as_array(result[1]))  # own seeds


def test_vary_region_repaints_only_the_chosen_thirds(backend, images, sources) -> None:
    plan = whole(128, 128, BUDGET, 8)
    canvas, mask = place_source(sources[1], plan), thirds_mask(64, 64, {5})
    [result] = backend.generate([inpaint_spec(images, canvas, mask)])
    painted = np.asarray(mask) >= 128
    assert painted.sum() == (42 - 21) ** 2
    for image in result:
        assert np.array_equal(as_array(image)[~painted], as_array(canvas)[~painted])
        assert not np.array_equal(as_array(image)[painted], as_array(canvas)[painted])


def test_inpainting_shares_the_loaded_weights(backend, images, sources) -> None:
    plan = zoom_out(128, 128, 2.0, BUDGET, 8)
    backend.generate([inpaint_spec(images, place_source(sources[0], plan), box_mask(plan))])
    model = backend.load("tiny")
    assert type(model.inpaint).__name__ == "StableDiffusionInpaintPipeline"
    for name in ("unet", "vae", "text_encoder"):
        pairs = zip(
            getattr(model.pipe, name).parameters(),
            getattr(model.inpaint, name).parameters(),
            strict=True,
        )
        assert all(a.data_ptr() == b.data_ptr() for a, b in pairs)


def test_inpainting_reports_progress_and_cancels(backend, images, sources) -> None:
    plan = pan(128, 128, "up", BUDGET, 8)
    spec = inpaint_spec(images, place_source(sources[0], plan), box_mask(plan), steps=6)
    steps: list[tuple[int, int]] = []
    backend.generate([spec], lambda step, total, _: steps.append((step, total)))
    assert steps == [(i, 6) for i in range(1, 7)]
    with pytest.raises(JobCancelled):
        backend.generate([spec], cancel=lambda: True)


def test_a_missing_canvas_is_a_readable_failure(backend) -> None:
    spec = make_spec(init_image="no/such.png", mask_image="no/mask.png", strength=1.0)
    with pytest.raises(GenerationFailed, match="could not be read"):
        backend.generate([spec])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mask_image": "m.png"}, "canvas"),
        ({"blend_images": ("a.png",), "strength": 0.7}, "2 to 5"),
        ({"blend_images": ("a.png", "b.png")}, "go together"),
        ({"ip_adapter": True}, "for blends"),
        ({"blend_images": ("a", "b"), "init_image": "c", "strength": 0.5}, "not from an init"),
    ],
    ids=["mask-without-canvas", "one-image-blend", "blend-without-strength", "stray-ip", "both"],
)
def test_inconsistent_sources_are_refused_before_running(backend, changes, message) -> None:
    with pytest.raises(ValueError, match=message):
        backend.generate([make_spec(**changes)])


def blend_spec(images: ImageStore, sources: list[Image.Image], **changes):
    paths = tuple(images.save_png(image).path for image in sources)
    return make_spec(blend_images=paths, prompts=make_spec().prompts, **changes)


def test_latent_blend_depends_on_every_input(backend, images, sources) -> None:
    flipped = sources[1].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    [mixed] = backend.generate([blend_spec(images, sources, strength=0.7)])
    [other] = backend.generate([blend_spec(images, [sources[0], flipped], strength=0.7)])
    assert [image.size for image in mixed] == [(64, 64)] * 2
    assert not np.array_equal(as_array(mixed[0]), as_array(other[0]))
    [again] = backend.generate([blend_spec(images, sources, strength=0.7)])
    assert np.array_equal(as_array(mixed[0]), as_array(again[0]))


def test_ip_adapter_blend_attaches_only_while_it_runs(backend, images, sources) -> None:
    plain = make_spec(seeds=(3,))
    [before] = backend.generate([plain])
    spec = blend_spec(images, sources, ip_adapter=True, seeds=(3,))
    [mixed] = backend.generate([spec])
    unet = backend.load("tiny").pipe.unet
    assert unet.encoder_hid_proj is None  # detached again
    [after] = backend.generate([plain])
    assert np.array_equal(as_array(before[0]), as_array(after[0]))
    assert not np.array_equal(as_array(mixed[0]), as_array(before[0]))
    flipped = [sources[0], sources[1].transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    [other] = backend.generate([blend_spec(images, flipped, ip_adapter=True, seeds=(3,))])
    assert not np.array_equal(as_array(mixed[0]), as_array(other[0]))
    [unguided] = backend.generate([replace(spec, cfg=0.0)])  # no negative half
    assert unguided[0].size == (64, 64)


def test_ip_adapter_blend_without_an_adapter_names_the_setting(tmp_path, tiny_model_dir):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    bare = DiffusersBackend({"tiny": "tiny"}, data_dir=tmp_path, allow_download=False)
    stored = ImageStore(bare.images_dir)
    plain = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    spec = blend_spec(stored, plain, ip_adapter=True)
    with pytest.raises(ModelUnavailable, match="MJ_IP_ADAPTER"):
        bare.generate([spec])
    broken = DiffusersBackend(
        {"tiny": "tiny"}, data_dir=tmp_path, allow_download=False, ip_adapter="nobody/x"
    )
    with pytest.raises(ModelUnavailable, match="MJ_IP_ADAPTER='nobody/x'"):
        broken.generate([spec])
