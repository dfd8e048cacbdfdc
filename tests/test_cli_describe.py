"""`mjbot describe IMAGE`: the JSON contract, on the tiny captioner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.__main__ import app
from bot.core.params import parse_mj


@pytest.fixture
def env(tmp_path: Path, tiny_captioner_dir: Path) -> dict[str, str]:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "tiny-captioner").symlink_to(tiny_captioner_dir, target_is_directory=True)
    return {"MJ_CAPTION_MODEL": "tiny", "MJ_DATA_DIR": str(data), "MJ_ALLOW_DOWNLOAD": "false"}


@pytest.mark.slow
def test_describe_prints_four_prompts_and_the_aspect(tmp_path: Path, env) -> None:
    image = tmp_path / "photo.jpg"
    Image.linear_gradient("L").resize((300, 200)).convert("RGB").save(image)
    result = CliRunner().invoke(app, ["describe", str(image), "--seed", "5"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["prompts", "aspect"]
    assert data["aspect"] == "3:2"
    prompts = data["prompts"]
    assert len(prompts) == 4 and len(set(prompts)) == 4
    for prompt in prompts:
        assert prompt.endswith(" --ar 3:2")
        assert parse_mj(prompt).aspect == "3:2"  # each one is a /mj text as it stands
    again = CliRunner().invoke(app, ["describe", str(image), "--seed", "5"], env=env)
    assert json.loads(again.stdout) == data


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("missing.png", None, "Cannot read"),
        ("notes.png", b"not an image at all", "not a valid PNG, JPEG, WebP, GIF or BMP"),
    ],
    ids=["missing", "not-an-image"],
)
def test_describe_refuses_what_is_not_an_image(tmp_path: Path, env, name, content, error):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(app, ["describe", str(path)], env=env)
    assert result.exit_code == 2
    assert error in json.loads(result.stdout)["error"]


def test_describe_without_the_model_says_how_to_get_it(tmp_path: Path, no_network) -> None:
    image = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(image)
    env = {
        "MJ_CAPTION_MODEL": "someone/absent-blip",
        "MJ_DATA_DIR": str(tmp_path),
        "HF_HUB_CACHE": str(tmp_path / "cache"),
    }
    result = CliRunner().invoke(app, ["describe", str(image)], env=env)
    assert result.exit_code == 2
    assert "mjbot models pull someone/absent-blip" in json.loads(result.stdout)["error"]
