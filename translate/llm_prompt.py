"""What the LLM backend asks a chat model, and how its answer is checked. Pure functions.

The model gets one fixed instruction and one Chinese span: the protected pieces of the /mj text
(params, URLs, ::weights) are cut out before any span is made, so they never reach it. Names and
art terms found in the span go with it as a glossary, so a small model spells 新海诚 as
"Makoto Shinkai" like the other backends do.

An answer is used only when it looks like an English prompt: one line, no Chinese left, no
chatter ("Sure, here is ..."), nothing that would change the /mj text around it (a --param, a
::weight, a URL), every glossary name present, and a length in proportion to the span.
Anything else is None, and the dictionary's translation is used instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from translate.glossary import NAME, Glossary

VERSION = 1  # part of the cache tag: bump when the instruction or the checks change

INSTRUCTION = (
    "You translate Chinese text-to-image prompts into English image prompts. Answer with the "
    "English prompt only, on one line: no explanation, no notes, no quotes. Write short "
    "comma-separated phrases in natural English word order, keep every detail, use the "
    "glossary's English for the words it lists, and keep English words as they are."
)

# Han, kana and Hangul: none may be left in an English prompt.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]")
_CHATTER = re.compile(
    r"^(?:sure|certainly|of course|okay|ok\b|here|i\b|i'm|as an|the translation|note\b)"
    r"|\bhere(?:'s| is| are)\b|\btranslat|\bchinese prompt\b|\bprompt\s*:",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^(?:english(?: prompt)?|prompt)\s*[:：]\s*", re.IGNORECASE)
_INJECTION = re.compile(r"--|::|https?://|<|>", re.IGNORECASE)
_WRAPPING = "\"'`“”‘’「」"
_MAX_CHARS = 400


def glossary_hints(words: Iterable[str], glossary: Glossary) -> dict[str, str]:
    """The names and art terms among the segmented `words`: Chinese -> English."""
    hints = {}
    for word in words:
        term = glossary.get(word)
        if term is not None and term.kept_from_model:
            hints[word] = term.english
    return hints


def build_messages(span: str, hints: dict[str, str]) -> list[dict[str, str]]:
    """The chat for one span: the fixed instruction, then the span with its glossary."""
    lines = []
    if hints:
        lines.append("Glossary: " + "; ".join(f"{zh} = {en}" for zh, en in hints.items()))
    lines.append(f"Chinese prompt: {span}")
    return [
        {"role": "system", "content": INSTRUCTION},
        {"role": "user", "content": "\n".join(lines)},
    ]


def names_in(hints: dict[str, str], glossary: Glossary) -> list[str]:
    """The English of the hinted words that are proper names (they must appear verbatim)."""
    names = []
    for chinese, english in hints.items():
        term = glossary.get(chinese)
        if term is not None and term.category == NAME:
            names.append(english)
    return names


def check_answer(answer: str, span: str, names: Sequence[str] = ()) -> str | None:
    """The answer as an English prompt fragment, or None when it must not be used."""
    text = answer.strip()
    if "\n" in text:
        return None
    text = _LABEL.sub("", text).strip().strip(_WRAPPING).strip()
    text = text.rstrip(".。").strip()
    if not text or _CJK.search(text) or _CHATTER.search(text) or _INJECTION.search(text):
        return None
    if len(text) > _MAX_CHARS or len(text.split()) > max_words(span):
        return None
    lower = text.lower()
    if any(name.lower() not in lower for name in names):
        return None
    return text


def max_words(span: str) -> int:
    """A sane length: an English prompt has a few words per Chinese character at most."""
    han = len(_CJK.findall(span))
    return 8 + 3 * han
