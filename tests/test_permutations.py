"""Prompt permutations: `a {red, green} bird --ar {1:1, 16:9}`, limits, escapes, fuzzing."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import ParamError
from bot.core.params import parse_mj
from bot.core.permutations import LIMIT, count_permutations, expand_permutations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a red bird", ("a red bird",)),
        (
            "a {red, green} bird --ar {1:1, 16:9}",
            (
                "a red bird --ar 1:1",
                "a red bird --ar 16:9",
                "a green bird --ar 1:1",
                "a green bird --ar 16:9",
            ),
        ),
        ("a {bird, {red, blue} car}", ("a bird", "a red car", "a blue car")),
        ("a {, big} dog", ("a dog", "a big dog")),
        (r"a \{literal\} {x\, y, z}", ("a {literal} x, y", "a {literal} z")),
        (r"\{just braces\}", ("{just braces}",)),
        ("一只{红色，绿色、蓝色}的鸟", ("一只红色的鸟", "一只绿色的鸟", "一只蓝色的鸟")),
        ("full-width ｛a, b｝", ("full-width a", "full-width b")),
        ("commas, outside, stay", ("commas, outside, stay",)),
        ("--no {cars, trucks}", ("--no cars", "--no trucks")),
    ],
    ids=[
        "none",
        "prompt-and-param",
        "nested",
        "empty-choice",
        "escapes",
        "only-escapes",
        "chinese-separators",
        "full-width-braces",
        "plain-commas",
        "in-a-param",
    ],
)
def test_expansions(text: str, expected: tuple[str, ...]) -> None:
    assert expand_permutations(text) == expected
    assert count_permutations(text) == len(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a {red, green bird", "is not closed"),
        ("a red} bird", "without its {"),
        ("{a,b,c}{a,b,c}{a,b}", "make 18 prompts; at most 12"),
        ("{a,b}" * 40, "more than 10,000"),
        ("{" * 9 + "}" * 9, "nest at most 8"),
    ],
    ids=["unclosed", "stray-close", "over-12", "huge", "too-deep"],
)
def test_errors_say_what_to_change(text: str, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        expand_permutations(text)


def test_exactly_twelve_is_allowed_and_each_parses() -> None:
    prompts = expand_permutations("a {red, green, blue} {cat, dog} --ar {1:1, 16:9}")
    assert len(prompts) == LIMIT
    sizes = {(r.width, r.height) for r in map(parse_mj, prompts)}
    assert len(sizes) == 2


# fuzzing --------------------------------------------------------------------------------

word = st.text(st.characters(exclude_characters="{}｛｝,，、\\"), max_size=6)


@given(st.text(max_size=80))
def test_any_text_expands_or_says_why(text: str) -> None:
    try:
        prompts = expand_permutations(text)
    except ParamError as error:
        assert str(error)
        return
    assert 1 <= len(prompts) <= LIMIT
    assert len(prompts) == count_permutations(text)


@given(word)
def test_text_without_special_characters_is_untouched(text: str) -> None:
    assert expand_permutations(text) == (text,)


@given(st.text(max_size=40))
def test_escaped_text_comes_back_literally(text: str) -> None:
    escaped = "".join("\\" + c if c in "{}｛｝,，、\\" else c for c in text)
    assert expand_permutations(escaped) == (text,)


@given(
    st.lists(
        st.one_of(
            word.map(lambda w: ("text", w)),
            st.lists(word, min_size=1, max_size=3).map(lambda ws: ("group", ws)),
        ),
        max_size=4,
    )
)
def test_groups_expand_to_every_combination_in_order(parts) -> None:
    text = "".join(w if kind == "text" else "{" + ",".join(w) + "}" for kind, w in parts)
    choices = [[w] if kind == "text" else w for kind, w in parts]
    expected = ["".join(c) for c in itertools.product(*choices)]
    if len(expected) > LIMIT:
        with pytest.raises(ParamError, match="at most 12"):
            expand_permutations(text)
        return
    has_group = any(kind == "group" for kind, _ in parts)
    tidy = [" ".join(e.split()) for e in expected] if has_group else expected
    assert expand_permutations(text) == tuple(tidy)
