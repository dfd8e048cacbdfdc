"""Chinese word boundaries: does a banned term found in Chinese text cut through its words?

Chinese has no spaces, so a term is found wherever its characters follow each other:
色情 inside 颜色情况 ("colour situation"), which is 颜色/情况. Segmented into words
(`lexicon.segment`: jieba and CC-CEDICT), a match counts unless a word crosses one of its
edges, starting outside it and ending inside, or the other way round:
- made of whole words, it counts: 一个/裸体, 儿童/色情;
- cutting through words, it does not: 颜/色情/况 is not how 颜色情况 reads;
- inside one longer word, that word decides, cut once more without itself: 色情片 is
  色情/片 and counts; 白色情人节 is 白色/情人节 and does not.
Segmenting costs tens of microseconds, so only the text around a candidate match is cut.
"""

from __future__ import annotations

from lexicon.segment import segmenter

_CONTEXT = 10  # characters each side of a match: two or three words
_DEPTH = 3  # how many times a longer word is cut again


def cuts_through_words(text: str, start: int, end: int) -> bool:
    """Whether the match text[start:end] cuts through a word of the text around it."""
    low = max(text.rfind(" ", 0, start) + 1, start - _CONTEXT)
    high = text.find(" ", end)
    high = min(len(text) if high < 0 else high, end + _CONTEXT)
    words = segmenter().cut(text[low:high])
    return _crossed(words, start - low, end - low, _DEPTH)


def _crossed(words: list[str], start: int, end: int, depth: int) -> bool:
    position = 0
    for word in words:
        first, last = position, position + len(word)
        position = last
        if first < start < last < end or start < first < end < last:
            return True
        if first <= start and end <= last and last - first > end - start:
            inside = segmenter().cut_inside(word)
            return depth > 0 and _crossed(inside, start - first, end - first, depth - 1)
    return False
