"""Themes, LoRA look-ups and community limits as the core applies them (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import ParamError
from bot.core.looks import LoraRef
from bot.core.params_tokens import normalize_input
from bot.core.themes import (
    check_scope,
    merge_loras,
    pick_model,
    resolve_loras,
    theme_named,
    theme_params,
    with_triggers,
)
from bot.core.user_settings import merge_params
from storage.looks import LoraRecord, ScopeLooks, ThemeRecord

GUOFENG = ThemeRecord("guofeng", "anime", (("ink", 0.6), ("paper", 0.3)), "watercolor",
                      "--cfg 6 --steps 25 --clip-skip 2", "古风")  # fmt: skip
REGISTRY = {
    "ink": LoraRecord("ink", "ink.safetensors", "a" * 64, "sd1", "kohya", 16, "ink wash", 0.8),
    "paper": LoraRecord("paper", "/srv/paper.safetensors", "b" * 64, "sd1", "diffusers", 8),
    "xl": LoraRecord("xl", "xl.safetensors", "c" * 64, "sdxl", "kohya", 32, "xlstyle"),
}


def test_the_users_params_win_over_the_theme() -> None:
    text = "a crane —steps 10 --theme Guofeng"
    assert theme_named(text) == "guofeng"
    assert theme_named("a crane") is None
    assert theme_params(GUOFENG) == (
        "--model anime --style watercolor --cfg 6 --steps 25 --clip-skip 2"
    )
    merged = merge_params(normalize_input(text), theme_params(GUOFENG))
    assert merged == (
        "a crane --steps 10 --theme Guofeng --model anime --style watercolor --cfg 6 --clip-skip 2"
    )


def test_loras_merge_by_name_and_the_user_wins() -> None:
    assert merge_loras(GUOFENG, [LoraRef("ink", 1.2), LoraRef("xl")]) == (
        LoraRef("ink", 1.2), LoraRef("paper", 0.3), LoraRef("xl")
    )  # fmt: skip
    assert merge_loras(None, [LoraRef("ink")]) == (LoraRef("ink"),)
    refs = [LoraRef(name) for name in ("a", "b", "c")]
    with pytest.raises(ParamError, match="The theme brings 2 LoRAs and you gave 3: at most 4"):
        merge_loras(GUOFENG, refs)


def test_resolve_fills_files_weights_and_trigger_words() -> None:
    refs = [LoraRef("ink"), LoraRef("paper", -0.5)]
    resolved = resolve_loras(refs, REGISTRY, "anime", "sd1", Path("/data/loras"))
    [ink, paper] = resolved.loras
    assert (ink.path, ink.weight, ink.sha256) == ("/data/loras/ink.safetensors", 0.8, "a" * 64)
    assert (paper.path, paper.weight) == ("/srv/paper.safetensors", -0.5)
    assert resolved.trigger_words == ("ink wash",)
    silent = resolve_loras([LoraRef("ink", 0)], REGISTRY, "anime", "sd1", Path("/d"))
    assert silent.trigger_words == ()  # weight 0 draws the base image: no trigger words either


@pytest.mark.parametrize(
    ("ref", "family", "message"),
    [
        (LoraRef("nope"), "sd1", "Unknown LoRA 'nope'. Available: ink, paper, xl"),
        (LoraRef("xl"), "sd1", "made for SDXL models and 'anime' is not one"),
        (LoraRef("ink"), "sd-turbo", "made for SD 1.x models"),
    ],
    ids=["unknown", "sdxl-on-sd1", "sd1-on-turbo"],
)
def test_resolve_refuses_before_anything_is_charged(ref, family, message) -> None:
    with pytest.raises(ParamError, match=message):
        resolve_loras([ref], REGISTRY, "anime", family, Path("/d"))


def test_trigger_words_are_added_once() -> None:
    assert with_triggers("a crane", ["ink wash", "xlstyle"]) == "a crane, ink wash, xlstyle"
    assert with_triggers("a crane in Ink Wash", ["ink wash"]) == "a crane in Ink Wash"


def test_scope_limits() -> None:
    open_scope = ScopeLooks("discord:1")
    check_scope(open_scope, "anything", "any-model")
    limited = ScopeLooks("discord:1", ("guofeng",), ("anime", "sd"), "photo")
    check_scope(limited, "guofeng", "anime")
    check_scope(limited, "photo", "sd")  # the scope's default theme is always allowed there
    check_scope(limited, None, "sd")
    with pytest.raises(
        ParamError, match=r"The theme 'cyber' is not allowed here\. Allowed: guofeng"
    ):
        check_scope(limited, "cyber", "anime")
    with pytest.raises(
        ParamError, match=r"The model 'xl' is not allowed here\. Allowed: anime, sd"
    ):
        check_scope(limited, None, "xl")


def test_pick_model_prefers_what_was_asked_then_what_the_scope_allows() -> None:
    limited = ScopeLooks("telegram:-1", allowed_models=("anime", "sd"))
    assert pick_model(limited, "xl", "turbo") == "xl"  # asked: check_scope decides
    assert pick_model(limited, None, "turbo") == "anime"
    assert pick_model(limited, None, "sd") == "sd"
    assert pick_model(ScopeLooks("x"), None, "turbo") == "turbo"
