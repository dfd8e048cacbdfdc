"""Chinese glosses of English prompts (translate.gloss) with a tiny en->zh argos package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from translate.gloss import Glosser
from translate.packages import GLOSS, find_package, install_package
from translate.translator import Translator


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory, tiny_gloss_argosmodel: Path) -> Path:
    folder = tmp_path_factory.mktemp("translation")
    install_package(tiny_gloss_argosmodel, folder)
    return folder


def test_each_prompt_gets_a_gloss_part_by_part(packages: Path) -> None:
    glosser = Glosser(packages, threads=1)
    assert (
        glosser.available
        and glosser.package
        and glosser.package.name.startswith("translate-en_zh")
    )
    prompts = ["red fox in snow, watercolor painting, night", "old castle"]
    glosses = glosser.gloss(prompts)
    assert glosses is not None and len(glosses) == 2
    assert glosses[0].count("，") == 2 and "，" not in glosses[1]  # one gloss part per part
    assert glosser.gloss(prompts) == glosses  # deterministic
    assert glosser.gloss([]) is None


def test_no_gloss_without_an_en_zh_package(
    tmp_path: Path, packages: Path, tiny_argosmodel
) -> None:
    assert Glosser(tmp_path).gloss(["a fox"]) is None
    assert Glosser(None).gloss(["a fox"]) is None
    # Each direction finds only its own package: the prompt translator ignores the glosser's.
    assert Translator("auto", packages).backend_name == "dictionary"
    mixed = tmp_path / "mixed"
    install_package(tiny_argosmodel, mixed)
    assert Glosser(mixed).package is None
    shutil.copytree(packages, mixed, dirs_exist_ok=True)
    assert find_package(mixed).name.startswith("translate-zh_en")
    assert find_package(mixed, *GLOSS).name.startswith("translate-en_zh")


def test_a_damaged_package_means_no_gloss_not_a_failure(tmp_path: Path, packages: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(packages, broken)
    for model in broken.glob("*/model"):
        shutil.rmtree(model)
        model.mkdir()  # still looks installed; CTranslate2 cannot load it
    glosser = Glosser(broken)
    assert glosser.available
    assert glosser.gloss(["a fox"]) is None
    assert not glosser.available


def test_the_cli_installs_the_gloss_package(tmp_path: Path, tiny_gloss_argosmodel, no_network):
    from typer.testing import CliRunner

    from bot.__main__ import app

    env = {"MJ_DATA_DIR": str(tmp_path)}
    installed = CliRunner().invoke(
        app, ["models", "pull-translation", "--file", str(tiny_gloss_argosmodel)], env=env
    )
    assert installed.exit_code == 0, installed.output
    assert "/describe now glosses its prompts in Chinese" in installed.stdout
    assert Glosser(tmp_path / "translation").available
    offline = CliRunner().invoke(
        app,
        ["models", "pull-translation", "--gloss", "--index", "http://127.0.0.1:9/index.json"],
        env=env,
    )
    assert offline.exit_code == 1
    assert "translate-en_zh-*.argosmodel" in offline.output and "--file PATH" in offline.output
