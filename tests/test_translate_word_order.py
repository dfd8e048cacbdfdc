"""Issue 20's examples: names kept, compounds whole, regional spellings, English word order."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.params_tokens import normalize_input
from bot.core.translation import translate_sync
from translate.detect import HAN_RUN
from translate.protect import Kind, split_protected
from translate.translator import Translator

# (prompt, the translation exactly)
EXAMPLES = {
    # names: artists, works, places, characters; CC-CEDICT's own name entries
    "artist style": ("新海诚风格的黄昏街道", "dusk street, Makoto Shinkai style"),
    "western artist": ("达芬奇的手稿", "Leonardo da Vinci manuscript"),
    "middle dot": ("达·芬奇", "Leonardo da Vinci"),
    "chinese painter": ("齐白石", "Qi Baishi"),
    "work": ("千与千寻", "Spirited Away"),
    "place": ("西湖", "West Lake"),
    "character": ("猪八戒", "Zhu Bajie"),
    "capitals inside a name": ("哆啦A梦的任意门", "Doraemon Anywhere Door"),
    "cedict name entries": ("郑和和马可波罗在扬州", "Zheng He, Marco Polo in Yangzhou"),
    # compounds stay whole
    "cabin": ("小木屋", "log cabin"),
    "red panda": ("小熊猫", "red panda"),
    "swan": ("一只白天鹅", "a white swan"),
    # traditional, Taiwan and Hong Kong spellings
    "taiwan punk": ("賽博龐克", "cyberpunk"),
    "taiwan phrase": ("軟體工程師", "software engineer"),
    "hong kong loanword": ("士多啤梨蛋糕", "strawberry cake"),
    # word order
    "wearing": ("穿汉服的少女", "young girl wearing hanfu"),
    "holding": ("拿着剑的骑士", "knight holding sword"),
    "place before 的": ("森林里的狐狸", "fox in forest"),
    "action after a noun": ("一只猫坐在月亮上", "a cat sitting on moon"),
    "style goes last": ("一只赛博朋克风格的猫", "a cat, cyberpunk style"),
    "of": ("城市的鸟瞰图", "bird's eye view of city"),
    "described": ("夜晚的城市街道", "night city street"),
    # counts and measure words
    "a": ("一位老人", "an old man"),
    "plural": ("两只熊猫在竹林中吃竹子", "two pandas in bamboo forest eating bamboo"),
    "container": ("两碗拉面", "two bowls of ramen"),
    "们": ("学生们", "students"),
    # protected neighbours never absorb translated text they did not touch as typed
    "weight then dropped particle": ("::2的2077", "::2 2077"),
    "url right after chinese": ("猫https://e.x/a.png", "cat https://e.x/a.png"),
}


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator("dictionary")


@pytest.mark.parametrize(("prompt", "english"), EXAMPLES.values(), ids=EXAMPLES.keys())
def test_examples(translator: Translator, prompt: str, english: str) -> None:
    assert translator.translate(prompt).text == english


def test_simplified_text_is_not_rewritten_as_taiwan_usage(translator: Translator) -> None:
    # tw2sp would turn 影片 ("film" on the mainland) into 视频 ("video"): simplified input
    # never goes through the regional tables.
    assert "video" not in translator.translate("老影片的胶片质感").text
    assert "video" in translator.translate("老影片的膠片質感").text  # traditional: Taiwan usage


_WORDS = [
    *("猫", "狗", "少女", "城堡", "森林", "新海诚", "赛博朋克", "风格", "水彩", "霓虹灯"),
    *("的", "在", "和", "里", "上", "下", "们", "了", "一只", "两碗", "穿", "拿着", "坐在"),
    *("，", "、", " ", "·", "A", "2077", "--ar 16:9", "::2", " --no ", "https://e.x/猫.png"),
    *("貓", "龐克", "軟體", "风", "式"),
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=14))
@example(["::2", "的", "2077"])  # found by hypothesis: the weight became ::22077
def test_any_mix_translates_with_params_intact(translator: Translator, words: list[str]) -> None:
    text = "".join(words)
    translation = translate_sync(translator, text)
    result = translation.text
    if translation.backend == "none":  # nothing to translate: the text exactly as typed
        assert result == text
        return
    kept = [p.text.strip() for p in split_protected(result) if p.kind is Kind.RAW]
    assert kept == [
        p.text.strip() for p in split_protected(normalize_input(text)) if p.kind is Kind.RAW
    ]
    prose = "".join(p.text for p in split_protected(result) if p.kind is not Kind.RAW)
    assert not HAN_RUN.search(prose), (text, result)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("猫狗的·・A9a -:：，https/.<>"), max_size=40))
def test_pieces_always_cover_the_text(text: str) -> None:
    assert "".join(piece.text for piece in split_protected(text)) == text
