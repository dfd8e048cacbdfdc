"""The built-in translator: jieba words -> glossary or CC-CEDICT keywords -> a keyword prompt.

It needs nothing downloaded. The output is what Stable Diffusion reads best when no real
grammar is available: short phrases separated by commas. Three small rules make the phrases:

1. Describing words (colours, materials, verbs, numbers, and anything before 的) join the
   next word: 穿着红色裙子的女孩 -> "wearing red dress girl", 两只熊猫 -> "two pandas".
2. A place word after a noun becomes a preposition before it: 霓虹灯下 -> "under neon lights";
   before 的 it goes after the head: 森林里的狐狸 -> "fox in forest".
3. Particles (的, 了, 在 ...) are dropped; 和/与 start a new phrase.

Every other word is a keyword of its own: 猫，水彩，景深 -> "cat, watercolor, depth of field".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lexicon.cedict import Cedict, load_cedict
from translate.glossary import Glossary
from translate.segment import PARTICLES, Segmenter, segmenter_for

VERSION = 1  # part of the cache tag: bump when a rule change alters translations
_LINKER = "的"  # X的Y: X describes Y
_SEPARATORS = frozenset({"和", "与", "及", "跟", "或", "或者", "以及", "还有", "同时"})
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
# A number with its measure word (一只, 两个, 三朵): only the number means something in English.
_COUNT = re.compile(
    r"([一二两三四五六七八九十几])[个只位张幅条件头匹座棵朵片把辆双本杯块支根艘架栋间顶颗尊]?"
)
_MAX_PIECE = 6  # longest word tried when splitting a word no dictionary knows


_PLURAL_COUNTS = frozenset(set(_NUMBERS.values()) - {"a"})


def _plural(noun: str) -> str:
    """Good enough for prompt nouns: pandas, foxes, butterflies; "cherry blossoms" stays."""
    if noun.endswith("s"):
        return noun
    if noun.endswith(("x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


@dataclass(slots=True)
class _Phrase:
    actions: list[str] = field(default_factory=list)  # a place preposition goes after these
    words: list[str] = field(default_factory=list)  # describing words, then the head
    trail: list[str] = field(default_factory=list)  # "in forest" after 的: "fox in forest"
    placed: bool = False  # words start with a place preposition

    def text(self) -> str:
        words = list(self.words)
        if words and len(words) > 1 and words[0] in _PLURAL_COUNTS:
            words[-1] = _plural(words[-1])
        if words and words[0] == "a" and len(words) > 1 and words[1][:1] in "aeiou":
            words[0] = "an"
        return " ".join(self.actions + words + self.trail)


@dataclass(slots=True)
class _Builder:
    phrases: list[_Phrase] = field(default_factory=list)
    pending: _Phrase = field(default_factory=_Phrase)  # describing words waiting for a head
    joinable: bool = False  # the last phrase ended just now, so 的 can reopen it

    def head(self, english: str) -> None:
        self.pending.words.append(english)
        self.phrases.append(self.pending)
        self.pending = _Phrase()
        self.joinable = True

    def describe(self, english: str, *, action: bool = False) -> None:
        if action and self.pending.words:
            self.flush()  # "red" then "sitting": the colour had nothing to describe
        (self.pending.actions if action else self.pending.words).append(english)
        self.joinable = False

    def suffix(self, english: str) -> None:
        """A word that completes the one before it: 油画 风格 -> "oil painting style"."""
        if self.joinable and self.phrases:
            self.phrases[-1].words.append(english)
        else:
            self.head(english)

    def link(self) -> None:
        """的: the phrase just ended describes the next head (a place goes after it)."""
        if self.joinable and not (self.pending.words or self.pending.actions):
            last = self.phrases.pop()
            if last.placed:
                self.pending = _Phrase(actions=last.actions, trail=last.words + last.trail)
            else:
                self.pending = last
        self.joinable = False

    def place(self, preposition: str) -> None:
        if self.joinable and self.phrases and not self.phrases[-1].placed:
            self.phrases[-1].words.insert(0, preposition)
            self.phrases[-1].placed = True

    def flush(self) -> None:
        if self.pending.words or self.pending.actions or self.pending.trail:
            self.phrases.append(self.pending)
            self.pending = _Phrase()
        self.joinable = False

    def text(self) -> str:
        self.flush()
        return ", ".join(phrase.text() for phrase in self.phrases)


class DictionaryBackend:
    """Translates one run of Han characters (simplified) into a keyword prompt."""

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
        self._segmenter = segmenter if segmenter is not None else segmenter_for(glossary)

    def translate_span(self, span: str) -> str:
        builder = _Builder()
        for word in self._segmenter.cut(span):
            self._add(builder, word, split_unknown=True)
        return builder.text()

    def _add(self, builder: _Builder, word: str, *, split_unknown: bool) -> None:
        # 1. The glossary first: curated, and it knows which words describe the next one.
        if term := self.glossary.get(word):
            if term.category == "suffix":
                builder.suffix(term.english)
            elif term.describes_next:
                builder.describe(term.english, action=term.category == "action")
            else:
                builder.head(term.english)
            return
        # 2. Grammar words.
        if word == _LINKER:
            builder.link()
            return
        if word in _SEPARATORS:
            builder.flush()
            return
        if word in _PLACES:
            builder.place(_PLACES[word])  # with no noun before it, a place word says nothing
            return
        if word in PARTICLES:
            return
        if count := _COUNT.fullmatch(word):
            builder.describe(_NUMBERS[count.group(1)])
            return
        # 3. CC-CEDICT; a word it does not know is split into words it does.
        if keyword := self._cedict.keyword(word):
            if keyword.verb:
                builder.describe(keyword.text, action=True)
            else:
                builder.head(keyword.text)
        elif split_unknown and len(word) > 1:
            for piece in self._known_pieces(word):
                self._add(builder, piece, split_unknown=False)

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
