"""The LLM backend on tiny Qwen2-style models built in fixtures (tests/conftest.py).

Both are real model folders written by save_pretrained and loaded offline through the same
code as a downloaded model: one with random weights (its answers are gibberish), one whose
weights are set so that greedy decoding answers "watercolor fox" to anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import app as cli
from translate.glossary import default_glossary
from translate.llm import LlmBackend
from translate.llm_models import folder_name, is_model_folder
from translate.llm_prompt import build_messages, check_answer, glossary_hints
from translate.packages import install_package
from translate.translator import Translator, TranslatorUnavailable


@pytest.fixture(scope="module")
def scripted(scripted_llm_dir: Path) -> LlmBackend:
    return LlmBackend(scripted_llm_dir, default_glossary())


def test_loads_offline_and_answers_through_the_chat_template(
    scripted: LlmBackend, no_network: None
) -> None:
    assert scripted.translate_spans(["一只猫", "雪山"]) == ["watercolor fox", "watercolor fox"]
    assert scripted.tag.startswith("llm:") and scripted.device == "cpu"
    prompt = scripted.tokenizer.apply_chat_template(
        [build_messages("猫", {})], add_generation_prompt=True, tokenize=False
    )[0]
    assert prompt.startswith("<|im_start|>system\nYou translate Chinese")
    assert prompt.endswith("Chinese prompt: 猫<|im_end|>\n<|im_start|>assistant\n")


def test_translator_uses_the_answer_and_caches_it(scripted_llm_dir: Path, tmp_path) -> None:
    translator = Translator("llm", tmp_path, llm=str(scripted_llm_dir))
    result = translator.translate("狐狸 --ar 16:9 --seed 3")
    assert (result.text, result.backend) == ("watercolor fox --ar 16:9 --seed 3", "llm")
    assert result.elapsed_ms > 0
    again = translator.translate("狐狸 --ar 16:9 --seed 3")
    assert again == result and again.elapsed_ms == 0  # from memory, the model not run


def test_protected_pieces_never_reach_the_model(
    scripted_llm_dir: Path, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = LlmBackend.translate_spans

    def recording(self: LlmBackend, spans: list[str]) -> list[str | None]:
        seen.extend(spans)
        return real(self, spans)

    monkeypatch.setattr(LlmBackend, "translate_spans", recording)
    translator = Translator("llm", tmp_path, llm=str(scripted_llm_dir))
    text = "https://example.com/图.png 森林::2 雪山::-0.5 --no 文字 --style 水彩"
    result = translator.translate(text)
    assert seen == ["森林", "雪山", "文字"]  # not the URL, weights, params or --style value
    assert result.text == (
        "https://example.com/图.png watercolor fox::2 watercolor fox::-0.5 "
        "--no watercolor fox --style 水彩"
    )


def test_an_answer_missing_a_name_falls_back_to_the_dictionary(
    scripted_llm_dir: Path, tmp_path
) -> None:
    # The glossary tells the model 新海诚 = Makoto Shinkai; "watercolor fox" drops the name.
    translator = Translator("llm", tmp_path, llm=str(scripted_llm_dir))
    result = translator.translate("新海诚风格的街道，狐狸")
    assert result.text == "street, Makoto Shinkai style, watercolor fox"
    assert result.backend == "llm+dictionary"


def test_the_time_limit_falls_back_to_the_dictionary(tiny_llm_dir: Path, tmp_path) -> None:
    translator = Translator("llm", tmp_path, llm=str(tiny_llm_dir), llm_time_limit_s=1e-6)
    result = translator.translate("穿汉服的少女")
    assert (result.text, result.backend) == ("young girl wearing hanfu", "llm+dictionary")


def test_random_weights_give_a_checked_answer_or_none(tiny_llm_dir: Path) -> None:
    backend = LlmBackend(tiny_llm_dir, default_glossary())
    answers = backend.translate_spans(["一只猫", "古老城堡", "猫"])
    assert len(answers) == 3
    for answer, span in zip(answers, ["一只猫", "古老城堡", "猫"], strict=True):
        assert answer is None or check_answer(answer, span) == answer


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("a cat sitting on the moon", "a cat sitting on the moon"),
        ('"a cat, watercolor."', "a cat, watercolor"),
        ("English prompt: a cat", "a cat"),
        ("a 猫 on the moon", None),  # Chinese left
        ("Sure, here is the prompt: a cat", None),
        ("Here's the translation: a cat", None),
        ("a cat\nI translated it literally", None),
        ("a cat --ar 16:9", None),  # would add a param to the /mj text
        ("a cat::2", None),  # would add a weight
        ("see https://example.com", None),
        ("cat " * 40, None),  # far longer than the span
        ("", None),
    ],
)
def test_answers_are_checked(answer: str, expected: str | None) -> None:
    assert check_answer(answer, "一只猫坐在月亮上") == expected


def test_names_and_art_terms_are_given_as_glossary() -> None:
    glossary = default_glossary()
    hints = glossary_hints(["新海诚", "风格", "的", "猫", "水彩"], glossary)
    assert hints == {"新海诚": "Makoto Shinkai", "水彩": "watercolor"}  # not 风格, 的, 猫
    user = build_messages("新海诚风格的猫", hints)[1]["content"]
    assert user.splitlines() == [
        "Glossary: 新海诚 = Makoto Shinkai; 水彩 = watercolor",
        "Chinese prompt: 新海诚风格的猫",
    ]
    assert check_answer("a cat, watercolor", "新海诚风格的猫", ["Makoto Shinkai"]) is None


def test_auto_prefers_an_installed_llm_to_argos(
    scripted_llm_dir: Path, tiny_argosmodel: Path, tmp_path
) -> None:
    install_package(tiny_argosmodel, tmp_path)
    assert Translator("auto", tmp_path).backend_name == "argos"
    pulled = tmp_path / "llm" / folder_name("example/tiny-fox")
    shutil.copytree(scripted_llm_dir, pulled)
    translator = Translator("auto", tmp_path)
    assert translator.backend_name == "llm" and translator.llm_dir == pulled
    assert translator.translate("狐狸").text == "watercolor fox"


def test_a_model_that_fails_to_load_in_auto_mode_leaves_the_dictionary(tmp_path) -> None:
    broken = tmp_path / "llm" / "broken"
    broken.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        (broken / name).write_text("{}")
    assert is_model_folder(broken)
    translator = Translator("auto", tmp_path)
    assert translator.translate("水彩").text == "watercolor"
    assert translator.backend_name == "dictionary"


def test_llm_mode_without_a_model_says_how_to_get_one(tmp_path) -> None:
    with pytest.raises(TranslatorUnavailable, match="pull-translation --llm"):
        Translator("llm", tmp_path)
    with pytest.raises(TranslatorUnavailable, match="neither a model folder"):
        Translator("auto", tmp_path, llm=str(tmp_path / "missing"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MJ_DATA_DIR", str(tmp_path / "data"))
    for name in ("MJ_TRANSLATE", "MJ_TRANSLATION_DIR", "MJ_TRANSLATE_LLM"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


def test_pull_translation_llm_offline_fails_with_instructions(
    data_dir: Path, no_network: None
) -> None:
    result = CliRunner().invoke(
        cli, ["models", "pull-translation", "--llm", "Qwen/Qwen2.5-0.5B-Instruct"]
    )
    assert result.exit_code == 1
    assert "Cannot download Qwen/Qwen2.5-0.5B-Instruct" in result.output
    assert "MJ_TRANSLATE_LLM=FOLDER" in result.output
    assert not (data_dir / "translation" / "llm" / "Qwen--Qwen2.5-0.5B-Instruct").exists()
    bad = CliRunner().invoke(cli, ["models", "pull-translation", "--llm", "../etc"])
    assert bad.exit_code == 1 and "is not a hub model name" in bad.output


def test_mjbot_translate_uses_a_configured_llm(
    data_dir: Path, scripted_llm_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MJ_TRANSLATE_LLM", str(scripted_llm_dir))
    result = CliRunner().invoke(cli, ["translate", "狐狸 --seed 1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "source": "狐狸 --seed 1",
        "translated": "watercolor fox --seed 1",
        "backend": "llm",
    }
