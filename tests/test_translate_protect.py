"""What is translated and what is kept: the protect/reassemble round trip. Pure and fast."""

from __future__ import annotations

import pytest

from bot.core.params_tokens import normalize_input
from translate.detect import contains_chinese, is_chinese
from translate.protect import Kind, chinese_spans, reassemble, split_protected

ROUND_TRIPS = {
    "plain": "一只猫",
    "params": "一只猫 --ar 16:9 --seed 42 --style anime",
    "no value": "猫 --no 文字, 水印 --ar 3:2",
    "urls": "https://example.com/猫.png <https://x.io/a?q=狗> 森林里的狐狸",
    "weights": "赛博朋克猫::2 雪山::-0.5 水彩::.5",
    "full-width weights": "猫：：２ 狗",
    "mixed": "a portrait of 穿着红色裙子的女孩 in the rain, 8k",
    "punctuation": "水彩画，景深。电影感！",
    "no chinese": "a red fox --ar 2:1",
    "empty": "",
}


@pytest.mark.parametrize("text", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_pieces_cover_the_text_exactly(text: str) -> None:
    pieces = split_protected(text)
    assert "".join(piece.text for piece in pieces) == text
    assert all(piece.text for piece in pieces)


@pytest.mark.parametrize(
    "text",
    [t for t in ROUND_TRIPS.values() if "，" not in t],
    ids=[k for k, t in ROUND_TRIPS.items() if "，" not in t],
)
def test_identity_translation_gives_the_text_back(text: str) -> None:
    assert reassemble(split_protected(text), lambda span: span) == text


def kinds(text: str) -> list[tuple[str, str]]:
    return [(p.kind.value, p.text) for p in split_protected(text) if p.text.strip()]


def test_params_are_raw_except_the_no_value() -> None:
    assert kinds("猫 --ar 16:9 --no 文字, 水印 --style 水彩") == [
        ("chinese", "猫"),
        ("raw", "--ar 16:9 "),
        ("raw", "--no"),
        ("chinese", "文字"),
        ("text", ", "),
        ("chinese", "水印"),
        ("raw", "--style 水彩"),  # other values stay as typed, Chinese or not
    ]


def test_urls_and_weights_are_raw_anywhere() -> None:
    found = kinds("https://a.cn/图.png 猫::2 看 <https://b.cn/狗> 狗：：-1.5")
    assert ("raw", "https://a.cn/图.png") in found
    assert ("raw", "<https://b.cn/狗>") in found
    assert ("raw", "::2") in found and ("raw", "：：-1.5") in found
    assert [text for kind, text in found if kind == "chinese"] == ["猫", "看", "狗"]


def test_weight_separator_without_number_keeps_the_next_word_translatable() -> None:
    assert kinds("太空::飞船") == [("chinese", "太空"), ("raw", "::"), ("chinese", "飞船")]


def test_chinese_spans_are_distinct_and_ordered() -> None:
    assert chinese_spans(split_protected("猫，狗，猫 --no 狗")) == ["猫", "狗"]


def test_reassembly_spaces_latin_words_and_makes_punctuation_ascii() -> None:
    english = {"猫": "cat", "帽子": "hat", "水彩": "watercolor", "景深": "depth of field"}
    text = reassemble(split_protected("a猫wearing帽子，水彩、景深。"), english.__getitem__)
    assert text == "a cat wearing hat, watercolor, depth of field."


def test_dropped_words_leave_no_empty_list_items() -> None:
    english = {"的": "", "猫": "cat", "了": ""}
    text = reassemble(split_protected("的，猫，了 --ar 1:1"), english.__getitem__)
    assert text == "cat --ar 1:1"


def test_params_survive_byte_for_byte_around_translations() -> None:
    params = " --ar 16:9 --seed 7 --chaos 20 --sampler euler_a"
    text = reassemble(split_protected("狐狸" + params), lambda span: "fox")
    assert text == "fox" + params


def test_works_on_normalised_phone_and_input_method_text() -> None:
    normal = normalize_input("一只猫——ar 16：9 —no 文字，水印")
    assert normal == "一只猫 --ar 16:9 --no 文字, 水印"
    english = {"一只猫": "a cat", "文字": "text", "水印": "watermark"}
    assert (
        reassemble(split_protected(normal), english.__getitem__)
        == "a cat --ar 16:9 --no text, watermark"
    )


@pytest.mark.parametrize(
    ("text", "chinese"),
    [("猫", True), ("a cat 8k", False), ("かわいい", False), ("貓", True), ("〇", True)],
)
def test_detection(text: str, chinese: bool) -> None:
    assert contains_chinese(text) is chinese


def test_is_chinese_means_han_only() -> None:
    assert is_chinese("水彩画") and not is_chinese("水彩 画") and not is_chinese("")
    assert {p.kind for p in split_protected("水彩 画")} == {Kind.CHINESE, Kind.TEXT}
