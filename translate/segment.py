"""Word segmentation with jieba, taught the glossary, the names list and CC-CEDICT.

Chinese has no spaces: 赛博朋克风格的猫 must become 赛博朋克风格 / 的 / 猫 before any word can
be looked up. Both backends segment: the dictionary to translate word by word, argos to keep
glossary terms away from the model.

Every word a later lookup knows is in jieba's dictionary, so the longest known word wins:
小木屋 stays "log cabin" instead of 小 / 木屋, 新海诚 stays a name instead of 新 / 海 / 诚.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from lexicon.cedict import Cedict, load_cedict
from lexicon.names import strip_name_dots
from translate.glossary import NAME, Glossary, Term

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

# jieba's own median word frequency: CC-CEDICT words jieba lacks join as ordinary words, known
# but not favoured over jieba's common ones (its frequencies come from a real corpus).
_CEDICT_FREQUENCY = 3
# Curated words of two or more characters are at least this frequent (jieba's 的 is 318,825,
# 城市 is 25,000): where two cuts have as many words (装饰艺术|风格 or 装饰|艺术风格), the one
# made of curated words wins.
_CURATED_FREQUENCY = 20_000
# Names more so: splitting a proper noun is the worst mistake (西湖|边, not 西|湖边).
_NAME_FREQUENCY = 100_000

_lock = threading.Lock()
_segmenters: dict[str, Segmenter] = {}


class Segmenter:
    """A private jieba tokenizer (the global one stays untouched) that knows every word the
    glossary, the names list and CC-CEDICT translate."""

    def __init__(self, glossary: Glossary, cedict: Cedict) -> None:
        import jieba

        # jieba announces its dictionary loading on stderr at DEBUG level.
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        known = self._jieba.FREQ
        for word in cedict:
            word = strip_name_dots(word)
            if not known.get(word):
                self._jieba.add_word(word, _CEDICT_FREQUENCY)
        for word, term in glossary.terms.items():
            # suggest_freq: the frequency that keeps the word whole against the pieces jieba
            # would otherwise cut it into.
            frequency = self._jieba.suggest_freq(word, tune=False)
            if len(word) > 1:
                floor = _NAME_FREQUENCY if term.category == NAME else _CURATED_FREQUENCY
                frequency = max(frequency, floor)
            self._jieba.add_word(word, frequency)

    def cut(self, text: str) -> list[str]:
        # No HMM: it invents words absent from every dictionary, which then translate worse
        # than the known pieces they are made of. Name dots go (达·芬奇 is listed as 达芬奇).
        return self._jieba.lcut(strip_name_dots(text), HMM=False)


def segmenter_for(glossary: Glossary, cedict: Cedict | None = None) -> Segmenter:
    """One segmenter per glossary and process: loading jieba's 350,000 words takes about 1 s."""
    with _lock:
        segmenter = _segmenters.get(glossary.digest)
        if segmenter is None:
            segmenter = Segmenter(glossary, cedict if cedict is not None else load_cedict())
            _segmenters[glossary.digest] = segmenter
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
