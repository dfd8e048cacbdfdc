"""Property-based fuzzing of the /mj parser and the URL check (hypothesis): any text gives a
request within every limit or a ParamError with a short message; nothing else escapes."""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from yarl import URL

from bot.core.errors import ParamError
from bot.core.params import MjRequest, parse_mj
from bot.core.params_tokens import ALIASES, MAX_WEIGHT
from bot.core.styles import STYLES
from bot.core.urls import MAX_URL_CHARS, http_target
from engine.profiles import PROFILES, SAMPLERS, ModelProfile

# Fixed examples in CI (a run must not fail by chance), new ones on every local run.
FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
MODELS = {"turbo": PROFILES["sd-turbo"], "xl": PROFILES["sdxl"], "tiny": PROFILES["tiny"]}
LIMIT = 300  # max_prompt_chars in these runs: small, so long texts reach it
MESSAGE_CHARS = 400  # an error message's longest (lists of samplers and styles included)

ANY_TEXT = st.text(st.characters(codec=None), max_size=40)
DIGITS = st.one_of(
    st.integers(0, 10**12).map(str),
    st.integers(1, 6000).map(lambda n: "9" * n),  # past int()'s 4,300 and float's 309 digits
    st.text("0123456789", min_size=1, max_size=30),
)
NUMBER = st.builds(
    lambda sign, whole, frac: f"{sign}{whole}{frac}",
    st.sampled_from(["", "-", "+"]),
    DIGITS,
    st.one_of(st.just(""), DIGITS.map(lambda d: "." + d[:20]), st.just(".")),
)
DASH = st.sampled_from(["--", "—", "——", "–", "－－", "−", "-- "])
NAME = st.one_of(
    st.sampled_from(sorted(ALIASES)),
    st.sampled_from(["ａｒ", "ＳＥＥＤ", "aspetc", "q", "v", "niji"]),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=3000),
)
VALUE = st.one_of(
    NUMBER,
    st.builds(lambda w, h: f"{w}:{h}", DIGITS, DIGITS),
    st.builds(lambda w, h: f"{w}：{h}", DIGITS, DIGITS),
    st.sampled_from([*SAMPLERS, *STYLES, *MODELS, "１６：９", "nan"]),
    ANY_TEXT,
)
PORT = st.one_of(st.just(""), DIGITS.map(lambda d: ":" + d), st.just(":"), st.just(":-1"))
HOST = st.one_of(
    st.sampled_from(["example.com", "[::1]", "[::1", "::1]", "[fe80::1%25eth0]", "1.2.3.4"]),
    st.text("ab.-☃[]:%", min_size=0, max_size=80),
)
URL_TEXT = st.builds(
    lambda scheme, host, port, path: f"{scheme}://{host}{port}/{path}",
    st.sampled_from(["http", "https", "HTTP"]),
    HOST,
    PORT,
    st.text(st.characters(codec=None, exclude_characters=" \t\n"), max_size=30),
)
PIECE = st.one_of(
    ANY_TEXT,
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=10),
    st.builds(lambda dash, name, value: f" {dash}{name} {value} ", DASH, NAME, VALUE),
    st.builds(lambda word, weight: f"{word}::{weight} ", ANY_TEXT, NUMBER),
    st.sampled_from(["::", "：：", ", ", "，", " ", "/mj ", "/imagine prompt: ", "--tile"]),
)
# Plausible values for each field, near and across their limits, so that many texts parse.
SMALL = st.integers(-2, 120).map(str)
FIELD_VALUES = {
    "aspect": st.builds(lambda w, h: f"{w}:{h}", st.integers(0, 40), st.integers(0, 40)),
    "negative_prompt": st.text(min_size=1, max_size=LIMIT + 20).map(str.strip),
    "seed": st.one_of(st.integers(-1, 2**32).map(str), DIGITS),
    "steps": SMALL,
    "cfg": st.one_of(SMALL, st.floats(-1, 31).map(lambda x: f"{x:.3f}")),
    "sampler": st.sampled_from([*sorted(SAMPLERS), "DPM++ 2M Karras", "k_euler_a", "x"]),
    "model": st.sampled_from([*MODELS, "TURBO", "other"]),
    "style": st.sampled_from([*STYLES, "Digital Art", "x"]),
    "tile": st.just(""),
    "repeat": SMALL,
    "stop": SMALL,
    "chaos": SMALL,
    "image_weight": st.one_of(SMALL, st.floats(-0.5, 3.5).map(lambda x: f"{x:.2f}")),
    "clip_skip": SMALL,
    "theme": st.sampled_from(["guofeng", "Neon", "a b", "x" * 50]),
    "loras": st.builds(
        lambda name, weight: f"{name}:{weight}" if weight else name,
        st.sampled_from(["ink", "a b", "x" * 50]),
        st.one_of(st.just(""), NUMBER),
    ),
}
PARAM = st.sampled_from(sorted(ALIASES)).flatmap(
    lambda name: st.builds(
        lambda dash, value: f" {dash}{name} {value}", DASH, FIELD_VALUES[ALIASES[name]]
    )
)
PROMPT = st.lists(
    st.one_of(ANY_TEXT, st.builds(lambda w, n: f"{w}::{n} ", ANY_TEXT, NUMBER)), max_size=5
).map("".join)
MJ_TEXT = st.one_of(
    st.lists(PIECE, max_size=12).map("".join),
    st.builds(
        lambda url, rest: f"{url} {rest}", URL_TEXT, st.lists(PIECE, max_size=6).map("".join)
    ),
    st.builds(
        lambda url, prompt, params: f"{url}a fox {prompt}{''.join(params)}",
        st.one_of(st.just(""), URL_TEXT.map(lambda u: u + " ")),
        PROMPT,
        st.lists(PARAM, max_size=4),
    ),
)


