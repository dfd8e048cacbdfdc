"""The safety policy: the decision per image, and what moderators type to set a policy."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filters.safety_policy import (
    DEFAULT_POLICY,
    Action,
    Mode,
    PolicyError,
    SafetyPolicy,
    decide,
    format_policy,
    needs_check,
    parse_policy,
    refuses_input,
)

LAX_NSFW = SafetyPolicy(Mode.BLOCK, 0.8, nsfw_mode=Mode.SPOILER)


def test_out_of_the_box_flagged_images_are_blocked_at_0_8() -> None:
    assert (DEFAULT_POLICY.mode, DEFAULT_POLICY.threshold) == (Mode.BLOCK, 0.8)


@pytest.mark.parametrize(
    ("policy", "score", "nsfw_channel", "action", "flagged"),
    [
        (DEFAULT_POLICY, 0.1, False, Action.SHOW, False),
        (DEFAULT_POLICY, 0.79, False, Action.SHOW, False),
        (DEFAULT_POLICY, 0.8, False, Action.BLOCK, True),
        (DEFAULT_POLICY, 0.99, True, Action.BLOCK, True),
        (SafetyPolicy(Mode.SPOILER, 0.5), 0.6, False, Action.SPOILER, True),
        (SafetyPolicy(Mode.BLUR, 0.5), 0.6, False, Action.BLUR, True),
        (SafetyPolicy(Mode.BLUR, 0.5), 0.4, False, Action.SHOW, False),
        (SafetyPolicy(Mode.OFF, 0.5), 0.9, False, Action.SHOW, True),
        (SafetyPolicy(Mode.OFF, 0.5), None, False, Action.SHOW, False),
        (LAX_NSFW, 0.9, False, Action.BLOCK, True),
        (LAX_NSFW, 0.9, True, Action.SPOILER, True),
        (SafetyPolicy(Mode.BLUR, 0.8, Mode.OFF), 0.95, True, Action.SHOW, True),
        (SafetyPolicy(Mode.SPOILER, 0.0), 0.0, False, Action.SPOILER, True),
    ],
    ids=[
        "default-safe",
        "default-just-under",
        "default-at-threshold",
        "default-nsfw-channel-not-allowed",
        "spoiler",
        "blur",
        "blur-safe",
        "off-shows-flagged",
        "off-unscored",
        "lax-nsfw-elsewhere",
        "lax-nsfw-in-nsfw-channel",
        "nsfw-off",
        "threshold-0-flags-all",
    ],
)
def test_decide(policy, score, nsfw_channel, action, flagged) -> None:
    verdict = decide(policy, score, nsfw_channel=nsfw_channel)
    assert (verdict.action, verdict.flagged, verdict.score) == (action, flagged, score)


def test_a_checking_mode_needs_a_score() -> None:
    with pytest.raises(ValueError, match="score"):
        decide(DEFAULT_POLICY, None)


def test_checks_run_wherever_the_mode_in_force_is_not_off() -> None:
    assert needs_check(DEFAULT_POLICY)
    assert not needs_check(SafetyPolicy(Mode.OFF))
    nsfw_off = SafetyPolicy(Mode.SPOILER, nsfw_mode=Mode.OFF)
    assert needs_check(nsfw_off) and not needs_check(nsfw_off, nsfw_channel=True)


@pytest.mark.parametrize(
    ("policy", "score", "refused"),
    [
        (DEFAULT_POLICY, 0.9, True),
        (DEFAULT_POLICY, 0.5, False),
        (SafetyPolicy(Mode.SPOILER, 0.8), 0.9, True),
        (SafetyPolicy(Mode.OFF, 0.8), 0.99, False),
    ],
    ids=["block", "safe", "spoiler-still-refuses", "off"],
)
def test_a_flagged_image_prompt_is_refused_where_checks_run(policy, score, refused) -> None:
    assert refuses_input(policy, score) is refused


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 1.5}, r"from 0 to 1"),
        ({"threshold": -0.1}, r"from 0 to 1"),
        ({"mode": Mode.SPOILER, "nsfw_mode": Mode.BLOCK}, r"must not be stricter"),
    ],
    ids=["threshold-high", "threshold-negative", "nsfw-stricter"],
)
def test_an_unusable_policy_is_refused(kwargs, message) -> None:
    with pytest.raises(PolicyError, match=message):
        SafetyPolicy(**kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("blur", SafetyPolicy(Mode.BLUR, 0.8)),
        ("spoiler 0.6", SafetyPolicy(Mode.SPOILER, 0.6)),
        ("0.6 spoiler", SafetyPolicy(Mode.SPOILER, 0.6)),
        ("block 70%", SafetyPolicy(Mode.BLOCK, 0.7)),
        ("0.5", SafetyPolicy(Mode.BLOCK, 0.5)),
        ("OFF", SafetyPolicy(Mode.OFF, 0.8)),
        ("block --nsfw spoiler", SafetyPolicy(Mode.BLOCK, 0.8, Mode.SPOILER)),
        ("block nsfw=off", SafetyPolicy(Mode.BLOCK, 0.8, Mode.OFF)),
        ("模糊 ０．７", SafetyPolicy(Mode.BLUR, 0.7)),
        ("屏蔽，——nsfw 剧透", SafetyPolicy(Mode.BLOCK, 0.8, Mode.SPOILER)),
        ("block —nsfw off", SafetyPolicy(Mode.BLOCK, 0.8, Mode.OFF)),
        ("block －－ｎｓｆｗ　blur", SafetyPolicy(Mode.BLOCK, 0.8, Mode.BLUR)),
    ],
    ids=[
        "mode",
        "mode-threshold",
        "any-order",
        "percent",
        "threshold-only",
        "upper-case",
        "nsfw-flag",
        "nsfw-assign",
        "chinese-full-width",
        "chinese-dashes",
        "phone-dash",
        "full-width-flag",
    ],
)
def test_parse_policy(text: str, expected: SafetyPolicy) -> None:
    assert parse_policy(text) == expected


def test_parse_keeps_what_the_text_does_not_mention() -> None:
    current = SafetyPolicy(Mode.BLOCK, 0.6, Mode.SPOILER)
    assert parse_policy("0.7", current) == SafetyPolicy(Mode.BLOCK, 0.7, Mode.SPOILER)
    assert parse_policy("--nsfw same", current) == SafetyPolicy(Mode.BLOCK, 0.6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"Say what to change"),
        ("strict", r"Unknown mode 'strict': use one of off, spoiler, blur, block"),
        ("block 1.5", r"from 0 to 1"),
        ("block 150%", r"from 0 to 1"),
        ("block blur", r"Give the mode once"),
        ("0.5 0.6", r"Give the threshold once"),
        ("block --nsfw", r"--nsfw needs a mode"),
        ("block --nsfw maybe", r"Unknown mode for --nsfw 'maybe'"),
        ("spoiler --nsfw block", r"must not be stricter"),
        ("nan", r"Unknown mode 'nan'"),
    ],
    ids=[
        "empty",
        "unknown-mode",
        "threshold-high",
        "percent-high",
        "two-modes",
        "two-thresholds",
        "nsfw-without-mode",
        "nsfw-unknown",
        "nsfw-stricter",
        "nan",
    ],
)
def test_parse_errors_name_the_fix(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


policies = st.builds(
    lambda mode, threshold, nsfw: SafetyPolicy(
        mode, threshold, nsfw if nsfw is None or nsfw.strictness <= mode.strictness else None
    ),
    st.sampled_from(Mode),
    st.floats(0.0, 1.0),
    st.none() | st.sampled_from(Mode),
)


@given(policies)
def test_format_reads_back_as_the_same_policy(policy: SafetyPolicy) -> None:
    assert parse_policy(format_policy(policy), DEFAULT_POLICY) == policy


@given(st.text(max_size=80), policies)
def test_any_text_is_a_policy_or_a_policy_error(text: str, current: SafetyPolicy) -> None:
    try:
        policy = parse_policy(text, current)
    except PolicyError as error:
        assert str(error)
    else:
        assert 0.0 <= policy.threshold <= 1.0
        assert policy.nsfw_mode is None or policy.nsfw_mode.strictness <= policy.mode.strictness


WORDS = "block blur spoiler off --nsfw nsfw= same 0.5 85% ——nsfw 模糊 ， 1e-1 -0.2 ２ nan"
words = st.sampled_from(WORDS.split())


@given(st.lists(words, max_size=8).map(" ".join))
def test_command_like_texts_never_crash(text: str) -> None:
    with contextlib.suppress(PolicyError):
        parse_policy(text)
