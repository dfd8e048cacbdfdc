"""Chinese segmentation with jieba's dictionary and CC-CEDICT's vocabulary together."""

from __future__ import annotations

import jieba
import pytest

from lexicon.segment import segmenter


@pytest.fixture(scope="module")
def plain_jieba() -> jieba.Tokenizer:
    return jieba.Tokenizer()


@pytest.mark.parametrize(
    ("text", "jieba_alone", "taught"),
    [
        # 玄色 ("black") and 隐色 are CC-CEDICT words jieba lacks: without them, 色情 appears.
        ("玄色情面", "玄/色情/面", "玄色/情面"),
        ("隐色情意", "隐/色情/意", "隐色/情意"),
        ("河童妓馆", "河/童妓/馆", "河童/妓馆"),
        ("一个裸体女人", "一个/裸体/女人", "一个/裸体/女人"),  # jieba's words still lead
    ],
)
def test_cedict_words_join_jiebas(
    plain_jieba: jieba.Tokenizer, text: str, jieba_alone: str, taught: str
) -> None:
    assert "/".join(plain_jieba.lcut(text, HMM=False)) == jieba_alone
    assert "/".join(segmenter().cut(text)) == taught


@pytest.mark.parametrize(
    ("word", "pieces"),
    [("色情片", "色情/片"), ("白色情人节", "白色/情人节"), ("流血", "流/血"), ("血", "血")],
)
def test_cut_inside_splits_a_word_without_itself(word: str, pieces: str) -> None:
    assert "/".join(segmenter().cut_inside(word)) == pieces


def test_the_segmenter_is_built_once() -> None:
    assert segmenter() is segmenter()
