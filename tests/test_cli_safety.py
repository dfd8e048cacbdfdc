"""`mjbot safety check IMAGE...`: JSON per file at the default threshold, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.__main__ import app
from tests.fakes.safety_scorer import magenta_image

STAND_IN = ["--scorer", "tests.fakes.safety_scorer:MagentaScorer"]


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "sky.png": Image.new("RGB", (512, 512), (135, 206, 235)),
        "grass.webp": Image.new("RGB", (300, 200), (70, 140, 60)),
        "unsafe.png": magenta_image((128, 128)),
    }
    for name, image in paths.items():
        image.save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    return {name: tmp_path / name for name in [*paths, "notes.txt"]}


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_benign_files_are_safe_with_the_real_model(images: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["safety", "check", str(images["sky.png"]), str(images["grass.webp"])]
    )
    assert result.exit_code == 0, result.output
    rows = lines(result.output)
    assert [row["path"] for row in rows] == [str(images["sky.png"]), str(images["grass.webp"])]
    assert all(set(row) == {"path", "score", "verdict"} for row in rows)
    assert all(row["verdict"] == "safe" and 0 <= row["score"] < 0.8 for row in rows)


def test_a_flagged_file_exits_1(images: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["safety", "check", *STAND_IN, str(images["sky.png"]), str(images["unsafe.png"])]
    )
    assert result.exit_code == 1, result.output
    assert [(row["verdict"], row["score"]) for row in lines(result.output)] == [
        ("safe", 0.0),
        ("flagged", 1.0),
    ]


def test_unreadable_files_are_reported_and_exit_2(images: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"
    result = CliRunner().invoke(
        app,
        [
            "safety",
            "check",
            *STAND_IN,
            str(images["notes.txt"]),
            str(missing),
            str(tmp_path),
            str(images["sky.png"]),
        ],
    )
    assert result.exit_code == 2, result.output
    rows = lines(result.output)
    assert [row.get("error") for row in rows] == [
        "not an image Pillow can read",
        "no such file",
        "a directory, not an image",
        None,
    ]
    assert rows[3]["verdict"] == "safe"


def test_a_scorer_that_cannot_load_exits_2(images: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["safety", "check", "--scorer", "nowhere:Scorer", str(images["sky.png"])]
    )
    assert result.exit_code == 2
    assert "cannot load" in result.output


def test_the_configured_threshold_and_scorer_apply(images: dict[str, Path]) -> None:
    env = {"MJ_SAFETY_SCORER": STAND_IN[1], "MJ_SAFETY_THRESHOLD": "0.5"}
    half = Image.new("RGB", (10, 10), (0, 0, 0))
    half.paste(magenta_image((10, 5)), (0, 0))
    half.save(images["sky.png"].parent / "half.png")
    result = CliRunner().invoke(
        app, ["safety", "check", str(images["sky.png"].parent / "half.png")], env=env
    )
    assert result.exit_code == 1, result.output
    assert lines(result.output)[0] == {
        "path": str(images["sky.png"].parent / "half.png"),
        "score": 0.5,
        "verdict": "flagged",
    }
