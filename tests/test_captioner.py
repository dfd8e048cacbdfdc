"""The captioning model behind /describe, on the tiny random BLIP: loading and candidates."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from engine.captioner import CANDIDATES, SUGGESTIONS, Captioner
from engine.errors import GenerationFailed, JobCancelled, ModelUnavailable
from engine.prompt_form import prompt_key
from tests.helpers import picture

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def captioner(tmp_path_factory: pytest.TempPathFactory, tiny_captioner_dir: Path) -> Captioner:
    """The tiny model through the path any local model folder takes."""
    return Captioner(
        str(tiny_captioner_dir), data_dir=tmp_path_factory.mktemp("data"), allow_download=False
    )


def test_describe_gives_distinct_prompts_best_first_and_reproducibly(captioner) -> None:
    prompts = captioner.describe(picture(), seed=7)
    assert SUGGESTIONS <= len(prompts) <= CANDIDATES
    assert len({prompt_key(p) for p in prompts}) == len(prompts)
    assert all(p and p == p.strip() and " a " not in f" {p} " for p in prompts)
    assert captioner.describe(picture(), seed=7) == prompts  # the same job, the same answer


def test_a_fresh_describe_samples_new_candidates(captioner) -> None:
    first = captioner.describe(picture(), seed=7)
    again = captioner.describe(picture(), seed=8, fresh=True)
    assert len(again) >= SUGGESTIONS
    assert again[:SUGGESTIONS] != first[:SUGGESTIONS]
    assert captioner.describe(picture(), seed=9, fresh=True) != again  # a new seed, new ones


@pytest.mark.parametrize(
    ("size", "mode"),
    [((1, 1), "RGB"), ((400, 100), "RGBA"), ((50, 200), "L"), ((64, 64), "P")],
    ids=["one-pixel", "rgba-wide", "grey-tall", "palette"],
)
def test_any_image_shape_and_mode(captioner, size, mode) -> None:
    assert len(captioner.describe(picture(size, mode), seed=1)) >= SUGGESTIONS


def test_cancel_stops_generation(captioner) -> None:
    with pytest.raises(JobCancelled):
        captioner.describe(picture(), seed=1, cancel=lambda: True)


def test_a_model_that_says_nothing_fails_readably(tmp_path: Path, tiny_captioner_dir) -> None:
    """A model that only ever says filler ("there is a the of"): no prompt survives the rules."""
    mute = Captioner(str(tiny_captioner_dir), data_dir=tmp_path)
    model, processor = mute.load()
    filler = processor.tokenizer.convert_tokens_to_ids(["[SEP]", "a", "the", "there", "is", "of"])
    bias = model.text_decoder.cls.predictions.decoder.bias.data
    bias.fill_(-1e4)
    bias[filler] = 1e4
    with pytest.raises(GenerationFailed, match=r"only 0 different descriptions"):
        mute.describe(picture(), seed=1)


def test_tiny_is_built_once_into_the_data_dir(tmp_path: Path, tiny_captioner_dir: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny-captioner").symlink_to(tiny_captioner_dir)
    tiny = Captioner("tiny", data_dir=tmp_path)
    assert tiny.folder() == tmp_path / "models" / "tiny-captioner"
    assert len(tiny.describe(picture(), seed=3)) >= SUGGESTIONS


def test_hub_id_loads_from_the_local_cache(tmp_path: Path, tiny_captioner_dir, monkeypatch):
    """The hub path for real, offline: a snapshot laid out the way huggingface_hub caches it."""
    from huggingface_hub import constants

    repo = tmp_path / "hub" / "models--someone--tiny-blip"
    commit = "0" * 40
    shutil.copytree(tiny_captioner_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    hub = Captioner("someone/tiny-blip", data_dir=tmp_path, allow_download=False)
    assert len(hub.describe(picture(), seed=3)) >= SUGGESTIONS


def test_missing_hub_model_fails_fast_with_the_fix(tmp_path: Path, monkeypatch, no_network):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as error:
        Captioner("someone/not-here", data_dir=tmp_path).load()
    assert time.monotonic() - started < 5
    assert "mjbot models pull someone/not-here" in str(error.value)
    assert "MJ_CAPTION_MODEL" in str(error.value)


def test_folders_that_are_not_captioners_are_refused(tmp_path: Path, tiny_captioner_dir) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelUnavailable, match=r"no config\.json"):
        Captioner(str(empty), data_dir=tmp_path).load()
    text_only = tmp_path / "bert"
    text_only.mkdir()
    (text_only / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelUnavailable, match="not an image-to-text"):
        Captioner(str(text_only), data_dir=tmp_path).load()
    broken = tmp_path / "broken"
    shutil.copytree(tiny_captioner_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ModelUnavailable, match=r"could not be loaded \(MJ_CAPTION_MODEL="):
        Captioner(str(broken), data_dir=tmp_path).load()
    with pytest.raises(ModelUnavailable, match="neither a local folder nor a hub id"):
        Captioner("not a model", data_dir=tmp_path).load()
