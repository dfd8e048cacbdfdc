"""The built-in dictionary translator on real prompts: jieba + CC-CEDICT + the glossary."""

from __future__ import annotations

import re

import pytest

from bot.core.params import parse_mj
from lexicon.cedict import clean_sense
from translate.glossary import NAME, default_glossary, parse_glossary
from translate.translator import Translator

# (prompt, English words that must appear, params that must come through byte for byte)
TABLE = {
    "styles and --no": (
        "一只赛博朋克风格的猫坐在霓虹灯下，水彩画，景深 --ar 16:9 --no 文字, 水印",
        ["cyberpunk", "cat", "neon", "watercolor", "depth of field"],
        " --ar 16:9 --no text, watermark",
    ),
    "traditional": (
        "賽博朋克風格的貓，油畫，電影級光照 --seed 42",
        ["cyberpunk", "cat", "oil painting", "cinematic lighting"],
        " --seed 42",
    ),
    "mixed with english": (
        "a portrait of 穿着红色裙子的女孩 in the rain, 8k --steps 4",
        ["a portrait of", "red", "dress", "girl", "in the rain, 8k"],
        " --steps 4",
    ),
    "url and weights": (
        "https://example.com/图/猫.png 森林里的狐狸::2 雪山::-0.5 --iw 1.5",
        ["https://example.com/图/猫.png", "fox", "forest::2", "snowy mountains::-0.5"],
        " --iw 1.5",
    ),
    "quality words": (
        "月光下的古老城堡，神秘氛围，超高清，杰作 --ar 2:3 --chaos 30",
        ["castle", "moonlight", "mysterious", "ultra high definition", "masterpiece"],
        " --ar 2:3 --chaos 30",
    ),
    "counts and places": (
        "两只熊猫在竹林中，中国风，水墨画",
        ["two pandas", "in bamboo forest", "chinese style", "ink wash painting"],
        "",
    ),
    "cedict words": (
        "一个宇航员骑着马在火星上，照片级真实，广角镜头 --no 模糊",
        ["an astronaut", "riding horse", "on mars", "photorealistic", "wide-angle lens"],
        " --no blurry",
    ),
    "traditional --no": (
        "夜晚的城市街道，下雨 --no 簽名，模糊",
        ["city", "street", "night", "raining"],
        " --no signature, blurry",
    ),
    "full-width params": (
        "水彩风景——ar 16：9",
        ["watercolor", "landscape"],
        " --ar 16:9",
    ),
}


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator("dictionary")


@pytest.mark.parametrize(("prompt", "words", "params"), TABLE.values(), ids=TABLE.keys())
def test_real_translations(translator: Translator, prompt, words, params) -> None:
    from bot.core.translation import translate_sync

    result = translate_sync(translator, prompt)
    assert result.backend == "dictionary" and result.source == prompt
    for word in words:
        assert word in result.text, (word, result.text)
    assert result.text.endswith(params) if params else "--" not in result.text
    prompt_part = result.text[: len(result.text) - len(params)]
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"https://\S+", "", prompt_part))
    assert "(" not in result.text and "[" not in result.text  # no dictionary glosses
    parse_mj(result.text)  # and it is still valid /mj text


def test_particles_are_dropped_and_output_is_a_keyword_list(translator: Translator) -> None:
    text = translator.translate("猫了，的，在森林里").text
    assert text == "cat, in forest"


def test_glossary_wins_over_cedict(translator: Translator) -> None:
    # CC-CEDICT's first sense of 光照 is "illumination"; prompts mean "lighting".
    assert translator.translate("光照").text == "lighting"


def test_unknown_words_are_split_into_known_ones(translator: Translator) -> None:
    # jieba cuts 树上 as one word, which no dictionary translates: 树 + 上 are known.
    assert translator.translate("树上的猫").text == "cat on tree"


def test_nothing_chinese_means_backend_none(translator: Translator) -> None:
    result = translator.translate("a red fox --no 文字")
    assert result.backend == "dictionary" and result.text == "a red fox --no text"
    untouched = translator.translate("a red fox --style 水彩")  # Chinese only in a param value
    assert untouched.backend == "none" and untouched.text == "a red fox --style 水彩"


def test_glossary_is_large_valid_and_covers_the_issue_examples() -> None:
    glossary = default_glossary()
    prompt_terms = [t for t in glossary.terms.values() if t.category != NAME]
    assert len(prompt_terms) >= 1500  # issue 20: at least 1,500 prompt terms
    examples = {"赛博朋克": "cyberpunk", "水彩": "watercolor", "油画": "oil painting"}
    for chinese, english in {**examples, "景深": "depth of field"}.items():
        assert glossary.get(chinese).english == english


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["猫\tcat"], "3 tab-separated"),
        (["cat\tcat\tsubject"], "not Han"),
        (["猫\tCat (animal)\tsubject"], "lower-case English"),
        (["猫\tcat\tanimal"], "unknown category"),
        (["猫\tcat\tsubject", "猫\tkitty\tsubject"], "listed twice"),
    ],
)
def test_glossary_errors_name_the_line(lines: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_glossary(["# comment", *lines])


@pytest.mark.parametrize(
    ("sense", "keyword", "verb"),
    [
        ("neon lamp (loanword)", "neon lamp", False),
        ("to sit", "sit", True),
        ("to be bright", "bright", False),
        ("surname Zuo", None, None),
        ("CL:隻|只[zhi1]", None, None),
        ("variant of 座[zuo4]", None, None),
        ("(dialect) to hide oneself", None, None),
        ("prefix used before the surname of a person or a numeral", None, None),
    ],
)
def test_cedict_senses_become_keywords(sense: str, keyword, verb) -> None:
    cleaned = clean_sense(sense)
    assert (cleaned and (cleaned.text, cleaned.verb)) == (keyword and (keyword, verb))
