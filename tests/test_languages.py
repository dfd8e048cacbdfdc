"""UI languages, the pure parts: how platforms name languages, which language wins, how values
are formatted per language, and messages kept as JSON for later."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import MjError
from bot.core.language import choose, read_choice, written_in
from i18n import (
    ClockTime,
    Duration,
    Lang,
    Listing,
    from_accept_language,
    from_environment,
    parse_tag,
    render,
    t,
    tn,
    verbatim,
)
from i18n.stored import from_json, to_json

EN, HANS, HANT = Lang.EN, Lang.ZH_HANS, Lang.ZH_HANT


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        ("zh-CN", HANS),  # Discord's Simplified Chinese
        ("zh-TW", HANT),  # Discord's Traditional Chinese
        ("zh-hans", HANS),  # Telegram language codes
        ("zh-hant", HANT),
        ("zh-sg", HANS),
        ("zh-hk", HANT),
        ("zh-mo", HANT),
        ("zh-Hant-TW", HANT),
        ("zh-Hans-HK", HANS),  # the script wins over the region
        ("zh", HANS),
        ("zh_TW.UTF-8", HANT),  # POSIX locales
        ("zh_CN.GB18030", HANS),
        ("en-US", EN),
        ("en_GB.UTF-8", EN),
        ("fr", None),  # a language the bot does not speak: the next signal decides
        ("C", None),
        ("", None),
        (None, None),
    ],
)
def test_platform_tags(tag: str | None, lang: Lang | None) -> None:
    assert parse_tag(tag) is lang


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-TW,zh;q=0.9,en-US;q=0.8", HANT),
        ("en-US,en;q=0.9,zh-CN;q=0.8", EN),
        ("fr-FR, zh-CN;q=0.5, en;q=0.4", HANS),  # French first, but not spoken: Chinese next
        ("en;q=0.5, zh-Hant;q=0.9", HANT),  # by quality, not by order
        ("zh-CN;q=0, en", EN),  # q=0 means "not this one"
        ("*", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language(header: str | None, lang: Lang | None) -> None:
    assert from_accept_language(header) is lang


@given(st.text(max_size=200))
def test_accept_language_never_fails(header: str) -> None:
    assert from_accept_language(header) in (None, *Lang)


@given(st.text(max_size=60))
def test_any_tag_is_a_language_or_none(tag: str) -> None:
    assert parse_tag(tag) in (None, *Lang)


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "zh_TW.UTF-8"}, HANT),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, HANS),  # LC_ALL beats LANG
        ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, HANS),  # gettext's list, in order
        ({"LANG": "C.UTF-8"}, None),
        ({}, None),
    ],
)
def test_a_terminal_locale(environ: dict[str, str], lang: Lang | None) -> None:
    assert from_environment(environ) is lang


def test_choices_on_purpose_beat_guesses() -> None:
    assert choose(HANT, HANS, EN, HANS) is HANT  # the user's own choice first
    assert choose(None, HANS, EN, None) is HANS  # then the community's default
    assert choose(None, None, HANT, HANS) is HANT  # then the platform's locale
    assert choose(None, None, None, HANS) is HANS  # then the script of what they wrote
    assert choose(None, None, None, None) is EN


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("/mj 一只猫在月光下 --ar 16:9", HANS),
        ("/mj 一隻貓在月光下 --ar 16:9", HANT),  # 隻, 貓: written differently in Simplified
        ("/mj 天空", HANS),  # the same in both scripts: Simplified, the likelier reader
        ("/mj a cat", None),
        (None, None),
    ],
)
def test_the_script_of_a_prompt(text: str | None, lang: Lang | None) -> None:
    assert written_in(text) is lang


def test_what_users_type_to_choose_a_language() -> None:
    assert read_choice("zh-Hans") is HANS and read_choice("zh-TW") is HANT
    assert read_choice("繁體") is HANT and read_choice("简体中文") is HANS
    assert read_choice("English") is EN and read_choice("auto") is None
    with pytest.raises(MjError, match="Unknown language 'klingon'") as refused:
        read_choice("klingon")
    assert "zh-Hans" in render(refused.value.message, HANT)


def test_durations_and_times_per_language() -> None:
    message = t(
        "Job {job_id}: #{position} in the queue (starts in about {eta}).",
        job_id="k7x2m9pq4a",
        position=3,
        eta=Duration(312 * 60),
    )
    assert render(message) == "Job k7x2m9pq4a: #3 in the queue (starts in about 5 hr, 12 min)."
    assert render(message, HANS) == "任务 k7x2m9pq4a：排在第 3 位（约 5小时12分钟后开始）。"
    assert render(message, HANT) == "任務 k7x2m9pq4a：排在第 3 位（約 5 小時 12 分鐘後開始）。"
    assert render(t("under a second"), HANS) == "不到 1 秒"
    reset = t("at {time} (in {left})", time=ClockTime(datetime(2026, 1, 2, tzinfo=UTC)), left="")
    assert render(reset, HANS).startswith("00:00 UTC")


def test_lists_per_language() -> None:
    terms = t("Banned here: {terms}.", terms=Listing.of(["nude", "gore"], "plain"))
    assert render(terms) == "Banned here: nude, gore."
    assert render(terms, HANS) == "已在本社区禁用：nude、gore。"


messages = st.recursive(
    st.builds(verbatim, st.text(max_size=20))
    | st.builds(lambda n: t("Job {job_id} cancelled.", job_id=n), st.text(max_size=12)),
    lambda inner: (
        st.builds(
            lambda reason, n: t(
                "Job {job_id} failed: {reason} Your credits for it are refunded.",
                job_id=n,
                reason=reason,
            ),
            inner,
            st.text(max_size=10),
        )
        | st.builds(
            lambda count: tn(
                "Image {numbers} blurred by the image safety check.",
                "Images {numbers} blurred by the image safety check.",
                count,
                numbers=Listing.of(map(str, range(count)), "plain"),
            ),
            st.integers(1, 4),
        )
        | st.builds(
            lambda s: t(
                "The image URL {url} did not answer within {timeout}.",
                url="u",
                timeout=Duration(s),
            ),
            st.floats(0, 1e5),
        )
    ),
    max_leaves=4,
)


@given(messages)
def test_a_stored_message_renders_as_the_original(message) -> None:  # type: ignore[no-untyped-def]
    again = from_json(to_json(message))
    assert again == message
    assert all(render(again, lang) == render(message, lang) for lang in Lang)
