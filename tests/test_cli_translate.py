"""`mjbot translate` and `mjbot models pull-translation`, through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MJ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MJ_TRANSLATE", raising=False)
    monkeypatch.delenv("MJ_TRANSLATION_DIR", raising=False)
    return tmp_path / "data"


def translate(*args: str) -> dict:
    result = CliRunner().invoke(app, ["translate", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_translate_prints_source_translated_backend(data_dir: Path) -> None:
    source = "賽博朋克風格的貓，水彩 --ar 16:9 --no 文字"
    assert translate(source) == {
        "source": source,
        "translated": "cat, cyberpunk style, watercolor --ar 16:9 --no text",
        "backend": "dictionary",
    }


def test_translate_without_chinese_is_backend_none(data_dir: Path) -> None:
    assert translate("a red fox --ar 2:1") == {
        "source": "a red fox --ar 2:1",
        "translated": "a red fox --ar 2:1",
        "backend": "none",
    }


def test_translate_respects_mj_translate_off(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MJ_TRANSLATE", "off")
    assert translate("水彩")["backend"] == "none"


def test_pull_translation_from_file_then_translate_with_argos(
    data_dir: Path,
    tiny_argosmodel: Path,
    no_network: None,
) -> None:
    result = CliRunner().invoke(
        app, ["models", "pull-translation", "--file", str(tiny_argosmodel)]
    )
    assert result.exit_code == 0, result.output
    assert "translate-zh_en-tiny" in result.stdout
    assert (data_dir / "translation" / "translate-zh_en-tiny" / "metadata.json").is_file()
    out = translate("水彩画 --seed 1")
    assert out == {
        "source": "水彩画 --seed 1",
        "translated": out["translated"],
        "backend": "argos",
    }
    assert out["translated"] == "watercolor painting --seed 1"


def test_pull_translation_offline_exits_1_with_instructions(
    data_dir: Path, no_network: None
) -> None:
    result = CliRunner().invoke(
        app, ["models", "pull-translation", "--index", "http://127.0.0.1:9/index.json"]
    )
    assert result.exit_code == 1
    assert "--file PATH" in result.output
    assert not (data_dir / "translation").exists() or not any((data_dir / "translation").iterdir())
