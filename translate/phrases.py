"""Building English prompt phrases from translated Chinese words, in English word order.

The dictionary backend looks each word up and tells a `PhraseBuilder` what it is: a head noun,
a describing word, an action, a count, a place word, 的, a separator. The builder reorders the
way an English prompt reads:

- 一只猫坐在月亮上 -> "a cat sitting on moon": an action or a place after a noun joins it;
- 穿汉服的少女 -> "young girl wearing hanfu": an action or place before 的 follows the head;
- 新海诚风格的黄昏街道 -> "dusk street, Makoto Shinkai style": a style before 的 goes last;
- 城市的鸟瞰图 -> "bird's eye view of city": views and shots take "of";
- 两只熊猫 -> "two pandas", 一碗拉面 -> "a bowl of ramen": counts, with plurals;
- anything else before 的 describes the head: 夜晚的城市 -> "night city".

Phrases are separated by commas, the keyword style Stable Diffusion reads best.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from translate.inflect import plural

# Head words that already say where they are: 在水下 is "underwater", not "at underwater".
_PREPOSITIONS = frozenset(
    {"in", "on", "at", "under", "by", "near", "inside", "outside", "beside", "behind", "above"}
)
_ADVERBIAL = frozenset({"underwater", "outdoors", "indoors", "upstairs", "overhead"})


@dataclass(slots=True)
class _Phrase:
    lead: list[str] = field(default_factory=list)  # actions before the rest: "sitting"
    prep: str | None = None  # a place preposition before the words: "on"
    words: list[str] = field(default_factory=list)  # counts, describing words, head(s)
    trail: list[str] = field(default_factory=list)  # clauses after the head: "wearing hanfu"
    of_words: list[str] = field(default_factory=list)  # 城市的(鸟瞰图): "view of city"
    head_at: int = -1  # index in words of the first head; -1: no head yet
    plural: bool = False  # counted above one: the last head word takes a plural
    style: bool = False  # a style ("X style"): before 的 it goes to the end of the span
    name: bool = False  # the last head is a proper name (two names are not compounded)
    locative: bool = False  # opened by 在: "at" when no place word follows
    follows: bool = False  # came right after another phrase, with no separator between

    def empty(self) -> bool:
        return not (self.lead or self.words or self.trail or self.of_words)

    @property
    def attached(self) -> bool:
        """Joined to the phrase before it with a space: "a cat" + "sitting on moon"."""
        return self.follows and bool(self.lead or self.prep or self.locative)

    def text(self) -> str:
        words = list(self.words)
        if self.plural and self.head_at >= 0:
            words[-1] = plural(words[-1])
        if words[:1] == ["a"] and len(words) > 1 and words[1][:1].lower() in "aeiou":
            words[0] = "an"
        if self.of_words:
            words += ["of", *self.of_words]
        prep = self.prep
        if prep is None and self.locative and words:  # 在巴黎 -> "in Paris", 在医院 -> "at ..."
            first = words[0].split(" ", 1)[0].lower()
            if first not in _PREPOSITIONS | _ADVERBIAL:
                prep = "in" if self.name else "at"
        return " ".join([*self.lead, *([prep] if prep else []), *words, *self.trail])


@dataclass(slots=True)
class PhraseBuilder:
    phrases: list[_Phrase] = field(default_factory=list)
    pending: _Phrase = field(default_factory=_Phrase)  # words waiting for their head
    current: _Phrase | None = None  # the phrase a following head compounds with
    adjacent: bool = False  # the last phrase ended just now (的, a place word can take it)
    styles: list[_Phrase] = field(default_factory=list)  # "X style" moved to the end

    def _close(self) -> None:
        self.current = None

    def _start(self) -> None:
        """Words that open a phrase: it follows the last one if nothing came between."""
        self._close()
        if self.pending.empty():
            self.pending.follows = self.adjacent and bool(self.phrases)

    def count(self, english: str, *, many: bool) -> None:
        """一只 -> "a", 两只 -> "two" (the head becomes plural), 一碗 -> "a bowl of"."""
        self._start()
        self.pending.words.append(english)
        self.pending.plural = many

    def describe(self, english: str) -> None:
        self._start()
        self.pending.words.append(english)

    def action(self, english: str) -> None:
        self._start()
        self.pending.lead.append(english)

    def head(
        self, english: str, *, name: bool = False, style: bool = False, relational: bool = False
    ) -> None:
        """A noun. `relational`: a view or shot, which takes "of" after 的 (城市的鸟瞰图)."""
        current = self.current
        if current is not None and not (name and current.name):
            current.words.append(english)  # 城市 天际线 -> "city skyline"
            current.name, current.style = name, style
            return
        self._start()
        phrase, self.pending = self.pending, _Phrase()
        if phrase.of_words and not relational:  # 夜晚的城市 -> "night city"
            phrase.words, phrase.of_words = phrase.of_words + phrase.words, []
        phrase.head_at = len(phrase.words)
        phrase.words.append(english)
        phrase.name, phrase.style = name, style
        self.phrases.append(phrase)
        self.current = phrase
        self.adjacent = True

    def suffix(self, english: str) -> bool:
        """风格 completes the phrase before it: 油画风格 -> "oil painting style". False when
        there is none (the caller translates the word as a word of its own)."""
        if not (self.adjacent and self.phrases and self.pending.empty()):
            return False
        last = self.phrases[-1]
        last.words.append(english)
        last.style = True
        self._close()
        return True

    def place(self, preposition: str) -> None:
        """霓虹灯下 -> "under neon lights": with no noun before it, a place word says nothing."""
        last = self.phrases[-1] if self.phrases else None
        if self.adjacent and last is not None and last.prep is None and self.pending.empty():
            last.prep = preposition
            self._close()

    def opener(self) -> None:
        """在: what follows is where something is (在草地上, 在医院)."""
        self._start()
        self.pending.locative = True

    def plural_marker(self) -> None:
        """们: 学生们 -> "students"."""
        if self.adjacent and self.phrases:
            self.phrases[-1].plural = True

    def link(self) -> None:
        """的: the phrase just ended describes the next head."""
        self._close()
        if not (self.adjacent and self.phrases and self.pending.empty()):
            self.adjacent = False
            return
        last = self.phrases.pop()
        self.adjacent = False
        if last.style:  # 新海诚风格的街道 -> "street, Makoto Shinkai style"
            counted = last.words[: max(last.head_at, 0)]  # 一只(赛博朋克风格的)猫: "a cat"
            self.pending = _Phrase(words=counted, plural=last.plural, follows=last.follows)
            last.words, last.head_at, last.plural = last.words[len(counted) :], 0, False
            self.styles.append(last)
        elif last.lead or last.prep or last.locative:  # 穿汉服的少女 -> "girl wearing hanfu"
            self.pending = _Phrase(trail=[last.text()], follows=last.follows)
        else:  # 夜晚的城市 -> "night city"; 城市的鸟瞰图 -> "bird's eye view of city"
            self.pending = _Phrase(of_words=last.words, trail=last.trail, follows=last.follows)

    def separator(self) -> None:
        """和, 与: a new phrase, not joined to the one before."""
        self._close()
        self.adjacent = False

    def text(self) -> str:
        self._close()
        if not self.pending.empty():
            pending = self.pending  # 的 with no head after it: the words as they were
            pending.words, pending.of_words = pending.of_words + pending.words, []
            self.phrases.append(pending)
            self.pending = _Phrase()
        out = ""
        for phrase in self.phrases + self.styles:
            text = phrase.text()
            if not text:
                continue
            if out:
                out += " " if phrase.attached and phrase not in self.styles else ", "
            out += text
        return out
