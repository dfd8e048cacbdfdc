"""The layering contract (pyproject.toml, [tool.importlinter]) holds, and it would catch a leak.

`make test` runs `lint-imports` itself; these tests cover what import-linter cannot say (the
core may use aiohttp's client but not its server) and show that the contract fails when
someone adds a forbidden import.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "engine", "translate", "filters", "storage", "lexicon", "i18n")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_the_core_uses_no_web_server() -> None:
    """aiohttp's client fetches image prompts; its server (aiohttp.web) is the HTTP adapter's.
    import-linter sees external packages whole, so this reads the import lines instead."""
    graph = grimp.build_graph("bot", include_external_packages=True)
    lines = [
        detail["line_contents"]
        for module in graph.find_descendants("bot.core")
        for detail in graph.get_import_details(importer=module, imported="aiohttp")
    ]
    assert lines and not [line for line in lines if "web" in line]


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("bot/core/render.py", "import discord", "The core knows no platform and no SQL"),
        (
            "bot/adapters/console.py",
            "from storage.store import Store",
            "Adapters talk only to the core",
        ),
        ("storage/rows.py", "from bot.core import render", "Packages: bot above"),
        ("bot/core/tiers.py", "from bot.core import service", "No import cycles"),
    ],
    ids=["core-imports-a-platform", "adapter-imports-storage", "storage-imports-bot", "cycle"],
)
def test_the_contract_fails_when_a_forbidden_import_is_added(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(f"{target.read_text()}\n{line}  # noqa\n")
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
    )
    assert result.returncode != 0, result.stdout
    broken_section = result.stdout.split("Broken contracts", 1)[-1]
    assert broken in broken_section, result.stdout
