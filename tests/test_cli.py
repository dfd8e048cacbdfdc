"""The mjbot command: parse's JSON contract and a one-shot imagine on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import app
from tests.helpers import CONTRACT_KEYS, load_image


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_parse_prints_the_contract(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["parse", "/mj 一只猫 ——ar 16：9 --no 文字，水印 --seed 7"],
        env={"MJ_MODEL": "stabilityai/sd-turbo"},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == CONTRACT_KEYS
    assert data["prompt"] == "一只猫" and data["negative_prompt"] == "文字, 水印"
    assert (data["aspect"], data["width"], data["height"], data["seed"]) == ("16:9", 680, 384, 7)
    assert data["prompts"] == [{"text": "一只猫", "weight": 1.0}]


def test_parse_uses_the_models_native_size(runner: CliRunner) -> None:
    env = {"MJ_MODEL": "stabilityai/sd-turbo", "MJ_MODELS": "xl=stabilityai/sdxl-base-1.0"}
    result = runner.invoke(app, ["parse", "a fox --model xl --steps 30"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["width"], data["height"], data["steps"]) == (1024, 1024, 30)


def test_parse_error_exits_2_with_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["parse", "a fox --seed -1"])
    assert result.exit_code == 2
    assert "seed" in json.loads(result.output)["error"]


@pytest.mark.slow
def test_imagine_prints_paths_and_parameters(
    runner: CliRunner, tmp_path: Path, tiny_model_dir: Path
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "models").mkdir(parents=True)
    (data_dir / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    env = {"MJ_MODEL": "tiny", "MJ_DATA_DIR": str(data_dir), "MJ_IMAGES_PER_JOB": "2"}
    result = runner.invoke(
        app, ["imagine", "a red fox --ar 3:2 --seed 9", "--out", str(tmp_path / "out")], env=env
    )
    assert result.exit_code == 0, result.output
    [job] = json.loads(result.stdout)["jobs"]
    assert job["status"] == "done" and job["seeds"] == [9, 10]
    assert job["parameters"]["aspect"] == "3:2" and job["parameters"]["model"] == "tiny"
    assert len(job["images"]) == 2
    grid = load_image(job["grid"])
    assert grid.size == (2 * job["parameters"]["width"], job["parameters"]["height"])
    assert all(Path(p).parent == tmp_path / "out" for p in [job["grid"], *job["images"]])


@pytest.mark.slow
def test_imagine_with_a_missing_model_says_how_to_fix(runner: CliRunner, tmp_path: Path) -> None:
    env = {
        "MJ_MODEL": "someone/absent",
        "MJ_DATA_DIR": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(tmp_path / "cache"),
    }
    result = runner.invoke(app, ["imagine", "a fox"], env=env)
    assert result.exit_code == 2
    assert "mjbot models pull someone/absent" in json.loads(result.stdout)["error"]


def test_models_speed_says_what_this_machine_will_run(runner: CliRunner) -> None:
    from engine.hardware import probe

    env = {
        "MJ_MODEL": "stabilityai/sd-turbo",
        "MJ_MODELS": "xl=stabilityai/sdxl-turbo",
        "MJ_DEVICE": "cpu",
        "MJ_DECODER": "taesd",
    }
    result = runner.invoke(app, ["models", "speed"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    native = probe("cpu").native_bf16
    assert (report["device"], report["native_bf16"]) == ("cpu", native)
    turbo, xl = report["models"]["sd-turbo"], report["models"]["xl"]
    assert turbo["dtype"] == xl["dtype"] == ("bfloat16" if native else "float32")
    assert (turbo["taesd"], xl["taesd"]) == ("madebyollin/taesd", "madebyollin/taesdxl")
    assert turbo["decoder"] == "taesd" and turbo["channels_last"] and turbo["compile"] == "off"


def test_models_speed_refuses_a_bad_setting(runner: CliRunner) -> None:
    result = runner.invoke(app, ["models", "speed"], env={"MJ_DECODER": "fast"})
    assert result.exit_code != 0
    assert "MJ_DECODER must be one of vae, taesd" in result.output
