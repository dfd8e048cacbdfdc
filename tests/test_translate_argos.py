"""The argos path, offline, on a tiny .argosmodel built here (random weights: gibberish out).

These check the plumbing: install from a file or a (local) index, load with argos' Package and
CTranslate2, translate with no network and without argos' downloading sentence splitters.
"""

from __future__ import annotations

import json
import sys
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.core.params import parse_mj
from bot.core.params_tokens import normalize_input
from translate.argos import ArgosBackend
from translate.glossary import default_glossary
from translate.packages import PackageError, find_package, install_package, pull_package
from translate.translator import Translator, TranslatorUnavailable


@pytest.fixture(scope="session")
def installed(tiny_argosmodel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    packages = tmp_path_factory.mktemp("translation")
    install_package(tiny_argosmodel, packages)
    return packages


def test_install_from_file_then_find(tiny_argosmodel: Path, tmp_path: Path) -> None:
    info = install_package(tiny_argosmodel, tmp_path)
    assert info.name == "translate-zh_en-tiny" and info.version == "0.1"
    assert (info.path / "model" / "model.bin").is_file()
    assert (info.path / "sentencepiece.model").is_file()
    assert find_package(tmp_path) == info
    again = install_package(tiny_argosmodel, tmp_path)  # reinstalling replaces in place
    assert again == info and [p.name for p in tmp_path.iterdir()] == [info.name]


def test_translates_offline_with_glossary_terms_kept(installed: Path, no_network: None) -> None:
    translator = Translator("auto", installed)
    assert translator.backend_name == "argos"
    text = "一只猫坐在森林里，水彩画，景深 --ar 16:9 --no 文字"
    result = translator.translate(normalize_input(text))
    assert result.backend == "argos"
    prompt, _, params = result.text.partition(" --")
    assert params == "ar 16:9 --no text"  # params as typed; --no glossary word kept as listed
    clause, watercolor, depth = prompt.split(", ")
    assert (watercolor, depth) == ("watercolor painting", "depth of field")
    assert clause and "一只猫坐在森林里" not in clause  # the model's (random) words
    assert translator.translate(normalize_input(text)) == result  # deterministic, cached
    parse_mj(result.text)
    # argos' own sentence splitters download models on first use: never imported here.
    assert not {"stanza", "minisbd", "spacy"} & set(sys.modules)


def test_backend_batches_clauses_through_the_model(installed: Path) -> None:
    backend = ArgosBackend(find_package(installed), default_glossary(), threads=1)
    first = backend.translate_clauses(["一只猫", "古老城堡"])
    assert len(first) == 2 and all(first)
    assert backend.translate_clauses(["一只猫", "古老城堡"]) == first  # deterministic
    assert backend.translate_clauses([]) == []
    # A clause that is one art term never reaches the model.
    assert backend.translate_span("水彩画") == "watercolor painting"


def test_argos_mode_without_a_package_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(TranslatorUnavailable, match="pull-translation"):
        Translator("argos", tmp_path)
    assert Translator("auto", tmp_path).backend_name == "dictionary"


def test_install_refuses_what_is_not_a_zh_en_or_en_zh_package(tmp_path: Path) -> None:
    not_zip = tmp_path / "model.argosmodel"
    not_zip.write_text("hello")
    with pytest.raises(PackageError, match=r"not an \.argosmodel"):
        install_package(not_zip, tmp_path / "out")
    fr_de = tmp_path / "fr_de.argosmodel"
    with zipfile.ZipFile(fr_de, "w") as archive:
        archive.writestr("fr_de/metadata.json", json.dumps({"from_code": "fr", "to_code": "de"}))
    with pytest.raises(PackageError, match="fr->de; the bot uses zh->en"):
        install_package(fr_de, tmp_path / "out")
    assert find_package(tmp_path / "out") is None


def test_pull_fails_fast_and_helpfully_offline(tmp_path: Path, no_network: None) -> None:
    with pytest.raises(PackageError, match="pull-translation --file PATH"):
        pull_package(tmp_path, "http://127.0.0.1:9/index.json", timeout=5)


@pytest.fixture
def local_index(tiny_argosmodel: Path, tmp_path: Path) -> Iterator[str]:
    """argos' index format served from this machine, linking to the tiny package."""
    served = tmp_path / "served"
    served.mkdir()
    (served / tiny_argosmodel.name).write_bytes(tiny_argosmodel.read_bytes())
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    entries = [
        {"from_code": "zh", "to_code": "en", "package_version": "0.1", "links": [f"{base}/x"]},
        {
            "from_code": "zh",
            "to_code": "en",
            "package_version": "0.2",
            "links": [f"{base}/missing.argosmodel", f"{base}/{tiny_argosmodel.name}"],
        },
        {"from_code": "en", "to_code": "zh", "package_version": "9", "links": [f"{base}/x"]},
    ]
    (served / "index.json").write_text(json.dumps(entries))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"{base}/index.json"
    server.shutdown()
    server.server_close()
    thread.join()


def test_pull_from_an_index_installs_the_newest_zh_en(
    local_index: str, tmp_path: Path, no_network: None
) -> None:
    info = pull_package(tmp_path / "translation", local_index, timeout=5)
    assert info.name == "translate-zh_en-tiny"  # from the 0.2 entry's second link
    assert Translator("auto", tmp_path / "translation").backend_name == "argos"
