"""`mjbot loras` and `mjbot themes`: the registry and themes from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "MJ_DATA_DIR": str(tmp_path / "data"),
        "MJ_MODEL": "tiny",
        "MJ_MODELS": "anime=someone/anything-v5,xl=someone/sdxl-base",
    }


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_add_copies_inspects_and_lists_a_lora(env, tiny_loras, tmp_path: Path) -> None:
    source = tiny_loras["a-kohya"]
    out = run(
        env,
        "loras",
        "add",
        str(source),
        "--name",
        "Ink",
        "--trigger",
        " ink  wash ",
        "--weight",
        "0.7",
        "--description",
        "水墨",
    )
    assert "Added LoRA 'ink': the tiny test model, kohya layout, rank 4" in out
    copied = tmp_path / "data" / "loras" / source.name
    assert copied.read_bytes() == source.read_bytes()
    [listed] = json.loads(run(env, "loras", "list"))
    assert listed["name"] == "ink" and listed["file"] == source.name
    assert (listed["family"], listed["trigger_words"], listed["default_weight"]) == (
        "tiny",
        "ink wash",
        0.7,
    )
    run(env, "loras", "add", str(source), "--name", "ink", code=2)  # name taken
    inspected = json.loads(run(env, "loras", "inspect", str(tiny_loras["a"])))
    assert (inspected["layout"], inspected["rank"]) == ("diffusers", 4)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--name", "a b"], "names are 1-40"), (["--name", "x", "--weight", "3"], "from -2 to 2")],
    ids=["bad-name", "bad-weight"],
)
def test_add_refuses_bad_input(env, tiny_loras, args, message) -> None:
    assert message in run(env, "loras", "add", str(tiny_loras["a"]), *args, code=2)


def test_add_refuses_what_is_not_a_lora(env, tmp_path: Path) -> None:
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"junk")
    assert "could not be read" in run(env, "loras", "add", str(fake), "--name", "x", code=2)
    assert "No such file" in run(env, "loras", "add", "missing.safetensors", "--name", "x", code=2)


def test_themes_check_their_model_loras_and_params(env, tiny_loras) -> None:
    run(env, "loras", "add", str(tiny_loras["a"]), "--name", "ink", "--weight", "0.8")
    out = run(
        env,
        "themes",
        "add",
        "Guofeng",
        "--model",
        "tiny",
        "--lora",
        "ink",
        "--style",
        "watercolor",
        "--params",
        "—cfg 6 --steps 3",
        "--description",
        "古风",
    )
    assert json.loads(out) == {
        "name": "guofeng",
        "model": "tiny",
        "loras": [{"name": "ink", "weight": 0.8}],
        "style": "watercolor",
        "params": "--cfg 6 --steps 3",
        "description": "古风",
    }
    assert [t["name"] for t in json.loads(run(env, "themes", "list"))] == ["guofeng"]
    refusals = {
        ("--model", "anime", "--lora", "ink:0.5"): "is for the tiny test model models",
        ("--model", "nope"): "Unknown model 'nope'",
        ("--model", "tiny", "--lora", "missing"): "No LoRA named 'missing'",
        ("--model", "tiny", "--params", "--steps 999"): "--steps",
        ("--model", "tiny", "--params", "--model xl"): "with --model, not in --params",
        ("--model", "tiny", "--style", "nope"): "Unknown style",
        ("--model", "tiny", "--params", "--seed 3"): "cannot be a default",
    }
    for args, message in refusals.items():
        assert message in run(env, "themes", "add", "t2", *args, "--description", "d", code=2)
    assert "Themes use 'ink': guofeng" in run(env, "loras", "remove", "ink", code=2)
    run(env, "themes", "add", "guofeng", "--model", "tiny", "--description", "d", code=2)
    run(env, "themes", "add", "guofeng", "--model", "tiny", "--description", "d", "--replace")
    run(env, "loras", "remove", "ink", "--delete-file")
    assert json.loads(run(env, "loras", "list")) == []


def test_scope_limits_from_the_command_line(env) -> None:
    run(env, "themes", "add", "anime", "--model", "anime", "--description", "Anime")
    out = run(
        env,
        "themes",
        "scope",
        "discord:42",
        "--allow-themes",
        "Anime",
        "--allow-models",
        "anime,tiny",
        "--default-theme",
        "anime",
    )
    assert json.loads(out) == {
        "scope": "discord:42",
        "allowed_themes": ["anime"],
        "allowed_models": ["anime", "tiny"],
        "default_theme": "anime",
    }
    assert "Unknown themes: photo" in run(
        env, "themes", "scope", "discord:42", "--allow-themes", "photo", code=2
    )
    assert "Unknown models: sd3" in run(
        env, "themes", "scope", "discord:42", "--allow-models", "sd3", code=2
    )
    assert "takes platform:id" in run(env, "themes", "scope", "global", code=2)
    cleared = json.loads(
        run(env, "themes", "scope", "discord:42", "--allow-themes", "", "--default-theme", "")
    )
    assert cleared["allowed_themes"] == [] and cleared["default_theme"] is None
    run(env, "themes", "remove", "anime")
    run(env, "themes", "remove", "anime", code=2)
