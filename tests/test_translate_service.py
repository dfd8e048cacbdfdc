"""Chinese /mj prompts through the console adapter, the core and the engine on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import open_app
from bot.config import ConfigError, Settings
from bot.core.requests import ReplyKind
from tests.helpers import result_of, run_line, tweak
from translate.translator import TranslatorUnavailable

pytestmark = pytest.mark.slow


async def test_chinese_prompt_is_translated_stored_and_shown(app) -> None:
    _, sink = await run_line(app, "/mj 赛博朋克风格的猫，水彩 --seed 3 --no 文字，水印")
    result = result_of(sink)
    job = app.store.run_sync(lambda s: s.jobs.get(result.job_id))

    # What was parsed: the typed text, its params normalised (the prompt is kept as typed).
    assert job["mj_text"] == "赛博朋克风格的猫，水彩 --seed 3 --no 文字, 水印"
    assert job["prompt"] == "赛博朋克风格的猫，水彩"  # as written
    assert job["translated_prompt"] == "cat, cyberpunk style, watercolor"  # what the model got
    assert job["negative_prompt"] == "text, watermark"
    spec = json.loads(job["spec_json"])
    assert [part["text"] for part in spec["prompts"]] == ["cat, cyberpunk style, watercolor"]
    assert spec["negative_prompt"] == "text, watermark"

    # The result caption shows the prompt the model really got, like Midjourney's.
    assert result.text.startswith("cat, cyberpunk style, watercolor --no text, watermark")
    cached = app.store.run_sync(
        lambda s: {r["source"]: r["translated"] for r in s.db["translations"].rows}
    )
    assert cached["赛博朋克风格的猫"] == "cat, cyberpunk style" and cached["文字"] == "text"


async def test_reroll_of_a_chinese_prompt_translates_it_again(app) -> None:
    adapter, sink = await run_line(app, "月光下的城堡 --seed 5")
    first = result_of(sink)
    await adapter.submit_line("R")
    second = [r for r in sink.replies if r.kind is ReplyKind.RESULT][-1]
    rows = [app.store.run_sync(lambda s, r=r: s.jobs.get(r.job_id)) for r in (first, second)]
    assert [row["translated_prompt"] for row in rows] == ["castle under moonlight"] * 2
    assert rows[1]["prompt"] == "月光下的城堡" and rows[1]["parent_id"] == first.job_id


async def test_english_prompt_is_left_alone(app) -> None:
    _, sink = await run_line(app, "a red fox --seed 1")
    job = app.store.run_sync(lambda s: s.jobs.get(result_of(sink).job_id))
    assert (job["prompt"], job["translated_prompt"]) == ("a red fox", None)  # nothing translated


async def test_translation_off_sends_the_prompt_as_written(settings) -> None:
    async with open_app(tweak(settings, "translation", mode="off")) as application:
        assert application.translator is None
        _, sink = await run_line(application, "水彩 --seed 2")
        job = application.store.run_sync(lambda s: s.jobs.get(result_of(sink).job_id))
    assert (job["prompt"], job["translated_prompt"]) == ("水彩", None)


def broken_package(settings) -> None:
    """A zh->en package whose model cannot load (an interrupted copy, say)."""
    package = settings.translation_packages_dir / "translate-zh_en-broken"
    (package / "model").mkdir(parents=True)
    (package / "metadata.json").write_text(json.dumps({"from_code": "zh", "to_code": "en"}))


async def test_a_broken_argos_package_is_an_error_reply_in_argos_mode(settings) -> None:
    broken_package(settings)
    async with open_app(tweak(settings, "translation", mode="argos")) as application:
        _, sink = await run_line(application, "水彩 --seed 2")
        jobs = application.store.run_sync(lambda s: s.db["jobs"].count)
    assert [r.kind for r in sink.replies] == [ReplyKind.ERROR]
    # A Chinese prompt with no other signal is answered in Chinese (issue 23).
    assert sink.replies[0].text.startswith("翻译提示词时出错了。") and jobs == 0


async def test_a_broken_argos_package_falls_back_to_the_dictionary_in_auto_mode(
    settings, caplog: pytest.LogCaptureFixture
) -> None:
    broken_package(settings)
    async with open_app(settings) as application:
        _, sink = await run_line(application, "水彩 --seed 2")
        job = application.store.run_sync(lambda s: s.jobs.get(result_of(sink).job_id))
    assert job["translated_prompt"] == "watercolor"
    assert "failed to load" in caplog.text


async def test_argos_mode_without_a_package_fails_at_start(settings) -> None:
    with pytest.raises(TranslatorUnavailable, match="pull-translation"):
        async with open_app(tweak(settings, "translation", mode="argos")):
            pass


def test_mj_translate_setting_is_checked() -> None:
    assert Settings.from_env({"MJ_TRANSLATE": "Dictionary"}).translation.mode == "dictionary"
    with pytest.raises(ConfigError, match="MJ_TRANSLATE must be one of auto, llm, argos"):
        Settings.from_env({"MJ_TRANSLATE": "google"})
    custom = Settings.from_env({"MJ_TRANSLATION_DIR": "/models/zh", "MJ_DATA_DIR": "d"})
    assert custom.translation_packages_dir == Path("/models/zh")
    assert Settings.from_env({"MJ_DATA_DIR": "d"}).translation_packages_dir == Path(
        "d/translation"
    )


async def test_a_configured_llm_translates_bot_prompts(settings, scripted_llm_dir: Path) -> None:
    configured = tweak(settings, "translation", llm=str(scripted_llm_dir))
    async with open_app(configured) as application:
        _, sink = await run_line(application, "/mj 狐狸 --seed 2")
        job = application.store.run_sync(lambda s: s.jobs.get(result_of(sink).job_id))
    assert (job["prompt"], job["translated_prompt"]) == ("狐狸", "watercolor fox")
