"""Captions into prompts: the rule set /describe applies to what a captioning model says.

A caption is a sentence ("there is a black and white photo of a dog sitting on a bench at
night"); a prompt is a list of what to draw, subject first, then medium, style and lighting
("dog sitting on bench, photograph, black and white, night"). The rules, in order:

1. Normalise: lower case, the captioner's tokenizer artefacts ("man ' s", "close - up") and
   BLIP's training-data noise ("arafed", "araffe") undone, repeated words collapsed.
2. Drop the frame: "there is", "this is", "an image of", "a picture of"; a frame that names a
   medium ("a black and white photo of", "an oil painting of") or a view ("a close up of")
   gives the medium, style and composition words instead.
3. Move out what belongs after the subject: "in the style of X", lighting phrases ("at
   sunset", "at night") and trailing "..., MEDIUM".
4. Keep the words that describe (nouns, adjectives, the participles that pose them): articles,
   auxiliaries ("is", "are") and relative pronouns ("that is sitting") go; dangling function
   words a cut-off caption leaves at its end go too.
5. Add the style words the caption names anywhere (an "anime girl" is in "anime style"), and
   the lighting its words imply ("neon" -> "neon lighting").

Pure functions, no model: the same caption always gives the same prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.prompt_words import (
    ARTICLES,
    DANGLING,
    DROPPED,
    FILLER,
    LEADING,
    LIGHTING,
    MEDIA,
    QUANTITY,
    RELATIVE,
    STYLES,
    VIEWS,
)

MAX_PROMPT_CHARS = 200  # a runaway caption is cut at a word: four must fit in one message
_NOISE = re.compile(r"\bara+f+\w*\b")  # BLIP's "arafed", "araffe", ...: training-data artefacts
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_STYLE_OF = re.compile(r"\bin the style of ([a-z0-9' -]+?)(?=,|$| with | at | in )")


# Up to `n` words that describe the picture itself ("black and white"), never an article or
# an -ing word: in "a man taking a photo of a bird" the photo is not the picture.
def _adjectives(n: int) -> str:
    return rf"((?:(?!(?:an?|the|[a-z0-9-]+ing) )[a-z0-9-]+ ){{0,{n}}}?)"


def _alternation(phrases: Iterable[str]) -> str:
    """One group of these phrases, longest first, so "oil painting" beats "painting"."""
    return "(" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + ")"


_STYLE_WORDS = re.compile(rf"\b{_alternation(STYLES)}\b")
_LIGHT_WORDS = re.compile(rf"\b{_alternation(LIGHTING)}\b")


# "a [adjectives] MEDIUM|VIEW of X": the opening frame that names the picture itself.
_FRAME = re.compile(rf"^(?:an? |the )?{_adjectives(4)}{_alternation({*MEDIA, *VIEWS})} of ")
# "at sunset", "in the dark", "under neon lights": lighting phrases that leave the subject.
_AT_LIGHT = re.compile(
    rf"\b(?:at|in|under|during|by) (?:the )?{_alternation(LIGHTING)}(?: lights?| time)?\b"
)
# ", [adjectives] MEDIUM" or "in MEDIUM style" at the end: the caption tells its medium last.
_TRAILING_MEDIUM = re.compile(
    rf"(?:, (?:an? )?{_adjectives(2)}{_alternation(MEDIA)}(?: style)?"
    rf"| in (?:an? )?{_adjectives(2)}{_alternation(MEDIA)} style)$"
)


def normalize_caption(caption: str) -> str:
    """Rule 1: lower case, tokenizer artefacts and BLIP noise undone, one space between words."""
    text = caption.lower().replace("\u2019", "'")
    text = re.sub(r"\s*'\s*s\b", "'s", text)  # WordPiece decoding: "man ' s" -> "man's"
    text = re.sub(r"(?<=[a-z0-9])\s*-\s*(?=[a-z0-9])", "-", text)  # "close - up" -> "close-up"
    text = _NOISE.sub(" ", text)
    text = re.sub(r"[^a-z0-9',\- ]+", " ", text)
    text = re.sub(r"\s*,\s*", ", ", text)
    words = text.split()
    kept = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]  # "car car" -> "car"
    return " ".join(kept).strip(" ,")


def _drop_filler(text: str) -> str:
    """Rule 2, first half: "there is", "an image of" and the like, repeatedly, at the start."""
    changed = True
    while changed:
        changed = False
        for filler in FILLER:
            if text == filler or text.startswith(filler + " "):
                text = text[len(filler) :].strip()
                changed = True
    return text


def _keep_describing_words(text: str) -> str:
    """Rule 4: articles, auxiliaries and relative pronouns go; a dangling tail goes too."""
    for phrase, replacement in QUANTITY.items():
        text = re.sub(rf"\b{phrase}\b", replacement, text)
    words = text.replace(",", " , ").split()
    kept: list[str] = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in ARTICLES or word in DROPPED:
            continue
        if word in RELATIVE and following in DROPPED:
            continue  # "dog that is sitting" -> "dog sitting"
        if not kept and word in LEADING:
            continue  # "in bird ..." -> "bird ..."
        if not kept or word != kept[-1]:  # "watercolor is watercolor" -> "watercolor"
            kept.append(word)
    while kept and kept[-1] in DANGLING:
        kept.pop()
    return " ".join(kept).replace(" ,", ",")


def _describing(adjectives: str) -> str:
    """The words before a named medium that describe it: "there painting of" has none."""
    return " ".join(w for w in adjectives.split() if w not in ARTICLES and w not in DROPPED)


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            result.append(item)
    return result


def caption_to_prompt(caption: str) -> str:
    """One caption as a prompt: subject first, then medium, style and lighting; "" if nothing
    that describes a picture is left."""
    text = _drop_filler(normalize_caption(caption))
    media: list[str] = []
    styles: list[str] = []
    lights: list[str] = []
    # 2. The opening frame: "a black and white photo of" -> medium, style words, the rest.
    if frame := _FRAME.match(text):
        adjectives, named = _describing(frame[1]), frame[2]
        if named in VIEWS:
            styles.append(VIEWS[named])
            if adjectives:  # "a close up of" has none; "a blurry close up of" keeps its word
                styles.append(adjectives)
        else:
            media.append(" ".join(filter(None, [adjectives, MEDIA[named]])))
        text = _drop_filler(text[frame.end() :])
    # 3. What a caption says after its subject: a named style, lighting, a trailing medium.
    for match in _STYLE_OF.finditer(text):
        styles.append(f"in the style of {match.group(1).strip()}")
    text = _STYLE_OF.sub("", text)
    for match in _AT_LIGHT.finditer(text):
        lights.append(LIGHTING[match.group(1)])
    text = _AT_LIGHT.sub("", text)
    if trailing := _TRAILING_MEDIUM.search(text):
        adjectives, named = trailing[1] or trailing[3] or "", trailing[2] or trailing[4]
        media.append(" ".join(filter(None, [_describing(adjectives), MEDIA[named]])))
        text = text[: trailing.start()]
    # 4. The subject: the words that describe.
    subject = _keep_describing_words(re.sub(r"\s+", " ", text).strip(" ,"))
    if not subject:
        return ""
    # 5. Style words and lighting the caption names anywhere, where they add words: "anime
    # girl" gains "anime style"; "futuristic city" needs no second "futuristic", nor a
    # "cartoon" medium a "cartoon style".
    medium_text = " ".join(media)
    used = set(_WORD.findall(f"{subject} {medium_text}"))
    styles += [
        STYLES[m.group(0)]
        for m in _STYLE_WORDS.finditer(f"{subject} {medium_text}")
        if m.group(0) not in medium_text and not set(_WORD.findall(STYLES[m.group(0)])) <= used
    ]
    lights += [LIGHTING[m.group(0)] for m in _LIGHT_WORDS.finditer(subject)]
    return _shortened(", ".join(_dedupe([*subject.split(", "), *media, *styles, *lights])))


def _shortened(prompt: str) -> str:
    """At most MAX_PROMPT_CHARS, cut after a whole word, without a dangling tail."""
    if len(prompt) <= MAX_PROMPT_CHARS:
        return prompt
    words = prompt[: MAX_PROMPT_CHARS + 1].rsplit(" ", 1)[0].split(" ")
    while words and words[-1].strip(",") in DANGLING:
        words.pop()
    return " ".join(words).strip(" ,")


def prompt_key(prompt: str) -> frozenset[str]:
    """What makes two prompts the same suggestion: their words, in any order."""
    return frozenset(_WORD.findall(prompt.lower()))


def distinct_prompts(captions: Iterable[str], limit: int) -> list[str]:
    """Captions as prompts, in the order given, without empty ones or repeats; at most `limit`."""
    prompts: list[str] = []
    seen: set[frozenset[str]] = set()
    for caption in captions:
        prompt = caption_to_prompt(caption)
        key = prompt_key(prompt)
        if prompt and key not in seen:
            seen.add(key)
            prompts.append(prompt)
            if len(prompts) == limit:
                break
    return prompts
