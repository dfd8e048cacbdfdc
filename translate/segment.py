"""Word segmentation with jieba, taught the glossary so its terms come out whole.

Chinese has no spaces: 赛博朋克风格的猫 must become 赛博朋克风格 / 的 / 猫 before any word can
be looked up. Both backends segment: the dictionary to translate word by word, argos to keep
glossary terms away from the model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from translate.glossary import Glossary, Term

# Grammatical particles that carry no picture: dropped by the dictionary, and trimmed from the
# edges of the text argos gets between two glossary terms (赛博朋克 | 的猫 -> "猫").
PARTICLES = frozenset(
    {
        *("的", "地", "得", "了", "着", "过", "在", "是", "把", "被", "将", "很", "也", "都"),
        *("又", "就", "还", "而", "且", "并", "吧", "呢", "啊", "吗", "呀", "哦", "之", "们"),
        *("有", "正在", "正", "这", "那", "这个", "那个", "这些", "那些", "非常", "十分"),
        *("一种", "一样", "般", "似的", "给", "让", "从", "向", "于", "对", "为"),
    }
)

_lock = threading.Lock()
_segmenters: dict[str, Segmenter] = {}


class Segmenter:
    """A private jieba tokenizer (the global one stays untouched) with the glossary added."""

    def __init__(self, glossary: Glossary) -> None:
        import jieba

        # jieba announces its dictionary loading on stderr at DEBUG level.
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        for word in glossary.terms:
            # Without a frequency jieba computes one that just keeps the word whole.
            self._jieba.add_word(word)

    def cut(self, text: str) -> list[str]:
        # No HMM: it invents words absent from every dictionary, which then translate worse
        # than the known pieces they are made of.
        return self._jieba.lcut(text, HMM=False)


def segmenter_for(glossary: Glossary) -> Segmenter:
    """One segmenter per glossary and process: loading jieba's 350,000 words takes about 1 s."""
    with _lock:
        segmenter = _segmenters.get(glossary.digest)
        if segmenter is None:
            segmenter = _segmenters[glossary.digest] = Segmenter(glossary)
        return segmenter


def glossary_runs(words: Sequence[str], glossary: Glossary) -> list[tuple[str, Term | None]]:
    """Group segmented words into the glossary's art terms (`Term.kept_from_model`) and the
    runs of other words between them, for argos.

    Particles at the edges of a run are dropped (a run of particles alone disappears).
    """
    runs: list[tuple[str, Term | None]] = []
    pending: list[str] = []

    def flush() -> None:
        start, end = 0, len(pending)
        while start < end and pending[start] in PARTICLES:
            start += 1
        while end > start and pending[end - 1] in PARTICLES:
            end -= 1
        if start < end:
            runs.append(("".join(pending[start:end]), None))
        pending.clear()

    for word in words:
        term = glossary.get(word)
        if term is None or not term.kept_from_model:
            pending.append(word)
            continue
        flush()
        runs.append((word, term))
    flush()
    return runs
