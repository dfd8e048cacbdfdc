"""The built-in translator: jieba words -> names, glossary or CC-CEDICT -> an English prompt.

It needs nothing downloaded. Each word is looked up, in this order:

1. the glossary and the curated names list (`translate/glossary.tsv`, `lexicon/names.tsv`):
   curated, and they know which words describe the next one;
2. grammar words: 的, 和, 在, place words (上, 里, 下), counts (一只, 两碗), particles;
3. CC-CEDICT: a name it knows only as a proper noun (齐白石 -> "Qi Baishi"), else the first
   usable sense of a common word (verbs become "-ing": 吃 -> "eating");
4. a word no dictionary knows is split into the longest words that are known.

`translate.phrases.PhraseBuilder` puts the English in English order.
"""

from __future__ import annotations

import re

from lexicon.cedict import Cedict, load_cedict
from translate.glossary import NAME, Glossary, Term
from translate.inflect import participle
from translate.phrases import PhraseBuilder
from translate.segment import PARTICLES, Segmenter, segmenter_for

VERSION = 2  # part of the cache tag: bump when a rule change alters translations
_LINKER = "的"  # X的Y: X describes Y
_SEPARATORS = frozenset({"和", "与", "及", "跟", "或", "或者", "以及", "还有", "同时"})
_OPENERS = frozenset({"在", "于", "位于", "处在", "处于"})  # 在X上: where something is
_PLURAL_MARKER = "们"
_PLACES = {
    "下": "under",
    "之下": "under",
    "下面": "under",
    "底下": "under",
    "上": "on",
    "上面": "on",
    "之上": "above",
    "中": "in",
    "之中": "in",
    "里": "in",
    "里面": "inside",
    "内": "inside",
    "外": "outside",
    "外面": "outside",
    "旁": "beside",
    "旁边": "beside",
    "边": "beside",
    "前": "in front of",
    "前面": "in front of",
    "后": "behind",
    "后面": "behind",
    "背后": "behind",
    "周围": "around",
    "中间": "in the middle of",
    "之间": "between",
    "附近": "near",
}
_NUMBERS = {
    "一": "a",
    "二": "two",
    "两": "two",
    "三": "three",
    "四": "four",
    "五": "five",
    "六": "six",
    "七": "seven",
    "八": "eight",
    "九": "nine",
    "十": "ten",
    "几": "several",
}
# Measure words that are containers say what they hold: 一碗拉面 -> "a bowl of ramen".
_CONTAINERS = {
    "杯": "cup",
    "碗": "bowl",
    "盘": "plate",
    "碟": "plate",
    "瓶": "bottle",
    "盒": "box",
    "袋": "bag",
    "篮": "basket",
    "壶": "pot",
    "桶": "bucket",
    "罐": "jar",
    "束": "bouquet",
    "捧": "handful",
    "堆": "pile",
    "排": "row",
    "串": "string",
    "群": "group",
    "队": "team",
    "缕": "ray",
    "滴": "drop",
}
# A number with its measure word (一只, 两个, 三朵): other measure words say nothing in English.
_COUNT = re.compile(
    r"([一二两三四五六七八九十几])"
    rf"([个只位张幅条件头匹座棵朵片把辆双本块支根艘架栋间顶颗尊道家名{''.join(_CONTAINERS)}]?)"
)
_RELATIONAL = frozenset({"camera", "composition"})  # views and shots: "close-up of eyes"
_MAX_PIECE = 8  # longest word tried when splitting a word no dictionary knows


class DictionaryBackend:
    """Translates one run of Chinese (simplified) into a keyword prompt."""

    name = "dictionary"

    def __init__(
        self,
        glossary: Glossary,
        *,
        cedict: Cedict | None = None,
        segmenter: Segmenter | None = None,
    ) -> None:
        self.glossary = glossary
        self.tag = f"dictionary:{VERSION}:{glossary.digest}"
        self._cedict = cedict if cedict is not None else load_cedict()
        self._segmenter = segmenter or segmenter_for(glossary, self._cedict)

    def translate_span(self, span: str) -> str:
        builder = PhraseBuilder()
        for word in self._segmenter.cut(span):
            self._add(builder, word, split_unknown=True)
        return builder.text()

    def translate_spans(self, spans: list[str]) -> list[str | None]:
        return [self.translate_span(span) for span in spans]

    def _add(self, builder: PhraseBuilder, word: str, *, split_unknown: bool) -> None:
        if (term := self.glossary.get(word)) and self._add_term(builder, term):
            return
        if self._add_grammar(builder, word):
            return
        if word.isascii():  # a Latin word or number inside the Chinese (戴VR眼镜) stays
            builder.head(word)
        elif name := self._cedict.name(word):
            builder.head(name, name=True)
        elif keyword := self._cedict.keyword(word):
            if keyword.verb:
                builder.action(participle(keyword.text))
            else:
                builder.head(keyword.text)
        elif split_unknown and len(word) > 1:
            for piece in self._known_pieces(word):
                self._add(builder, piece, split_unknown=False)

    def _add_term(self, builder: PhraseBuilder, term: Term) -> bool:
        """False for a suffix with nothing before it (风 alone is the wind, not a style)."""
        if term.category == "suffix":
            return builder.suffix(term.english)
        if term.category == "action":
            builder.action(term.english)
        elif term.describes_next:
            builder.describe(term.english)
        else:
            builder.head(
                term.english,
                name=term.category == NAME,
                style=term.category == "style",
                relational=term.category in _RELATIONAL,
            )
        return True

    def _add_grammar(self, builder: PhraseBuilder, word: str) -> bool:
        if word == _LINKER:
            builder.link()
        elif word in _SEPARATORS:
            builder.separator()
        elif word in _OPENERS:
            builder.opener()
        elif word in _PLACES:
            builder.place(_PLACES[word])
        elif word == _PLURAL_MARKER:
            builder.plural_marker()
        elif word in PARTICLES:
            pass
        elif count := _COUNT.fullmatch(word):
            number, measure = _NUMBERS[count.group(1)], count.group(2)
            many = number != "a"
            if container := _CONTAINERS.get(measure):
                builder.count(f"{number} {container}{'s' if many else ''} of", many=False)
            else:
                builder.count(number, many=many)
        else:
            return False
        return True

    def _known_pieces(self, word: str) -> list[str]:
        """Greedy longest match against the glossary and CC-CEDICT, one character at worst."""
        pieces, start = [], 0
        while start < len(word):
            for end in range(min(len(word), start + _MAX_PIECE), start, -1):
                piece = word[start:end]
                if end - start == 1 or self.glossary.get(piece) or piece in self._cedict:
                    pieces.append(piece)
                    start = end
                    break
        return pieces
