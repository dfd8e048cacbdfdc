"""LoRA and theme names and weights (pure), and their storage: registry, themes, scope limits."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import ParamError
from bot.core.looks import check_name, check_weight, parse_lora_ref
from storage.looks import Looks, LoraRecord, ScopeLooks, ThemeRecord
from storage.store import Store


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Pixel-Art", ("pixel-art", None)), ("ink_v2:0.8", ("ink_v2", 0.8)),
     (" a.b:-2 ", ("a.b", -2.0)), ("x:+1.5", ("x", 1.5)), ("x:.5", ("x", 0.5))],
    ids=["default-weight", "weight", "negative-bound", "plus-sign", "leading-dot"],
)  # fmt: skip
def test_lora_refs(text: str, expected: tuple[str, float | None]) -> None:
    assert parse_lora_ref(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("x:2.5", "from -2 to 2, got 2.5"), ("x:abc", "must be a number"), ("x:", "a number"),
     (":1", "names are 1-40"), ("a b", "names are 1-40"), ("<lora", "names are 1-40"),
     ("x" * 41, "names are 1-40"), ("x:nan", "a number")],
    ids=["range", "word", "empty-weight", "empty-name", "space", "bracket", "long", "nan"],
)  # fmt: skip
def test_bad_lora_refs_say_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        parse_lora_ref(text)


@given(st.text(max_size=80))
def test_lora_refs_parse_or_refuse_with_a_message(text: str) -> None:
    try:
        name, weight = parse_lora_ref(text)
    except ParamError as error:
        assert str(error)
    else:
        assert check_name("LoRA", name) == name
        assert weight is None or -2 <= weight <= 2


def test_names_are_lowercased_and_weights_checked() -> None:
    assert check_name("Theme", "  Anime ") == "anime"
    assert check_weight("x", "-0.25") == -0.25


@pytest.fixture
def looks() -> Looks:
    return Looks(Store(":memory:").db)


def lora(name: str = "ink", **changes) -> LoraRecord:
    values = {"file": f"{name}.safetensors", "sha256": "ab" * 32, "family": "sd1",
              "layout": "kohya", "rank": 16, "trigger_words": "ink wash",
              "default_weight": 0.8, "description": "Chinese ink"}  # fmt: skip
    return LoraRecord(name=name, **{**values, **changes})


def test_lora_registry_round_trip(looks: Looks) -> None:
    assert looks.add_lora(lora(), "cli")
    assert not looks.add_lora(lora(file="other.safetensors"), "cli")  # the name is taken
    assert looks.lora("ink") == lora()
    looks.add_lora(lora("anime", family="sdxl"), "cli")
    assert [item.name for item in looks.loras()] == ["anime", "ink"]
    assert looks.remove_lora("ink") and not looks.remove_lora("ink")
    assert looks.lora("ink") is None


def test_themes_round_trip_and_name_their_loras(looks: Looks) -> None:
    theme = ThemeRecord("guofeng", "anime", (("ink", 0.6), ("pixel", -0.5)), "watercolor",
                        "--cfg 6 --steps 25", "古风")  # fmt: skip
    assert looks.add_theme(theme, "cli")
    assert not looks.add_theme(ThemeRecord("guofeng", "sd"), "cli")
    assert looks.theme("guofeng") == theme
    assert looks.add_theme(ThemeRecord("guofeng", "sd"), "cli", replace=True)
    assert looks.theme("guofeng") == ThemeRecord("guofeng", "sd")
    looks.add_theme(theme, "cli", replace=True)
    assert looks.themes_using("ink") == ["guofeng"] and looks.themes_using("other") == []


def test_scope_limits_and_default_theme(looks: Looks) -> None:
    assert looks.scope("discord:1") == ScopeLooks("discord:1")  # no rows: everything allowed
    looks.add_theme(ThemeRecord("anime", "anime"), "cli")
    looks.set_allowed("discord:1", "theme", ["anime", "photo", "anime"], "discord:9")
    looks.set_allowed("discord:1", "model", ["sd"], "discord:9")
    looks.set_default_theme("discord:1", "anime", "discord:9")
    assert looks.scope("discord:1") == ScopeLooks(
        "discord:1", ("anime", "photo"), ("sd",), "anime"
    )
    assert looks.scope("telegram:-5") == ScopeLooks("telegram:-5")  # scopes are separate
    looks.set_allowed("discord:1", "model", [], "discord:9")
    # removing a theme removes it from allowed lists and defaults too
    assert looks.remove_theme("anime")
    assert looks.scope("discord:1") == ScopeLooks("discord:1", ("photo",), (), None)


def test_the_jobs_table_records_theme_loras_and_clip_skip() -> None:
    store = Store(":memory:")
    columns = {column.name for column in store.db["jobs"].columns}
    assert {"theme", "loras_json", "clip_skip"} <= columns
    with pytest.raises(sqlite3.IntegrityError):
        store.db["loras"].insert({"name": "x"})  # file, hash, family are required
