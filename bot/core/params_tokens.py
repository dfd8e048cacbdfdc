"""String work behind `parse_mj`: normalising input, finding params, image URLs and ::weights.

Pure functions that know parameter names but not their value ranges;
`bot.core.params_values` validates the values. The one exception is `::` weights, read here:
any finite number within MAX_WEIGHT (only ratios between weights matter, but 309 digits would
be infinity).
"""

from __future__ import annotations

import re
import unicodedata

from bot.core.errors import ParamError, excerpt
from bot.core.numbers import decimal_number
from i18n import t

# Name typed after `--` -> the MjRequest field it sets (Midjourney's spellings plus aliases).
ALIASES: dict[str, str] = {
    "ar": "aspect",
    "aspect": "aspect",
    "no": "negative_prompt",
    "seed": "seed",
    "steps": "steps",
    "cfg": "cfg",
    "guidance": "cfg",
    "sampler": "sampler",
    "model": "model",
    "style": "style",
    "tile": "tile",
    "repeat": "repeat",
    "stop": "stop",
    "chaos": "chaos",
    "c": "chaos",
    "iw": "image_weight",
    "lora": "loras",  # repeatable
    "theme": "theme",
    "clip-skip": "clip_skip",
    "clipskip": "clip_skip",
}
# Field -> the name we write it with: the first spelling ALIASES lists (--ar, --no, --c ...).
SPELLING: dict[str, str] = {field: name for name, field in reversed(ALIASES.items())}

# Phones turn `--` into an em dash (—) or en dash (–); Chinese input methods type `——` for
# Shift+-; people also paste minus signs and small or full-width hyphens.
_DASHES = "\u2014\u2013\u2212\ufe63\uff0d"
# A marker starts a param unless it is glued to a Latin word ("well--known"); it may follow
# CJK text directly, because Chinese has no spaces ("一只猫——ar 16:9").
_LETTERS = "A-Za-z\uff21-\uff3a\uff41-\uff5a"
# Names are words, hyphenated (`--clip-skip`; `_` and full-width `－` count as the hyphen).
_MARKER = re.compile(
    rf"(?<![0-9A-Za-z_\-{_DASHES}])(--|[{_DASHES}]{{1,2}})([{_LETTERS}]+(?:[-_\uff0d][{_LETTERS}]+)*)"
)
_LIST_SEPARATOR = re.compile(r"\s*[,、]\s*")  # `，` is already `,` after NFKC; `、` is not
_PARAM = re.compile(r"(?<!\S)--([a-z]+(?:-[a-z]+)*)")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _segment(segment: str, field: str | None) -> str:
    """The prompt (field None) stays as typed; in values full-width letters, digits and `：`
    become ASCII (`１６：９` -> `16:9`)."""
    if field is None:
        return segment.strip()
    value = _nfkc(segment).strip()
    if field == "negative_prompt":
        value = _LIST_SEPARATOR.sub(", ", value).strip(", ")
    return value


def normalize_value(field: str, value: str) -> str:
    """A parameter value given on its own (an API field) as `normalize_input` leaves one."""
    return _segment(value, field)


def normalize_input(text: str) -> str:
    """Rewrite every param marker as ` --name value` with ASCII values; keep the prompt as typed.

    NFKC applies to param values only: on the prompt it would turn `，` into `,`, `²` into `2`
    and `①` into `1`, changing what the user wrote. A dash followed by a word that is not a
    param name stays text ("sunset —golden hour"), unless it is a pair of (full-width) hyphens,
    which can only be a mistyped param and so reaches the parser as an unknown one.
    """
    text = text.replace("\u3000", " ")
    pieces: list[str] = []
    field: str | None = None  # the field whose value runs up to the next marker
    pos = 0
    for match in _MARKER.finditer(text):
        name = _nfkc(match.group(2)).lower().replace("_", "-")
        if name not in ALIASES and _nfkc(match.group(1)) != "--":
            continue
        pieces.append(_segment(text[pos : match.start()], field))
        pieces.append(f"--{name}")
        field = ALIASES.get(name, "")
        pos = match.end()
    pieces.append(_segment(text[pos:], field))
    return " ".join(piece for piece in pieces if piece)


def split_params(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split normalised text into the prompt and (name, value) pairs in the order typed."""
    matches = list(_PARAM.finditer(text))
    if not matches:
        return text.strip(), []
    ends = [m.start() for m in matches[1:]] + [len(text)]
    pairs = [
        (m.group(1), text[m.end() : end].strip()) for m, end in zip(matches, ends, strict=True)
    ]
    return text[: matches[0].start()].strip(), pairs


# Discord users wrap links in <...> to stop the preview; a trailing comma is punctuation.
_LEADING_URL = re.compile(r"\s*<?(https?://[^\s<>]+?)>?,?(?=\s|$)", re.IGNORECASE)


def split_image_urls(text: str) -> tuple[tuple[str, ...], str]:
    """Take the http(s) URLs at the start of the prompt (image prompts); the rest is text."""
    urls: list[str] = []
    pos = 0
    while match := _LEADING_URL.match(text, pos):
        urls.append(match.group(1))
        pos = match.end()
    return tuple(urls), text[pos:].strip(" ,，")


# A URL is skipped whole, so `::` inside one (an IPv6 host) is not a separator; `：：` is what a
# Chinese input method types for `::`.
_SEPARATOR = re.compile(r"https?://\S+|::|：：", re.IGNORECASE)
_WEIGHT_TOKEN = re.compile(r"[^\s:：,，]*")
MAX_WEIGHT = 1000


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,，")


def split_weighted(text: str) -> list[tuple[str, float]]:
    """Split `cat::2 dog::-0.5` into [("cat", 2.0), ("dog", -0.5)]; no `::` gives one part.

    `::` followed by text instead of a number ends a part of weight 1 (`space:: ship`).
    """
    parts: list[tuple[str, float]] = []
    start = pos = 0
    while match := _SEPARATOR.search(text, pos):
        pos = match.end()
        if len(match.group()) > 2:  # a URL, not a separator
            continue
        raw = _WEIGHT_TOKEN.match(text, pos).group()  # type: ignore[union-attr]
        token = _nfkc(raw)
        part = _tidy(text[start : match.start()])
        weight = decimal_number(token, -MAX_WEIGHT, MAX_WEIGHT)
        if weight is not None:
            if not part:
                raise ParamError(
                    t(
                        "Nothing before ::{weight}: write the text that weight is for.",
                        weight=excerpt(token, quote=""),
                    )
                )
            parts.append((part, weight))
            pos += len(raw)
        elif token[:1] and token[0] in "+-.0123456789":
            raise ParamError(
                t(
                    "A multi-prompt weight must be a number from -{most} to {most}, like cat::2 "
                    "or dog::-0.5, got {weight}.",
                    most=str(MAX_WEIGHT),
                    weight=excerpt(token),
                )
            )
        elif part:
            parts.append((part, 1.0))
        start = pos
    if last := _tidy(text[start:]):
        parts.append((last, 1.0))
    return parts