def _profile(model: str | None) -> ModelProfile:
    return MODELS[model or "turbo"]


def _assert_within_limits(request: MjRequest) -> None:
    profile = _profile(request.model)
    assert 0 < len(request.prompt) <= LIMIT
    assert request.negative_prompt is None or len(request.negative_prompt) <= LIMIT
    assert request.width % profile.multiple == 0 and request.height % profile.multiple == 0
    ratio = Fraction(request.width, request.height)
    assert Fraction(1, 4) * Fraction(95, 100) <= ratio <= 4 * Fraction(105, 100)
    assert abs(request.width * request.height / profile.native**2 - 1) <= 0.15
    aspect_w, aspect_h = map(int, request.aspect.split(":"))
    assert math.gcd(aspect_w, aspect_h) == 1 and max(aspect_w, aspect_h) <= 4 * min(
        aspect_w, aspect_h
    )
    for value, low, high in (
        (request.seed, 0, 4294967295),
        (request.steps, 1, profile.max_steps),
        (request.repeat, 1, 40),
        (request.stop, 10, 100),
        (request.chaos, 0, 100),
    ):
        assert value is None or (isinstance(value, int) and low <= value <= high)
    for value, low, high in ((request.cfg, 0, 30), (request.image_weight, 0, 3)):
        assert value is None or (math.isfinite(value) and low <= value <= high)
    assert request.sampler is None or request.sampler in SAMPLERS
    assert request.style is None or request.style in STYLES
    assert request.model is None or request.model in MODELS
    assert request.prompts and all(part.text for part in request.prompts)
    weights = [part.weight for part in request.prompts]
    assert all(math.isfinite(w) and abs(w) <= MAX_WEIGHT for w in weights)
    assert sum(weights) > 0
    assert all(http_target(url) is not None for url in request.image_urls)
    json.dumps(request.to_json_dict(), allow_nan=False)  # strict JSON, as `mjbot parse` prints


@FUZZ
@given(MJ_TEXT, st.booleans())
@example("a --seed " + "1" * 5000, False)
@example("a --ar 1:" + "1" * 4301, False)
@example("a::" + "9" * 400 + " b::-" + "9" * 400, False)
@example("http://example.com:99999/x.png a cat", False)
@example("https://[::1/x.png a cat", False)
def test_any_text_parses_within_limits_or_says_what_to_fix(text: str, attached: bool) -> None:
    try:
        request = parse_mj(
            text,
            profile=_profile,
            models=list(MODELS),
            max_prompt_chars=LIMIT,
            attached_image=attached,
        )
    except ParamError as error:
        assert 0 < len(str(error)) <= MESSAGE_CHARS
        return
    _assert_within_limits(request)


CRASHES = [
    pytest.param("a --seed " + "1" * 5000, "--seed must be a whole number", id="seed-5000-digits"),
    pytest.param(
        "a --ar 1:" + "1" * 4301, "--ar sides must be whole numbers", id="ar-4301-digits"
    ),
    pytest.param("a --ar " + "9" * 20 + ":1", "--ar sides must be whole numbers", id="ar-huge"),
    pytest.param("a --cfg " + "9" * 400, "--cfg must be a number between 0 and 30", id="cfg-inf"),
    pytest.param("a --iw 1" + "0" * 400, "--iw must be a number", id="iw-inf"),
    pytest.param("a::" + "9" * 400 + " b::-" + "9" * 400, "from -1000 to 1000", id="weight-inf"),
    pytest.param("a::1001", "from -1000 to 1000", id="weight-over-limit"),
    pytest.param("http://example.com:99999/x.png a cat", "not a valid http(s) URL", id="port"),
    pytest.param("https://[::1/x.png a cat", "not a valid http(s) URL", id="ipv6-bracket"),
    pytest.param("http://" + "a" * 70 + ".com/x a cat", "not a valid http(s) URL", id="label"),
    pytest.param(
        "http://example.com/" + "x" * MAX_URL_CHARS + " a cat", "at most 2048", id="url-long"
    ),
    pytest.param("a cat --no " + "x" * 301, "--no is 301 characters long", id="no-long"),
    pytest.param("a cat --" + "x" * 5000, "Unknown parameter --xxx", id="name-5000"),
    pytest.param("a cat --sampler " + "x" * 5000, "Unknown sampler 'xxx", id="sampler-5000"),
]


@pytest.mark.parametrize(("text", "message"), CRASHES)
def test_what_crashed_before_is_a_short_clear_error(text: str, message: str) -> None:
    with pytest.raises(ParamError) as caught:
        parse_mj(text, profile=_profile, models=list(MODELS), max_prompt_chars=LIMIT)
    assert message in str(caught.value)
    assert len(str(caught.value)) <= MESSAGE_CHARS


@FUZZ
@given(st.one_of(URL_TEXT, st.text(st.characters(codec=None), max_size=100)))
@example("http://a:0/")
@example("http://a..b/x")
@example("http://user@:80/")
def test_url_check_never_raises_and_what_it_accepts_can_be_fetched(url: str) -> None:
    target = http_target(url)
    if target is None:
        return
    assert 1 <= target.port <= 65535
    assert URL(url).host is not None  # aiohttp's parser reads it the same way
    target.host.encode("idna")  # and the resolver can encode the host
