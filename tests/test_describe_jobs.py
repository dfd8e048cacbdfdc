"""A describe as a job: banned terms kept out of its prompts (a pure choice against the real
matcher), and its place among the drawings in the engine's fair queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.describe_results import choose_suggestions
from bot.core.jobs import describe_spec
from bot.core.quota import job_credits
from bot.core.requests import Origin
from engine.backend import DiffusersBackend
from engine.job import DESCRIBE_COST, Finished, Started
from engine.profiles import PROFILES
from engine.prompt_form import prompt_key
from engine.worker import local_engine
from filters.terms import Matcher, TermList
from tests.helpers import make_spec, picture

MATCHER = Matcher(TermList(banned=("nude", "gore*", "blood bath")))


def blocked(text: str) -> bool:
    return MATCHER.check(text).blocked


CHOICES = [
    pytest.param(
        ["fox in snow", "red fox", "fox, photograph", "fox at night", "a fifth"],
        ["fox in snow", "red fox", "fox, photograph", "fox at night"],
        id="clean-ones-first-four",
    ),
    pytest.param(
        ["nude woman on beach, photograph", "fox", "n.u.d.e fox, sketch", "cat"],
        ["fox", "cat", "woman on beach, photograph", "fox, sketch"],
        id="banned-words-scrubbed-when-too-few",
    ),
    pytest.param(
        ["castle, blood bath, painting", "gorefest scene", "hill"],
        ["hill", "castle, painting", "scene"],
        id="a-several-word-term-takes-its-part",
    ),
    pytest.param(["nude", "gore, photograph"], [], id="nothing-left"),
]


@pytest.mark.parametrize(("candidates", "chosen"), CHOICES)
def test_choose_suggestions(candidates: list[str], chosen: list[str]) -> None:
    assert choose_suggestions(candidates, blocked) == chosen


_WORDS = st.sampled_from(["fox", "nude", "gore", "gory", "blood", "bath", "red", "snow", "art"])
_PROMPT = st.lists(st.lists(_WORDS, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PROMPT.map(", ".join), max_size=10))
def test_no_banned_term_ever_comes_through(candidates: list[str]) -> None:
    chosen = choose_suggestions(candidates, blocked)
    assert len(chosen) <= 4
    assert not any(blocked(prompt) for prompt in chosen)
    assert len({prompt_key(prompt) for prompt in chosen}) == len(chosen)
    clean: dict[frozenset[str], str] = {}  # the clean ones, first of each key, come first
    for candidate in candidates:
        if not blocked(candidate):
            clean.setdefault(prompt_key(candidate), candidate)
    first = list(clean.values())[:4]
    assert chosen[: len(first)] == first


def test_a_describe_costs_its_measured_work() -> None:
    spec = describe_spec(
        "d1", Origin("console", "local", "me"), "aa/x.png", (300, 200), 7, 1.0, model="tiny"
    )
    assert spec.cost == DESCRIBE_COST and spec.image_count == 1
    turbo = PROFILES["sd-turbo"]  # a default /mj there: 4 images, 1 step, 512²: 4 units
    assert job_credits(spec, turbo) == DESCRIBE_COST / 4
    assert job_credits(spec, PROFILES["sd1"]) == round(DESCRIBE_COST / 120, 4)


@pytest.mark.slow
async def test_a_describe_waits_its_fair_turn_among_drawings(
    tmp_path: Path, tiny_model_dir: Path, tiny_captioner_dir: Path
) -> None:
    """One user's backlog of drawings delays another user's describe by the job running."""
    images = tmp_path / "images"
    images.mkdir()
    picture((120, 80)).save(images / "photo.png")
    backend = DiffusersBackend(
        {"tiny": str(tiny_model_dir)},
        data_dir=tmp_path,
        images_dir=images,
        allow_download=False,
        caption_model=str(tiny_captioner_dir),
    )
    engine = local_engine(backend)
    try:
        heavy = [engine.submit(make_spec(f"h{i}", user="console:heavy")) for i in range(4)]
        origin = Origin("console", "local", "light")
        spec = describe_spec("d", origin, "photo.png", (120, 80), 3, 1.0, model="tiny")
        described = engine.submit(spec)
        engine.start()
        await engine.wait_idle()
        runs = {}
        for handle in [*heavy, described]:
            events = [event async for event in handle.events()]
            [started] = [e for e in events if isinstance(e, Started)]
            runs[handle.job_id] = int(started.task_id.split(":")[1])
            if handle is described:
                finished = events[-1]
        assert sorted(runs, key=runs.get).index("d") <= 1
        assert isinstance(finished, Finished) and finished.images == []
        assert finished.prompts is not None and len(finished.prompts) >= 4
    finally:
        engine.stop()
